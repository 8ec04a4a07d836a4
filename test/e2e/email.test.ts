import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, afterEach, before, beforeEach, describe, it } from 'node:test';
import pino from 'pino';
import {
  ChangeEmailDocument,
  ChangePasswordDocument,
  LoginDocument,
  LoginWithMagicLinkDocument,
  MeDocument,
  MyEmailStatusDocument,
  RefreshDocument,
  RequestEmailVerificationDocument,
  RequestMagicLinkDocument,
  RequestPasswordResetDocument,
  ResetPasswordDocument,
  VerifyEmailDocument,
} from '../../src/client/generated/graphql';
import { CODE_SPACE } from '../../src/tokens/one-time-token';
import { startTestApp, type TestApp } from '../support/app';
import { HOUR, MINUTE, SECOND } from '../support/clock';
import { assertErrorCode, call, login, PASSWORD, signup, uniqueEmail } from '../support/graphql';
import { startSmtpServer, TEST_SMTP_CERT, tokensOf, type TestSmtpServer } from '../support/smtp-server';
import { inspectStorage } from '../support/storage-inspector';

const NEW_PASSWORD = 'a brand new passphrase';
const TABLES = ['users', 'sessions', 'refresh_tokens', 'audit_events', 'one_time_tokens', 'signing_keys', 'rate_limits'];

/** Every log line the app writes, as text. */
function capturingLogger() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'trace' }, stream), lines };
}

async function auditTypes(t: TestApp, userId: string | null = null): Promise<string[]> {
  const { rows } = await t.app.audit.page({ first: 200, ...(userId ? { userId } : {}) });
  return rows.map((row) => row.type).reverse();
}

