import fs from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { REPO_ROOT } from './paths';

/** The self-signed certificate of test/support/smtp-tls (see its README): for 127.0.0.1 and localhost. */
const TLS_DIR = path.join(REPO_ROOT, 'test', 'support', 'smtp-tls');
export const TEST_SMTP_CERT = fs.readFileSync(path.join(TLS_DIR, 'cert.pem'));
const TEST_SMTP_KEY = fs.readFileSync(path.join(TLS_DIR, 'key.pem'));

export type SmtpMode = 'plain' | 'starttls' | 'smtps';

export interface ReceivedMail {
  to: string;
  subject: string;
  text: string;
  html: string;
  /** Whether the session that carried it was encrypted (STARTTLS or smtps). */
  secure: boolean;
  parsed: ParsedMail;
}

export interface TestSmtpServer {
  /** SMTP_URL for the app: smtp:// (plain or STARTTLS) or smtps://, with the test credentials. */
  url: string;
  mails: ReceivedMail[];
  /** The next mail to `to` (already received, or the next to arrive). */
  nextMail(to: string, timeoutMs?: number): Promise<ReceivedMail>;
  mailsTo(to: string): ReceivedMail[];
  /** The next `count` messages are refused with a 451 (a temporary failure). */
  refuseNext(count: number): void;
  /** Holds every DATA until release() is called. */
  hold(): void;
  release(): void;
  close(): Promise<void>;
}

export const SMTP_USER = 'keycard';
export const SMTP_PASSWORD = 'smtp-test-password';

/** A real SMTP server on loopback (the smtp-server package), reading every mail with mailparser. */
export async function startSmtpServer(mode: SmtpMode = 'starttls'): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const waiters: Array<{ to: string; resolve: (mail: ReceivedMail) => void }> = [];
  let refusals = 0;
  let held: Array<() => void> | null = null;
  const server = new SMTPServer({
    secure: mode === 'smtps',
    key: TEST_SMTP_KEY,
    cert: TEST_SMTP_CERT,
    disabledCommands: mode === 'plain' ? ['STARTTLS'] : [],
    // Plain mode: the credentials travel in clear, which only a loopback test may allow.
    allowInsecureAuth: true,
    authOptional: false,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === SMTP_USER && auth.password === SMTP_PASSWORD) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const finish = async () => {
          if (refusals > 0) {
            refusals--;
            const error = new Error('Try again later') as Error & { responseCode: number };
            error.responseCode = 451;
            return callback(error);
          }
          const parsed = await simpleParser(Buffer.concat(chunks));
          const to = session.envelope.rcptTo.map((r) => r.address).join(',');
          const mail: ReceivedMail = { to, subject: parsed.subject ?? '', text: parsed.text ?? '', html: typeof parsed.html === 'string' ? parsed.html : '', secure: session.secure, parsed };
          mails.push(mail);
          for (const waiter of waiters.filter((w) => w.to === to)) {
            waiters.splice(waiters.indexOf(waiter), 1);
            waiter.resolve(mail);
          }
          callback();
        };
        if (held) held.push(() => void finish());
        else void finish();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  const seen = new Map<string, number>();
  return {
    url: `${mode === 'smtps' ? 'smtps' : 'smtp'}://${SMTP_USER}:${SMTP_PASSWORD}@127.0.0.1:${port}`,
    mails,
    mailsTo: (to) => mails.filter((m) => m.to === to),
    nextMail(to, timeoutMs = 10_000) {
      const index = seen.get(to) ?? 0;
      const already = mails.filter((m) => m.to === to)[index];
      seen.set(to, index + 1);
      if (already) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no mail to ${to} within ${timeoutMs} ms`)), timeoutMs);
        waiters.push({ to, resolve: (mail) => (clearTimeout(timer), resolve(mail)) });
      });
    },
    refuseNext(count) {
      refusals = count;
    },
    hold() {
      held = [];
    },
    release() {
      const waiting = held ?? [];
      held = null;
      for (const go of waiting) go();
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** The link token and the code of a mail (its text body). */
export function tokensOf(mail: { text: string }): { link: string; token: string; code: string } {
  const link = /(https?:\/\/\S+\?token=([A-Za-z0-9_-]+))/.exec(mail.text);
  const code = /code[^:]*: ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(mail.text);
  if (!link || !code) throw new Error(`no link or code in the mail: ${mail.text}`);
  return { link: link[1]!, token: link[2]!, code: code[1]! };
}
