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

const OAUTH_CALLBACK_PATH = '/demo/oauth/callback';
const pendingProvider = (state: string) => `keycard-demo-oauth:${state}`;

/** One "Sign in with <name>" button per configured provider. */
async function renderProviders(): Promise<void> {
  const providers = await client.authProviders();
  element('oauth-none').hidden = providers.length > 0;
  element('oauth-buttons').replaceChildren(
    ...providers.map((provider) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = `Sign in with ${provider.name}`;
      button.dataset.provider = provider.id;
      button.addEventListener('click', () =>
        void act(async () => {
          const { authorizationUrl, state } = await client.startOAuthLogin(provider.id, `${location.origin}${OAUTH_CALLBACK_PATH}`);
          // The provider id comes back with nothing but the state: remember which one this state is for.
          sessionStorage.setItem(pendingProvider(state), provider.id);
          location.assign(authorizationUrl);
        }),
      );
      return button;
    }),
  );
}

/** Back from the provider at /demo/oauth/callback?code=...&state=...: complete the sign-in, then show /demo. */
async function completeOAuth(): Promise<boolean> {
  if (location.pathname !== OAUTH_CALLBACK_PATH) return false;
  const params = new URLSearchParams(location.search);
  const state = params.get('state') ?? '';
  const provider = sessionStorage.getItem(pendingProvider(state));
  sessionStorage.removeItem(pendingProvider(state));
  // The code must not stay in the address bar or the history.
  history.replaceState(null, '', '/demo');
  if (params.get('error')) throw new Error(`The provider answered ${params.get('error')}.`);
  if (!provider) throw new Error('This sign-in was not started here, or was already used.');
  await client.completeOAuthLogin(provider, params.get('code') ?? '', state);
  await showMe();
  return true;
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

/** The pages mailed links open (src/http/demo.ts, DEMO_LINK_PAGES). */
const LINK_PAGES = {
  'verify-email': { title: 'Verify your email address', explain: 'Press Confirm to verify the address this link was mailed to.' },
  'reset-password': { title: 'Choose a new password', explain: 'Choose a new password and press Confirm. Every session of the account ends.' },
  'magic-link': { title: 'Sign in', explain: 'Press Confirm to sign in as the account this link was mailed to.' },
} as const;
type LinkPage = keyof typeof LINK_PAGES;

function linkPageOf(pathname: string): LinkPage | null {
  const page = pathname.replace(/^\/demo\//, '');
  return page in LINK_PAGES ? (page as LinkPage) : null;
}

/**
 * A mailed link's page: it shows what will happen and waits for the person to press Confirm.
 * Nothing is used on load, so a mail scanner that fetches the link spends nothing (contract.md,
 * "Email links and one-time tokens").
 */
function startLinkPage(page: LinkPage): void {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  element('link-page').hidden = false;
  element('link-title').textContent = LINK_PAGES[page].title;
  element('link-explain').textContent = LINK_PAGES[page].explain;
  element('link-password').hidden = page !== 'reset-password';
  onSubmit('link-form', async (form) => {
    const done = (text: string) => {
      element('link-result').textContent = text;
      document.body.dataset.linkResult = 'done';
    };
    if (page === 'verify-email') {
      await client.verifyEmail(token);
      done('Your email address is verified.');
    } else if (page === 'reset-password') {
      await client.resetPassword(token, String(new FormData(form).get('newPassword') ?? ''));
      done('Your password is changed. Every session ended: sign in with the new password.');
      showSignedOut();
    } else {
      await client.loginWithMagicLink(token);
      done('You are signed in.');
      await showMe();
    }
    element('link-form').hidden = true;
  });
}

/** The dev outbox (GET /demo/outbox), when the server has one. Links open here, on this origin. */
async function startOutbox(): Promise<void> {
  const response = await fetch('/demo/outbox');
  if (!response.ok) return;
  element('outbox').hidden = false;
  onClick('show-outbox', async () => {
    const { mails } = (await (await fetch('/demo/outbox')).json()) as { mails: Array<{ id: number; to: string; subject: string; text: string; link: string | null }> };
    element('outbox-list').replaceChildren(
      ...mails.map((mail) => {
        const item = document.createElement('li');
        item.dataset.to = mail.to;
        const heading = document.createElement('strong');
        heading.textContent = `${mail.subject} — to ${mail.to}`;
        const body = document.createElement('pre');
        body.textContent = mail.text;
        item.append(heading, body);
        if (mail.link) {
          // APP_URL may name another host or port: open the same page of this demo.
          const url = new URL(mail.link);
          const page = linkPageOf(url.pathname.replace(/^.*\/(verify-email|reset-password|magic-link)$/, '/demo/$1'));
          if (page) {
            const anchor = document.createElement('a');
            anchor.href = `/demo/${page}${url.search}`;
            anchor.textContent = 'Open the link';
            anchor.className = 'outbox-link';
            item.append(anchor);
          }
        }
        return item;
      }),
    );
  });
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
  onClick('request-verification', async () => {
    await client.requestEmailVerification();
    element('status').textContent = 'A verification link is on its way.';
  });
  const mailRequest = element<HTMLFormElement>('mail-request-form');
  mailRequest.addEventListener('submit', (event) => {
    event.preventDefault();
    const kind = ((event as SubmitEvent).submitter as HTMLButtonElement | null)?.value;
    const email = String(new FormData(mailRequest).get('email') ?? '');
    void act(async () => {
      if (kind === 'magic') await client.requestMagicLink(email);
      else await client.requestPasswordReset(email);
      element('status').textContent = 'If an account has this address, a mail is on its way.';
    });
  });
  const linkPage = linkPageOf(location.pathname);
  if (linkPage) startLinkPage(linkPage);
  void act(startOutbox);
  void act(async () => {
    await renderProviders();
    if (!(await completeOAuth().catch(async (error: unknown) => {
      await restore();
      throw error;
    }))) await restore();
    await showDeviceFromAddress();
  });
}

start();