describe('accounts by email over a real SMTP server (STARTTLS)', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;
  let log: ReturnType<typeof capturingLogger>;
  const secrets: string[] = [];
  before(async () => {
    smtp = await startSmtpServer('starttls');
  });
  after(() => smtp.close());
  beforeEach(async () => {
    log = capturingLogger();
    t = await startTestApp({ SMTP_URL: smtp.url, APP_URL: 'https://app.example.com/' }, { smtpTlsCa: TEST_SMTP_CERT, logger: log.logger, mailRetryDelaysMs: [10, 10] });
  });
  afterEach(async () => {
    await t.app.mailer.idle();
    await t.close();
    // No log line carries a token, a code or a link, whatever the test did (security: logs hold no secret).
    const all = log.lines.join('\n');
    for (const secret of secrets.splice(0)) assert.ok(!all.includes(secret), `a log line carries ${secret}`);
    assert.ok(!all.includes('smtp-test-password'), 'a log line carries the SMTP password');
  });

  /** The next mail to `email`, its link and code remembered for the log check. */
  async function mailTo(email: string) {
    const mail = await smtp.nextMail(email);
    const tokens = tokensOf(mail);
    secrets.push(tokens.token, tokens.code, tokens.code.replace('-', ''), tokens.link);
    return { mail, ...tokens };
  }

  async function emailStatus(accessToken: string) {
    const result = await call(t.url, MyEmailStatusDocument, {}, { accessToken });
    assert.equal(result.errors, undefined, JSON.stringify(result.errors));
    return result.data!.me!;
  }

  describe('verification', () => {
    it('the mailed link verifies the address once; the mail has a plain-text and an HTML body and came over STARTTLS', async () => {
      const email = uniqueEmail('verify');
      const { accessToken, user } = await signup(t.url, { email });
      assert.equal((await emailStatus(accessToken)).emailVerified, false);
      const requested = await call(t.url, RequestEmailVerificationDocument, {}, { accessToken });
      assert.equal(requested.errors, undefined, JSON.stringify(requested.errors));
      const { mail, token, link } = await mailTo(email);
      assert.equal(mail.secure, true);
      assert.equal(mail.subject, 'Verify your email address');
      assert.match(link, /^https:\/\/app\.example\.com\/verify-email\?token=[A-Za-z0-9_-]{43}$/);
      assert.ok(mail.html.includes(link.replace(/&/g, '&amp;')), 'the HTML body carries the link');
      assert.deepEqual(mail.parsed.from?.value.map((sender) => [sender.name, sender.address]), [['Keycard', 'no-reply@localhost']]);

      const verified = await call(t.url, VerifyEmailDocument, { token });
      assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
      assert.equal((await emailStatus(accessToken)).emailVerified, true);
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token }), 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });
      const types = await auditTypes(t, user.id);
      for (const step of ['EMAIL_VERIFICATION_REQUESTED', 'EMAIL_SENT', 'EMAIL_VERIFIED', 'ONE_TIME_TOKEN_FAILED']) assert.ok(types.includes(step), `${step} in ${types}`);
    });

    it('the code verifies for the signed-in user, and with its address for anyone; a code alone is not enough', async () => {
      const email = uniqueEmail('code');
      const { accessToken } = await signup(t.url, { email });
      await call(t.url, RequestEmailVerificationDocument, {}, { accessToken });
      const { code } = await mailTo(email);
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: code }), 'INVALID_ONE_TIME_TOKEN', { reason: 'UNKNOWN' });
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: code, email: uniqueEmail('other') }), 'INVALID_ONE_TIME_TOKEN', { reason: 'UNKNOWN' });
      const verified = await call(t.url, VerifyEmailDocument, { token: code.toLowerCase() }, { accessToken });
      assert.equal(verified.errors, undefined, JSON.stringify(verified.errors));
      assert.equal((await emailStatus(accessToken)).emailVerified, true);

      const second = uniqueEmail('code2');
      const other = await signup(t.url, { email: second });
      await call(t.url, RequestEmailVerificationDocument, {}, { accessToken: other.accessToken });
      const mailed = await mailTo(second);
      assert.equal((await call(t.url, VerifyEmailDocument, { token: mailed.code, email: second.toUpperCase() })).errors, undefined);
      assert.equal((await emailStatus(other.accessToken)).emailVerified, true);
    });

    it('expires after 24 hours, and a new request voids the older token', async () => {
      const email = uniqueEmail('expiry');
      const { accessToken } = await signup(t.url, { email });
      await call(t.url, RequestEmailVerificationDocument, {}, { accessToken });
      const first = await mailTo(email);
      await call(t.url, RequestEmailVerificationDocument, {}, { accessToken });
      const second = await mailTo(email);
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: first.token }), 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });
      t.clock.advance(24 * HOUR);
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: second.token }), 'INVALID_ONE_TIME_TOKEN', { reason: 'EXPIRED' });
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: 'A'.repeat(43) }), 'INVALID_ONE_TIME_TOKEN', { reason: 'UNKNOWN' });
    });

    it('REQUIRE_EMAIL_VERIFICATION: login and refresh of an unverified account answer EMAIL_NOT_VERIFIED, and work once verified', async () => {
      const strict = await startTestApp({ SMTP_URL: smtp.url, REQUIRE_EMAIL_VERIFICATION: 'true' }, { smtpTlsCa: TEST_SMTP_CERT });
      try {
        const email = uniqueEmail('strict');
        const { accessToken, refreshToken } = await signup(strict.url, { email });
        assertErrorCode(await call(strict.url, LoginDocument, { input: { email, password: PASSWORD } }), 'EMAIL_NOT_VERIFIED');
        assertErrorCode(await call(strict.url, RefreshDocument, { refreshToken }), 'EMAIL_NOT_VERIFIED');
        assertErrorCode(await call(strict.url, LoginDocument, { input: { email, password: 'wrong password!' } }), 'INVALID_CREDENTIALS');
        await call(strict.url, RequestEmailVerificationDocument, {}, { accessToken });
        const { token } = tokensOf(await smtp.nextMail(email));
        assert.equal((await call(strict.url, VerifyEmailDocument, { token })).errors, undefined);
        assert.equal((await call(strict.url, LoginDocument, { input: { email, password: PASSWORD } })).errors, undefined);
        assert.equal((await call(strict.url, RefreshDocument, { refreshToken })).errors, undefined);
      } finally {
        await strict.close();
      }
    });
  });

  describe('password reset', () => {
    it('from the link: the new password works, every session ends (refresh and access tokens refused), the link works once', async () => {
      const email = uniqueEmail('reset');
      const first = await signup(t.url, { email });
      const second = await login(t.url, email);
      assert.equal((await call(t.url, RequestPasswordResetDocument, { email })).data?.requestPasswordReset, true);
      const { token, link } = await mailTo(email);
      assert.match(link, /^https:\/\/app\.example\.com\/reset-password\?token=/);
      const reset = await call(t.url, ResetPasswordDocument, { token, newPassword: NEW_PASSWORD });
      assert.equal(reset.errors, undefined, JSON.stringify(reset.errors));
      for (const session of [first, second]) {
        assertErrorCode(await call(t.url, MeDocument, {}, { accessToken: session.accessToken }), 'UNAUTHENTICATED', { reason: 'TOKEN_REVOKED' });
        assertErrorCode(await call(t.url, RefreshDocument, { refreshToken: session.refreshToken }), 'INVALID_REFRESH_TOKEN', { reason: 'REVOKED' });
      }
      assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }), 'INVALID_CREDENTIALS');
      const signedIn = await login(t.url, email, NEW_PASSWORD);
      // Whoever read the mail proved the address.
      assert.equal((await emailStatus(signedIn.accessToken)).emailVerified, true);
      assertErrorCode(await call(t.url, ResetPasswordDocument, { token, newPassword: 'yet another passphrase' }), 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });
      const types = await auditTypes(t, first.user.id);
      for (const step of ['PASSWORD_RESET_REQUESTED', 'EMAIL_SENT', 'PASSWORD_RESET']) assert.ok(types.includes(step), `${step} in ${types}`);
    });

    it('from the code with its address; a weak new password is refused and keeps the token', async () => {
      const email = uniqueEmail('resetcode');
      await signup(t.url, { email });
      await call(t.url, RequestPasswordResetDocument, { email });
      const { code } = await mailTo(email);
      assertErrorCode(await call(t.url, ResetPasswordDocument, { token: code, newPassword: 'short', email }), 'BAD_USER_INPUT', { field: 'newPassword' });
      assertErrorCode(await call(t.url, ResetPasswordDocument, { token: code, newPassword: NEW_PASSWORD }), 'INVALID_ONE_TIME_TOKEN', { reason: 'UNKNOWN' });
      assert.equal((await call(t.url, ResetPasswordDocument, { token: code, newPassword: NEW_PASSWORD, email })).errors, undefined);
      await login(t.url, email, NEW_PASSWORD);
    });

    it('expires after one hour; a password change voids every outstanding token', async () => {
      const email = uniqueEmail('resetexpiry');
      await signup(t.url, { email });
      await call(t.url, RequestPasswordResetDocument, { email });
      const first = await mailTo(email);
      t.clock.advance(HOUR);
      assertErrorCode(await call(t.url, ResetPasswordDocument, { token: first.token, newPassword: NEW_PASSWORD }), 'INVALID_ONE_TIME_TOKEN', { reason: 'EXPIRED' });

      const { accessToken } = await login(t.url, email);
      await call(t.url, RequestPasswordResetDocument, { email });
      const reset = await mailTo(email);
      await call(t.url, RequestMagicLinkDocument, { email });
      const magic = await mailTo(email);
      assert.equal((await call(t.url, ChangePasswordDocument, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD }, { accessToken })).errors, undefined);
      assertErrorCode(await call(t.url, ResetPasswordDocument, { token: reset.token, newPassword: 'yet another passphrase' }), 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });
      assertErrorCode(await call(t.url, LoginWithMagicLinkDocument, { token: magic.token }), 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });
    });
  });

  describe('magic links', () => {
    it('the link signs in once (a new session like login), from the code too, and expires after 15 minutes', async () => {
      const email = uniqueEmail('magic');
      await signup(t.url, { email });
      await call(t.url, RequestMagicLinkDocument, { email });
      const { token, code, link } = await mailTo(email);
      assert.match(link, /^https:\/\/app\.example\.com\/magic-link\?token=/);
      const signedIn = await call(t.url, LoginWithMagicLinkDocument, { token });
      assert.equal(signedIn.errors, undefined, JSON.stringify(signedIn.errors));
      const payload = signedIn.data!.loginWithMagicLink;
      assert.equal(payload.user.email, email);
      assert.ok(payload.refreshToken);
      assert.equal((await call(t.url, MeDocument, {}, { accessToken: payload.accessToken })).data?.me?.email, email);
      assert.equal((await call(t.url, RefreshDocument, { refreshToken: payload.refreshToken! })).errors, undefined);
      assertErrorCode(await call(t.url, LoginWithMagicLinkDocument, { token }), 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });
      assertErrorCode(await call(t.url, LoginWithMagicLinkDocument, { token: code, email }), 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });

      await call(t.url, RequestMagicLinkDocument, { email });
      const byCode = await mailTo(email);
      assert.equal((await call(t.url, LoginWithMagicLinkDocument, { token: byCode.code, email })).errors, undefined);

      await call(t.url, RequestMagicLinkDocument, { email });
      const late = await mailTo(email);
      t.clock.advance(15 * MINUTE);
      assertErrorCode(await call(t.url, LoginWithMagicLinkDocument, { token: late.token }), 'INVALID_ONE_TIME_TOKEN', { reason: 'EXPIRED' });
    });

    it('two concurrent uses of one link: exactly one signs in', async () => {
      const email = uniqueEmail('race');
      await signup(t.url, { email });
      await call(t.url, RequestMagicLinkDocument, { email });
      const { token } = await mailTo(email);
      const results = await Promise.all(Array.from({ length: 6 }, () => call(t.url, LoginWithMagicLinkDocument, { token })));
      const won = results.filter((r) => r.errors === undefined);
      assert.equal(won.length, 1, JSON.stringify(results.map((r) => r.errors?.[0]?.extensions)));
      for (const lost of results.filter((r) => r.errors !== undefined)) assertErrorCode(lost, 'INVALID_ONE_TIME_TOKEN', { reason: 'USED' });
    });

    it('two concurrent password resets with one link: exactly one sets its password', async () => {
      const email = uniqueEmail('resetrace');
      await signup(t.url, { email });
      await call(t.url, RequestPasswordResetDocument, { email });
      const { token } = await mailTo(email);
      const passwords = ['first new passphrase', 'second new passphrase', 'third new passphrase'];
      const results = await Promise.all(passwords.map((newPassword) => call(t.url, ResetPasswordDocument, { token, newPassword })));
      const winners = passwords.filter((_, i) => results[i]!.errors === undefined);
      assert.equal(winners.length, 1);
      await login(t.url, email, winners[0]);
    });
  });

  describe('no enumeration', () => {
    it('an unknown address gets the same answer and no mail; the attempt is audited', async () => {
      const known = uniqueEmail('known');
      await signup(t.url, { email: known });
      const unknown = uniqueEmail('nobody');
      assert.deepEqual(await call(t.url, RequestPasswordResetDocument, { email: unknown }), await call(t.url, RequestPasswordResetDocument, { email: known }));
      assert.deepEqual(await call(t.url, RequestMagicLinkDocument, { email: unknown }), await call(t.url, RequestMagicLinkDocument, { email: known }));
      await t.app.mailer.idle();
      assert.equal(smtp.mailsTo(unknown).length, 0);
      assert.equal(smtp.mailsTo(known).length, 2);
      const { rows } = await t.app.audit.page({ first: 10, type: 'PASSWORD_RESET_REQUESTED' });
      assert.ok(rows.some((row) => row.userId === null && (row.detail as { reason?: string }).reason === 'UNKNOWN_EMAIL'));
    });

    it('the answer does not wait for the lookup or the mail: it comes back while the SMTP server holds the message', async () => {
      // "Similar time" without a timing test: the known address's answer is given before its
      // mail is even accepted, so its work (lookup, token, send) cannot add to the answer's time.
      const email = uniqueEmail('held');
      await signup(t.url, { email });
      smtp.hold();
      try {
        assert.equal((await call(t.url, RequestPasswordResetDocument, { email })).data?.requestPasswordReset, true);
        assert.equal(smtp.mailsTo(email).length, 0);
      } finally {
        smtp.release();
      }
      await mailTo(email);
    });
  });

  describe('email change', () => {
    it('needs the current password, mails the new address a link and the old one a notice, and moves only once verified', async () => {
      const email = uniqueEmail('old');
      const newEmail = uniqueEmail('new');
      const { accessToken } = await signup(t.url, { email });
      assertErrorCode(await call(t.url, ChangeEmailDocument, { newEmail, currentPassword: 'not my password' }, { accessToken }), 'INVALID_CREDENTIALS');
      assert.equal((await call(t.url, ChangeEmailDocument, { newEmail, currentPassword: PASSWORD }, { accessToken })).errors, undefined);
      const { token, link } = await mailTo(newEmail);
      assert.match(link, /^https:\/\/app\.example\.com\/verify-email\?token=/);
      const notice = await smtp.nextMail(email);
      assert.ok(notice.text.includes(newEmail));
      assert.ok(!/token=/.test(notice.text), 'the notice to the old address carries no link');
      assert.equal((await emailStatus(accessToken)).email, email);
      assert.equal((await call(t.url, VerifyEmailDocument, { token })).errors, undefined);
      const status = await emailStatus(accessToken);
      assert.deepEqual([status.email, status.emailVerified], [newEmail, true]);
      await login(t.url, newEmail);
      assertErrorCode(await call(t.url, LoginDocument, { input: { email, password: PASSWORD } }), 'INVALID_CREDENTIALS');
    });

    it('by code with the new address; an address taken meanwhile is EMAIL_TAKEN', async () => {
      const email = uniqueEmail('old');
      const newEmail = uniqueEmail('new');
      const { accessToken } = await signup(t.url, { email });
      await call(t.url, ChangeEmailDocument, { newEmail, currentPassword: PASSWORD }, { accessToken });
      const { code } = await mailTo(newEmail);
      await smtp.nextMail(email);
      await signup(t.url, { email: newEmail });
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: code, email: newEmail }), 'EMAIL_TAKEN');
      assertErrorCode(await call(t.url, ChangeEmailDocument, { newEmail, currentPassword: PASSWORD }, { accessToken }), 'EMAIL_TAKEN');

      const another = uniqueEmail('new');
      await call(t.url, ChangeEmailDocument, { newEmail: another, currentPassword: PASSWORD }, { accessToken });
      const mailed = await mailTo(another);
      assert.equal((await call(t.url, VerifyEmailDocument, { token: mailed.code, email: another })).errors, undefined);
      assert.equal((await emailStatus(accessToken)).email, another);
    });
  });

  describe('abuse limits', () => {
    it('mail requests are limited per address', async () => {
      const email = uniqueEmail('flood');
      await signup(t.url, { email });
      for (let i = 0; i < 5; i++) assert.equal((await call(t.url, RequestMagicLinkDocument, { email })).errors, undefined);
      assertErrorCode(await call(t.url, RequestMagicLinkDocument, { email }), 'RATE_LIMITED');
      // The same for an unknown address: the limit says nothing about existence.
      const unknown = uniqueEmail('nobody');
      for (let i = 0; i < 5; i++) await call(t.url, RequestPasswordResetDocument, { email: unknown });
      assertErrorCode(await call(t.url, RequestPasswordResetDocument, { email: unknown }), 'RATE_LIMITED');
    });

    it('mail requests are limited per IP across addresses', async () => {
      for (let i = 0; i < 20; i++) assert.equal((await call(t.url, RequestPasswordResetDocument, { email: uniqueEmail('spray') })).errors, undefined);
      assertErrorCode(await call(t.url, RequestPasswordResetDocument, { email: uniqueEmail('spray') }), 'RATE_LIMITED');
    });

    it('code guessing hits RATE_LIMITED after 5 wrong codes for an address, far below the code space; the right code then waits too', async () => {
      const email = uniqueEmail('guess');
      const { accessToken } = await signup(t.url, { email });
      await call(t.url, RequestEmailVerificationDocument, {}, { accessToken });
      const { code } = await mailTo(email);
      const wrong = code === 'AAAA-AAAA' ? 'BBBB-BBBB' : 'AAAA-AAAA';
      for (let i = 0; i < 5; i++) assertErrorCode(await call(t.url, VerifyEmailDocument, { token: wrong, email }), 'INVALID_ONE_TIME_TOKEN', { reason: 'UNKNOWN' });
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: code, email }), 'RATE_LIMITED');
      // 5 guesses per block, blocks growing to LOGIN_BLOCK_MAX (1h): at most ~120 guesses a day of a 31^8 space.
      assert.ok(CODE_SPACE / (24 * 5) > 1e9);
      const { rows } = await t.app.audit.page({ first: 10, type: 'RATE_LIMITED' });
      assert.ok(rows.some((row) => (row.detail as { limit?: string }).limit === 'CODE_ADDRESS'), JSON.stringify(rows));
      // The block is the address's: another account's right code from the same IP still works.
      const other = uniqueEmail('guess');
      const second = await signup(t.url, { email: other });
      await call(t.url, RequestEmailVerificationDocument, {}, { accessToken: second.accessToken });
      assert.equal((await call(t.url, VerifyEmailDocument, { token: (await mailTo(other)).code, email: other })).errors, undefined);
    });

    it('code guessing is limited per IP across addresses too', async () => {
      for (let i = 0; i < 20; i++) assertErrorCode(await call(t.url, VerifyEmailDocument, { token: 'AAAA-AAAA', email: uniqueEmail('spray') }), 'INVALID_ONE_TIME_TOKEN', { reason: 'UNKNOWN' });
      assertErrorCode(await call(t.url, VerifyEmailDocument, { token: 'AAAA-AAAA', email: uniqueEmail('spray') }), 'RATE_LIMITED');
    });
  });

  it('no token, code or link is stored in clear in any table', async () => {
    const email = uniqueEmail('clear');
    const { accessToken } = await signup(t.url, { email });
    await call(t.url, RequestEmailVerificationDocument, {}, { accessToken });
    await call(t.url, RequestPasswordResetDocument, { email });
    await call(t.url, RequestMagicLinkDocument, { email });
    const mailed = [await mailTo(email), await mailTo(email), await mailTo(email)];
    await t.app.mailer.idle();
    const inspector = inspectStorage(t.app.storage);
    const dump = JSON.stringify(await Promise.all(TABLES.map((table) => inspector.rawRows(table))));
    assert.ok(dump.includes('one_time') || (await inspector.rawRows('one_time_tokens')).length === 3);
    for (const { token, code } of mailed) {
      assert.ok(!dump.includes(token), 'a link token in clear');
      assert.ok(!dump.includes(code) && !dump.includes(code.replace('-', '')), 'a code in clear');
    }
  });
});

