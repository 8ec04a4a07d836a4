import assert from 'node:assert/strict';
import { after, afterEach, beforeEach, describe, it } from 'node:test';
import type { Browser, BrowserContext } from 'playwright-core';
import { LoginDocument } from '../../src/client/generated/graphql';
import { startTestApp, type TestApp } from '../support/app';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { launchChromium } from './support/chromium';
import { DemoPage } from './support/demo-page';

const NEW_PASSWORD = 'chosen in the browser';

describe('password reset in a real browser, from the dev outbox (Chromium, the /demo page)', { timeout: 60_000 }, () => {
  let browser: Browser | undefined;
  let t!: TestApp;
  let context!: BrowserContext;
  let demo: DemoPage | undefined;

  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    browser ??= await launchChromium();
    // No SMTP_URL outside production: mails go to the dev outbox.
    t = await startTestApp({ NODE_ENV: 'development' });
    context = await browser.newContext();
  });
  afterEach(async () => {
    const errors = demo?.pageErrors ?? [];
    await context?.close();
    await t?.app.mailer.idle();
    await t?.close();
    assert.deepEqual(errors, [], 'no uncaught error in the page');
  });

  it('asks for a reset, opens the mailed link from the outbox, confirms a new password: it signs in, the old one does not, and the link is spent', async () => {
    const email = uniqueEmail('browser-reset');
    const before = await signup(t.url, { email });
    demo = new DemoPage(await context.newPage(), t.url);
    const { page } = demo;
    await demo.open();
    await demo.expectState('signed-out');

    await page.fill('#mail-request-form input[name=email]', email);
    await page.click('#request-reset');
    await page.waitForFunction(() => /a mail is on its way/.test(document.getElementById('status')?.textContent ?? ''));
    await t.app.mailer.idle();

    await page.click('#show-outbox');
    const link = page.locator(`#outbox-list li[data-to="${email}"] a.outbox-link`).first();
    await link.waitFor({ timeout: 10_000 });
    const href = await link.getAttribute('href');
    assert.match(href ?? '', /^\/demo\/reset-password\?token=[A-Za-z0-9_-]{43}$/);
    await link.click();

    // The link's page uses nothing until the person confirms (a mail scanner's fetch spends nothing).
    await page.waitForSelector('#link-page:not([hidden])');
    assert.equal(await page.textContent('#link-title'), 'Choose a new password');
    await page.fill('#link-form input[name=newPassword]', NEW_PASSWORD);
    await page.click('#link-confirm');
    await page.waitForSelector('body[data-link-result="done"]', { timeout: 10_000 });
    assert.match((await page.textContent('#link-result')) ?? '', /password is changed/);

    await login(t.url, email, NEW_PASSWORD);
    assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }), 'INVALID_CREDENTIALS');
    assertErrorCode(await call(t.url, LoginDocument, { input: { email: before.user.email!, password: PASSWORD } }), 'INVALID_CREDENTIALS');

    // Opening the same link again and confirming: the token is spent.
    await page.goto(`${t.url}${href}`);
    await page.fill('#link-form input[name=newPassword]', 'a third passphrase');
    await page.click('#link-confirm');
    await page.waitForFunction(() => /INVALID_ONE_TIME_TOKEN \(USED\)/.test(document.getElementById('error')?.textContent ?? ''));
  });
});

/** The page's `document`, read in waitForFunction callbacks: the Node build has no DOM types. */
declare const document: { getElementById(id: string): { readonly textContent: string | null } | null };
