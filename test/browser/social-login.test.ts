import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { startTestApp, type TestApp } from '../support/app';
import { ManualClock } from '../support/clock';
import { uniqueEmail } from '../support/graphql';
import { OIDC_CLIENT_ID, startOidcProvider } from '../support/oauth-providers';
import { launchChromium } from './support/chromium';
import { DemoPage } from './support/demo-page';

/** A port free right now: the redirect URI must name the app's port before the app starts. */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('social login in a real browser (Chromium, the /demo page and a local OpenID Connect provider)', { timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let oidc: Awaited<ReturnType<typeof startOidcProvider>> | undefined;

  before(async () => {
    oidc = await startOidcProvider();
    const port = await freePort();
    t = await startTestApp(
      {
        PORT: String(port),
        OAUTH_PROVIDERS: 'acme',
        OAUTH_ACME_CLIENT_ID: OIDC_CLIENT_ID,
        OAUTH_ACME_ISSUER: oidc.issuer,
        OAUTH_REDIRECT_URIS: `http://127.0.0.1:${port}/demo/oauth/callback`,
      },
      { clock: new ManualClock(Date.now()) },
    );
  });
  after(async () => {
    await browser?.close();
    await t?.close();
    await oidc?.close();
  });

  it('the "Sign in with Acme" button goes through the provider and back, signed in, with the code gone from the address bar', async () => {
    browser ??= await launchChromium();
    const context = await browser.newContext();
    try {
      const demo = new DemoPage(await context.newPage(), t!.url);
      await demo.open();
      await demo.expectState('signed-out');
      const email = uniqueEmail('browser-oauth');
      oidc!.as({ sub: `browser-${email}`, email, email_verified: true });
      const button = demo.page.locator('#oauth-buttons button', { hasText: 'Sign in with Acme' });
      await button.click();
      await demo.expectState('signed-in');
      assert.equal(await demo.shownEmail(), email);
      assert.equal(new URL(demo.page.url()).pathname, '/demo');
      assert.equal(new URL(demo.page.url()).search, '');
      // The session is the cookie's: a reload restores it.
      await demo.reload();
      await demo.expectState('signed-in');
      assert.equal(await demo.shownEmail(), email);
      assert.deepEqual(demo.pageErrors, []);
    } finally {
      await context.close();
    }
  });
});