describe('mail transports', () => {
  for (const mode of ['plain', 'smtps'] as const) {
    it(`${mode === 'plain' ? 'smtp:// to a server without STARTTLS' : 'smtps:// (TLS from the start)'} delivers the mail`, async () => {
      const smtp = await startSmtpServer(mode);
      const t = await startTestApp({ SMTP_URL: smtp.url }, { smtpTlsCa: TEST_SMTP_CERT });
      try {
        const email = uniqueEmail(mode);
        await signup(t.url, { email });
        await call(t.url, RequestMagicLinkDocument, { email });
        const mail = await smtp.nextMail(email);
        assert.equal(mail.secure, mode === 'smtps');
        assert.equal(mail.subject, 'Your sign-in link');
      } finally {
        await t.app.mailer.idle();
        await t.close();
        await smtp.close();
      }
    });
  }

  it('a failed send is retried; when every attempt fails the token stays, the mutation answers SERVICE_UNAVAILABLE and EMAIL_SEND_FAILED is audited', async () => {
    const smtp = await startSmtpServer('starttls');
    const t = await startTestApp({ SMTP_URL: smtp.url }, { smtpTlsCa: TEST_SMTP_CERT, mailRetryDelaysMs: [5, 5] });
    try {
      const email = uniqueEmail('fail');
      const { accessToken, user } = await signup(t.url, { email });
      smtp.refuseNext(2);
      assert.equal((await call(t.url, RequestEmailVerificationDocument, {}, { accessToken })).errors, undefined, 'two refusals, then the third attempt delivers');
      await smtp.nextMail(email);
      smtp.refuseNext(3);
      const failed = await call(t.url, RequestEmailVerificationDocument, {}, { accessToken });
      assertErrorCode(failed, 'SERVICE_UNAVAILABLE', { retryAfter: 60 });
      const types = await auditTypes(t, user.id);
      // Sorted: the manual clock gives every event the same instant.
      assert.deepEqual(types.filter((type) => type.startsWith('EMAIL_')).sort(), ['EMAIL_SEND_FAILED', 'EMAIL_SENT', 'EMAIL_VERIFICATION_REQUESTED', 'EMAIL_VERIFICATION_REQUESTED']);
      assert.equal((await inspectStorage(t.app.storage).rawRows('one_time_tokens')).length, 2);
      // The no-enumeration requests still answer true; the failure is audited.
      smtp.refuseNext(3);
      assert.equal((await call(t.url, RequestPasswordResetDocument, { email })).data?.requestPasswordReset, true);
      await t.app.mailer.idle();
      assert.ok((await auditTypes(t, user.id)).filter((type) => type === 'EMAIL_SEND_FAILED').length === 2);
    } finally {
      await t.close();
      await smtp.close();
    }
  });
});

