import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { systemClock } from '../../src/clock';
import { startTestApp, type TestApp } from '../support/app';
import { PASSWORD, uniqueEmail } from '../support/graphql';
import { REPO_ROOT } from '../support/paths';
import { launchChromium } from './support/chromium';
import { DemoPage } from './support/demo-page';

/** A port free right now, so APP_URL can name the server before it listens. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** Runs examples/device-login.ts (compiled) and collects what it prints. */
function runExample(server: string): { child: ChildProcess; output: () => string; exited: Promise<number | null>; line: (pattern: RegExp) => Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, [path.join(REPO_ROOT, 'dist', 'examples', 'device-login.js')], {
    env: { PATH: process.env.PATH, KEYCARD_SERVER: server, KEYCARD_CLIENT_ID: 'keycard-cli', KEYCARD_SCOPE: 'read:profile read:users' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: Array<() => void> = [];
  const collect = (chunk: Buffer) => {
    output += chunk.toString('utf8');
    for (const wake of waiters.splice(0)) wake();
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const line = async (pattern: RegExp): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (Date.now() > deadline || child.exitCode !== null) assert.fail(`the example never printed ${pattern}; it printed:\n${output}`);
      await new Promise<void>((resolve) => {
        waiters.push(resolve);
        setTimeout(resolve, 250);
      });
    }
  };
  return { child, output: () => output, exited, line };
}

describe('the /device page (Chromium) approving the code the example CLI printed', { timeout: 90_000 }, () => {
  let browser: Browser | undefined;
  let t: TestApp | undefined;
  let child: ChildProcess | undefined;
  after(async () => {
    if (child && child.exitCode === null) child.kill();
    await browser?.close();
    await t?.close();
  });

  it('a signed-in person opens verification_uri_complete, sees the client and scopes, approves; the CLI signs in and calls me', async () => {
    browser = await launchChromium();
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    // The real clock: the example polls in real time, every `interval` seconds.
    t = await startTestApp(
      { PORT: String(port), JWT_ISSUER: base, APP_URL: `${base}/demo`, OAUTH_DEVICE_CLIENTS: 'keycard-cli', RATE_LIMIT_WINDOW: '15m' },
      { clock: systemClock },
    );
    const email = uniqueEmail('device');
    const user = await t.app.services.accounts.createUser({ email, password: PASSWORD, role: 'USER' }, { ip: null, userAgent: 'test' }, null);

    const example = runExample(base);
    child = example.child;
    const [, url] = await example.line(/To sign in, open (\S+)/);
    const [, code] = await example.line(/shows the code ([A-Z]{4}-[A-Z]{4})/);
    assert.equal(url, `${base}/demo/device?user_code=${code}`);

    const context = await browser.newContext();
    const demo = new DemoPage(await context.newPage(), base);
    await demo.page.goto(url!);
    await demo.expectState('signed-out');
    await demo.login(email, PASSWORD);
    await demo.expectState('signed-in');
    // Prefilled from ?user_code= and looked up at once: the person sees who asks and for what.
    await demo.page.waitForSelector('#device-request:not([hidden])', { timeout: 10_000 });
    assert.equal(await demo.page.inputValue('#device-form input[name=userCode]'), code);
    assert.equal(await demo.page.textContent('#device-client'), 'keycard-cli');
    assert.deepEqual(await demo.page.$$eval('#device-scopes li', (items) => items.map((item) => item.textContent)), ['read:profile'], 'a USER cannot grant read:users');
    await demo.page.click('#approve-device');
    await demo.page.waitForSelector('body[data-device="approved"]', { timeout: 10_000 });

    await example.line(/Approved\. Scopes: read:profile\n/);
    await example.line(new RegExp(`Signed in as ${email.replace(/[.+]/g, '\\$&')} \\(${user.id}\\)`));
    assert.equal(await example.exited, 0, example.output());
    assert.ok(!example.output().includes('kcd_'), 'the device code is never printed');

    // The device is one more session of the person, listed with its client.
    await demo.page.click('#list-sessions');
    await demo.page.waitForSelector('#sessions li:has-text("device keycard-cli (read:profile)")', { timeout: 10_000 });
    assert.deepEqual(demo.pageErrors, []);
    await context.close();
  });
});
