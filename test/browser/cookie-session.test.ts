import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { Browser, BrowserContext, Request, Route } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import { MINUTE } from '../support/clock';
import { PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { launchChromium } from './support/chromium';
import { DemoPage } from './support/demo-page';

/** The page's `document`, read in a waitForFunction callback: the Node build has no DOM types. */
declare const document: { readonly body: { readonly dataset: Record<string, string | undefined> } };

const REFRESH_COOKIE = '__Host-keycard-refresh';
const CSRF_COOKIE = '__Host-keycard-csrf';

/** Fails fast with a message instead of hanging until the suite's timeout. */
async function within<T>(promise: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function isRefresh(request: Request): boolean {
  return request.method() === 'POST' && /mutation Refresh\b/.test(request.postData() ?? '');
}

describe('cookie mode in a real browser (Chromium, the /demo page)', { timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  // Assigned by beforeEach; afterEach tolerates their absence when beforeEach failed early.
  let t!: TestApp;
  let context!: BrowserContext;
  let pages: DemoPage[] = [];

  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    // Launched here rather than in before(): a missing browser then fails every test by name
    // (node:test reports a failed before() as cancelled, not failed).
    browser ??= await launchChromium();
    t = await startTestApp({ ACCESS_TOKEN_TTL: '15m', REFRESH_REUSE_GRACE: '10s', CLOCK_TOLERANCE: '5s' });
    context = await browser.newContext();
    pages = [];
  });
  afterEach(async () => {
    const errors = pages.flatMap((page) => page.pageErrors);
    await context?.close();
    await t?.close();
    assert.deepEqual(errors, [], 'no uncaught error in the page');
  });

  async function openDemo(): Promise<DemoPage> {
    const demo = new DemoPage(await context.newPage(), t.url);
    pages.push(demo);
    await demo.open();
    return demo;
  }

  /** A user made as an operator would (no session of its own yet), signed in through the page. */
  async function signedInTab(): Promise<{ demo: DemoPage; email: string; userId: string }> {
    const email = uniqueEmail('browser');
    const user = await t.app.services.accounts.createUser({ email, password: PASSWORD, role: 'USER' }, { ip: null, userAgent: 'test' }, null);
    const demo = await openDemo();
    await demo.expectState('signed-out');
    await demo.login(email, PASSWORD);
    await demo.expectState('signed-in');
    return { demo, email, userId: user.id };
  }

  it('logs in through the demo page in cookie mode; the refresh token is invisible to document.cookie, the CSRF cookie is not', async () => {
    const { user } = await signup(t.url, { email: uniqueEmail('browser') });
    const demo = await openDemo();
    await demo.expectState('signed-out');
    const loginResponse = demo.page.waitForResponse((response) => /mutation Login\b/.test(response.request().postData() ?? ''));
    await demo.login(user.email!, PASSWORD);
    await demo.expectState('signed-in');
    assert.equal(await demo.shownEmail(), user.email);

    const login = (await (await loginResponse).json()) as { data: { login: { refreshToken: string | null; csrfToken: string | null } } };
    assert.equal(login.data.login.refreshToken, null, 'no refresh token in the JSON body');
    assert.ok(login.data.login.csrfToken);

    const jar = await context.cookies();
    const refresh = jar.find((cookie) => cookie.name === REFRESH_COOKIE);
    assert.ok(refresh, 'the browser stored the refresh cookie');
    assert.equal(refresh.httpOnly, true);
    assert.equal(refresh.secure, true);
    assert.equal(refresh.sameSite, 'Strict');
    const visible = await demo.documentCookie();
    assert.equal(visible.includes(REFRESH_COOKIE), false, `document.cookie: ${visible}`);
    assert.equal(visible.includes(refresh.value), false);
    assert.ok(visible.includes(`${CSRF_COOKIE}=${login.data.login.csrfToken}`), 'the CSRF cookie is readable by the page');
  });

  it('a reload restores the session through the refresh cookie', async () => {
    const { demo, email } = await signedInTab();
    const refreshes: Request[] = [];
    context.on('request', (request) => {
      if (isRefresh(request)) refreshes.push(request);
    });
    await demo.reload();
    await demo.expectState('signed-in');
    assert.equal(await demo.shownEmail(), email);
    assert.equal(refreshes.length, 1, 'one refresh by cookie on load');
    const sent = refreshes[0]!.postDataJSON() as { variables?: Record<string, unknown> };
    assert.equal(sent.variables?.refreshToken, undefined, 'no token argument: the cookie carried it');
  });

  it('two tabs refreshing at the same moment both stay signed in, in one session', async () => {
    const { demo: first, email, userId } = await signedInTab();
    const second = await openDemo();
    await second.expectState('signed-in');
    assert.equal(await second.shownEmail(), email, 'the second tab picked up the session from the cookie');

    // Hold each tab's refresh until both have been sent, so both present the same refresh
    // cookie: the race the reuse grace window exists for.
    const held: Route[] = [];
    let bothHeld!: () => void;
    const barrier = new Promise<void>((resolve) => (bothHeld = resolve));
    await context.route('**/graphql', async (route) => {
      if (!isRefresh(route.request())) return route.continue();
      held.push(route);
      if (held.length === 2) bothHeld();
      await barrier;
      return route.continue();
    });

    t.clock.advance(16 * MINUTE);
    const loadsBefore = [await first.meLoads(), await second.meLoads()];
    await Promise.all([first.page.click('#show-me'), second.page.click('#show-me')]);
    await within(barrier, 10_000, () => `expected a refresh from each tab, saw ${held.length}`);
    for (const [index, tab] of [first, second].entries()) {
      await tab.page.waitForFunction((before) => Number(document.body.dataset.meLoads ?? '0') > before, loadsBefore[index]!, { timeout: 10_000 });
      assert.equal(await tab.errorText(), '', `tab ${index + 1} shows no error`);
      assert.equal(await tab.shownEmail(), email);
    }
    assert.equal(held.length, 2, 'each tab refreshed once');
    const presented = await Promise.all(held.map(async (route) => /__Host-keycard-refresh=([^;]+)/.exec((await route.request().headerValue('cookie')) ?? '')?.[1]));
    assert.ok(presented[0], 'the refresh went by cookie');
    assert.equal(presented[0], presented[1], 'both tabs presented the same refresh token at once');

    await context.unroute('**/graphql');
    for (const tab of [first, second]) {
      await tab.reload();
      await tab.expectState('signed-in');
    }
    const live = await t.app.services.sessions.listLive(userId);
    assert.equal(live.length, 1, 'both tabs share one session: no doubled or revoked family');
  });

  it('after logout a reload shows signed out, and both cookies are gone', async () => {
    const { demo } = await signedInTab();
    await demo.page.click('#logout');
    await demo.expectState('signed-out');
    assert.equal((await context.cookies()).filter((cookie) => cookie.name.startsWith('__Host-keycard')).length, 0);
    assert.equal(await demo.documentCookie(), '');
    await demo.reload();
    await demo.expectState('signed-out');
  });

  it('sign up through the demo page and list this browser\'s session', async () => {
    const demo = await openDemo();
    await demo.expectState('signed-out');
    const email = uniqueEmail('browser');
    await demo.signup(email, PASSWORD, 'Grace');
    await demo.expectState('signed-in');
    assert.equal(await demo.page.textContent('#me dd[data-field="name"]'), 'Grace');
    await demo.page.click('#list-sessions');
    await demo.page.waitForSelector('#sessions li');
    const sessions = await demo.page.$$eval('#sessions li', (items) => items.map((item) => item.textContent ?? ''));
    assert.equal(sessions.length, 1);
    assert.match(sessions[0]!, /^this browser/);
  });
});