describe('without SMTP_URL', () => {
  it('development: mails go to the dev outbox (GET /demo/outbox) and the log names the recipient and subject, never the link or code', async () => {
    const log = capturingLogger();
    const t = await startTestApp({ NODE_ENV: 'development' }, { logger: log.logger });
    try {
      const email = uniqueEmail('outbox');
      await signup(t.url, { email });
      await call(t.url, RequestMagicLinkDocument, { email });
      await t.app.mailer.idle();
      const response = await fetch(`${t.url}/demo/outbox`);
      assert.equal(response.status, 200);
      const { mails } = (await response.json()) as { mails: Array<{ to: string; subject: string; text: string; link: string }> };
      assert.equal(mails[0]!.to, email);
      const { token, code, link } = tokensOf(mails[0]!);
      assert.equal(mails[0]!.link, link);
      const all = log.lines.join('\n');
      assert.ok(all.includes('dev outbox') && all.includes(email));
      for (const secret of [token, code, link]) assert.ok(!all.includes(secret));
      assert.equal((await call(t.url, LoginWithMagicLinkDocument, { token })).errors, undefined);
    } finally {
      await t.close();
    }
  });

  it('production: the email mutations answer FORBIDDEN EMAIL_NOT_CONFIGURED, and there is no outbox', async () => {
    const t = await startTestApp({ NODE_ENV: 'production' });
    try {
      const email = uniqueEmail('prod');
      const { accessToken } = await signup(t.url, { email });
      for (const result of [
        await call(t.url, RequestPasswordResetDocument, { email }),
        await call(t.url, RequestMagicLinkDocument, { email: uniqueEmail('nobody') }),
        await call(t.url, RequestEmailVerificationDocument, {}, { accessToken }),
        await call(t.url, ChangeEmailDocument, { newEmail: uniqueEmail('new'), currentPassword: PASSWORD }, { accessToken }),
      ]) {
        assertErrorCode(result, 'FORBIDDEN', { reason: 'EMAIL_NOT_CONFIGURED' });
      }
      assert.equal((await fetch(`${t.url}/demo/outbox`)).status, 404);
    } finally {
      await t.close();
    }
  });
});
