/**
 * The demo page's script (browser only: type-checked by tsconfig.browser.json, bundled with the SDK
 * into dist/demo/app.js by scripts/build-demo.js during npm run build). It uses the
 * SDK in cookie mode exactly as a single-page app on the API's origin would.
 */
import { createKeycardClient, KeycardApiError, type Me, type MySession } from '../client';

const client = createKeycardClient({ endpoint: '/graphql', mode: 'cookie' });

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`#${id} is missing from the demo page`);
  return found as T;
}

function describeError(error: unknown): string {
  if (error instanceof KeycardApiError) return `${error.code}${error.reason ? ` (${error.reason})` : ''}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/** Runs one user action, showing its error instead of losing it in the console. */
async function act(action: () => Promise<void>): Promise<void> {
  element('error').textContent = '';
  try {
    await action();
  } catch (error) {
    element('error').textContent = describeError(error);
  }
}

// textContent only, never innerHTML: display names are user input.
function renderMe(me: NonNullable<Me>): void {
  const list = element('me');
  list.replaceChildren();
  for (const [label, value] of [['Name', me.displayName], ['Email', me.email ?? ''], ['Role', me.role ?? ''], ['Member since', me.createdAt]] as const) {
    const term = document.createElement('dt');
    term.textContent = label;
    const detail = document.createElement('dd');
    detail.textContent = value;
    detail.dataset.field = label.toLowerCase().replace(/ /g, '-');
    list.append(term, detail);
  }
  // A counter the browser test waits on: the page finished showing a fresh `me`.
  document.body.dataset.meLoads = String(Number(document.body.dataset.meLoads ?? '0') + 1);
}

function renderSessions(sessions: MySession[]): void {
  const list = element('sessions');
  list.replaceChildren(
    ...sessions.map((session) => {
      const item = document.createElement('li');
      const agent = session.clientId ? `device ${session.clientId} (${(session.scopes ?? []).join(' ')})` : (session.userAgent ?? 'unknown agent');
      item.textContent = `${session.current ? 'this browser — ' : ''}since ${session.createdAt}, last used ${session.lastUsedAt}, ${agent}`;
      return item;
    }),
  );
}

function showSignedOut(): void {
  document.body.dataset.state = 'signed-out';
  element('status').textContent = 'Signed out.';
  element('signed-out').hidden = false;
  element('signed-in').hidden = true;
  element('me').replaceChildren();
  element('sessions').replaceChildren();
}

async function showMe(): Promise<void> {
  let me: Me;
  try {
    me = await client.me();
  } catch (error) {
    // The session ended elsewhere (logout everywhere, an admin): show it, and say why.
    if (error instanceof KeycardApiError && error.code === 'UNAUTHENTICATED') showSignedOut();
    throw error;
  }
  if (!me) return showSignedOut();
  document.body.dataset.state = 'signed-in';
  element('status').textContent = `Signed in as ${me.email ?? me.displayName}.`;
  element('signed-out').hidden = true;
  element('signed-in').hidden = false;
  renderMe(me);
}

function formValues(form: HTMLFormElement): { email: string; password: string; displayName?: string } {
  const data = new FormData(form);
  const displayName = String(data.get('displayName') ?? '').trim();
  return { email: String(data.get('email') ?? ''), password: String(data.get('password') ?? ''), ...(displayName ? { displayName } : {}) };
}

function onSubmit(id: string, action: (form: HTMLFormElement) => Promise<void>): void {
  const form = element<HTMLFormElement>(id);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void act(() => action(form));
  });
}

function onClick(id: string, action: () => Promise<void>): void {
  element(id).addEventListener('click', () => void act(action));
}

/** The code being decided, as the person typed it (the server normalises case, dashes and spaces). */
let deviceCode: string | null = null;

function deviceResult(text: string): void {
  element('device-result').textContent = text;
}

/** Shows what the device with this code asks for (client, scopes); the person then approves or denies. */
async function lookUpDevice(userCode: string): Promise<void> {
  deviceResult('');
  element('device-request').hidden = true;
  const request = await client.deviceRequest(userCode);
  if (!request) {
    deviceCode = null;
    deviceResult('No device is waiting with this code: check it, or start again on the device.');
    return;
  }
  deviceCode = userCode;
  element('device-client').textContent = request.clientId;
  element('device-expires').textContent = String(request.expiresAt);
  element('device-scopes').replaceChildren(
    ...request.scopes.map((scope) => {
      const item = document.createElement('li');
      item.textContent = scope;
      return item;
    }),
  );
  element('device-request').hidden = false;
}

async function decideDevice(approve: boolean): Promise<void> {
  if (!deviceCode) return;
  const code = deviceCode;
  deviceCode = null;
  element('device-request').hidden = true;
  if (approve) await client.approveDevice(code);
  else await client.denyDevice(code);
  deviceResult(approve ? 'Approved: the device is signing in. You can close this page.' : 'Denied: the device will not be signed in.');
  document.body.dataset.device = approve ? 'approved' : 'denied';
}

/** verification_uri_complete (RFC 8628 §3.3.1) carries the code: prefill it, and look it up once signed in. */
function codeFromAddress(): string | null {
  return new URLSearchParams(window.location.search).get('user_code');
}

async function showDeviceFromAddress(): Promise<void> {
  const code = codeFromAddress();
  if (code === null || document.body.dataset.state !== 'signed-in') return;
  element<HTMLFormElement>('device-form').querySelector<HTMLInputElement>('input[name=userCode]')!.value = code;
  await lookUpDevice(code);
}

/**
 * After a reload the access token is gone (it lived in memory); the HttpOnly cookie is not.
 * One refresh by cookie restores the session, if there is one.
 */
async function restore(): Promise<void> {
  try {
    await client.refresh();
  } catch (error) {
    if (error instanceof KeycardApiError) return showSignedOut();
    throw error;
  }
  await showMe();
}

function start(): void {
  onSubmit('signup-form', async (form) => {
    await client.signup(formValues(form));
    form.reset();
    await showMe();
  });
  onSubmit('login-form', async (form) => {
    const { email, password } = formValues(form);
    await client.login({ email, password });
    form.reset();
    await showMe();
    await showDeviceFromAddress();
  });
  onSubmit('device-form', async (form) => {
    await lookUpDevice(String(new FormData(form).get('userCode') ?? ''));
  });
  onClick('approve-device', () => decideDevice(true));
  onClick('deny-device', () => decideDevice(false));
  onClick('show-me', showMe);
  onClick('list-sessions', async () => renderSessions((await client.sessions()) ?? []));
  onClick('logout', async () => {
    await client.logout();
    showSignedOut();
  });
  onClick('logout-all', async () => {
    await client.logoutAll();
    showSignedOut();
  });
  void act(async () => {
    await restore();
    await showDeviceFromAddress();
  });
}

start();
