import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';

export type DemoState = 'signed-in' | 'signed-out';

/** The page's `document`, read in page.evaluate callbacks: the Node build has no DOM types. */
declare const document: {
  readonly cookie: string;
  readonly body: { readonly dataset: Record<string, string | undefined> };
  getElementById(id: string): { readonly textContent: string | null } | null;
};

/** Drives the demo page the way a person would: forms and buttons, nothing injected. */
export class DemoPage {
  readonly pageErrors: string[] = [];

  constructor(
    readonly page: Page,
    private readonly baseUrl: string,
  ) {
    page.on('pageerror', (error) => this.pageErrors.push(error.message));
  }

  async open(): Promise<void> {
    await this.page.goto(`${this.baseUrl}/demo`);
  }

  async reload(): Promise<void> {
    await this.page.reload();
  }

  /** Waits until the page settled in a state; fails with what the page shows otherwise. */
  async expectState(state: DemoState): Promise<void> {
    try {
      await this.page.waitForSelector(`body[data-state="${state}"]`, { timeout: 10_000 });
    } catch {
      const shown = await this.page.evaluate(() => ({ state: document.body.dataset.state, error: document.getElementById('error')?.textContent }));
      assert.fail(`expected the demo to be ${state}, it is ${shown.state} with error "${shown.error ?? ''}"`);
    }
  }

  async signup(email: string, password: string, displayName: string): Promise<void> {
    await this.page.fill('#signup-form input[name=email]', email);
    await this.page.fill('#signup-form input[name=password]', password);
    await this.page.fill('#signup-form input[name=displayName]', displayName);
    await this.page.click('#signup-form button[type=submit]');
  }

  async login(email: string, password: string): Promise<void> {
    await this.page.fill('#login-form input[name=email]', email);
    await this.page.fill('#login-form input[name=password]', password);
    await this.page.click('#login-form button[type=submit]');
  }

  shownEmail(): Promise<string | null> {
    return this.page.textContent('#me dd[data-field="email"]');
  }

  errorText(): Promise<string | null> {
    return this.page.textContent('#error');
  }

  /** How many times the page has shown a fresh `me`; see renderMe in src/http/demo-app.ts. */
  meLoads(): Promise<number> {
    return this.page.evaluate(() => Number(document.body.dataset.meLoads ?? '0'));
  }

  documentCookie(): Promise<string> {
    return this.page.evaluate(() => document.cookie);
  }
}
