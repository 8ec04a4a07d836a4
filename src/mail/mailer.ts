import type { Logger } from '../logger';
import { createDevOutbox, type DevOutbox } from './outbox';
import { createSmtpTransport, MailSendError, type SmtpTransport } from './smtp-transport';
import { loadTemplates, type TemplateName, type TemplateValues } from './templates';

/** A mail to send: a template, its values, and the link it carries (if any), for the dev outbox. */
export interface MailRequest {
  to: string;
  template: TemplateName;
  values: TemplateValues;
}

export interface Mailer {
  /** false: production without SMTP_URL; the email mutations answer FORBIDDEN EMAIL_NOT_CONFIGURED. */
  readonly configured: boolean;
  /** Development without SMTP_URL only; null otherwise. */
  readonly outbox: DevOutbox | null;
  /** Renders and sends, retrying a failed send (MAIL_RETRY_DELAYS_MS); throws MailSendError after the last attempt. */
  send(mail: MailRequest): Promise<void>;
  /** Runs work off the request path; close() waits for it. */
  background(work: () => Promise<void>): void;
  /** Resolves when no background work is running (tests wait on it). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Waits between attempts of one send: three attempts over ~1.5 s, then the failure is reported. */
export const MAIL_RETRY_DELAYS_MS: readonly number[] = [250, 1000];

export interface MailerOptions {
  smtpUrl: string | null;
  from: string;
  production: boolean;
  logger: Logger;
  /** A CA to trust for the SMTP server's certificate besides the system's (tests). */
  tlsCa?: string | Buffer;
  retryDelaysMs?: readonly number[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

export function createMailer(options: MailerOptions): Mailer {
  const { logger } = options;
  const templates = loadTemplates();
  const retryDelays = options.retryDelaysMs ?? MAIL_RETRY_DELAYS_MS;
  const transport: SmtpTransport | null = options.smtpUrl ? createSmtpTransport(options.smtpUrl, { tlsCa: options.tlsCa }) : null;
  const outbox = !transport && !options.production ? createDevOutbox() : null;
  const running = new Set<Promise<void>>();

  return {
    configured: transport !== null || outbox !== null,
    outbox,
    async send({ to, template, values }) {
      const mail = templates.render(template, values);
      if (!transport) {
        if (!outbox) throw new MailSendError('NOT_CONFIGURED');
        outbox.add({ at: new Date().toISOString(), to, subject: mail.subject, text: mail.text, html: mail.html, link: values.link ?? null });
        // The log names who and what, never the link or the code (they are in the outbox only).
        logger.info({ to, subject: mail.subject }, 'mail kept in the dev outbox (SMTP_URL is not set): see /demo/outbox');
        return;
      }
      for (let attempt = 0; ; attempt++) {
        try {
          await transport.send({ from: options.from, to, ...mail });
          return;
        } catch (error) {
          if (!(error instanceof MailSendError) || attempt >= retryDelays.length) throw error;
          logger.warn({ to, subject: mail.subject, attempt: attempt + 1, err: error.message }, 'mail send failed; retrying');
          await sleep(retryDelays[attempt]!);
        }
      }
    },
    background(work) {
      const task: Promise<void> = work()
        .catch((error: unknown) => logger.error({ err: error instanceof Error ? error.message : String(error) }, 'background mail work failed'))
        .finally(() => running.delete(task));
      running.add(task);
    },
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    async close() {
      while (running.size > 0) await Promise.all([...running]);
      transport?.close();
    },
  };
}
