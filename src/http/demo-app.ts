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
      item.textContent = `${session.current ? 'this browser — ' : ''}since ${session.createdAt}, last used ${session.lastUsedAt}, ${session.userAgent ?? 'unknown agent'}`;
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
  });
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
    await renderProviders();
    if (!(await completeOAuth().catch(async (error: unknown) => {
      await restore();
      throw error;
    }))) await restore();
  });
}

start();
