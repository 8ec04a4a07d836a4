import type nodemailerModule from 'nodemailer';

/**
 * The one file that imports nodemailer. smtp:// upgrades with STARTTLS whenever the server
 * offers it (nodemailer's default for secure: false) and smtps:// speaks TLS from the start;
 * certificates are verified against the system's CAs (or `tlsCa`, for tests).
 */
export interface SmtpTransport {
  send(mail: { from: string; to: string; subject: string; text: string; html: string }): Promise<void>;
  close(): void;
}

/** A send failed; the message names no credentials, address or body. */
export class MailSendError extends Error {
  constructor(readonly smtpCode: string | undefined) {
    super(`SMTP send failed${smtpCode ? ` (${smtpCode})` : ''}`);
    this.name = 'MailSendError';
  }
}

export function createSmtpTransport(smtpUrl: string, options: { tlsCa?: string | Buffer; timeoutMs?: number } = {}): SmtpTransport {
  const timeoutMs = options.timeoutMs ?? 10_000;
  // The URL goes in as `url` among the options: given as the first argument, nodemailer would
  // read the second as message defaults and ignore the timeouts and the CA.
  // Required here, not at the top: a server without SMTP_URL (the dev outbox, or no mail) never loads nodemailer.
  const nodemailer = require('nodemailer') as typeof nodemailerModule;
  const transport = nodemailer.createTransport({
    url: smtpUrl,
    connectionTimeout: timeoutMs,
    greetingTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    ...(options.tlsCa ? { tls: { ca: options.tlsCa } } : {}),
  } as Parameters<typeof nodemailer.createTransport>[0]);
  return {
    async send(mail) {
      try {
        await transport.sendMail(mail);
      } catch (error) {
        // nodemailer's errors quote the server's reply and sometimes the envelope: keep the code only.
        const code = (error as { code?: unknown; responseCode?: unknown }) ?? {};
        throw new MailSendError(typeof code.responseCode === 'number' ? String(code.responseCode) : typeof code.code === 'string' ? code.code : undefined);
      }
    },
    close() {
      transport.close();
    },
  };
}
