/**
 * The development outbox: without SMTP_URL outside production, mails are kept here (in memory,
 * the newest OUTBOX_SIZE) so the demo page can show them (GET /demo/outbox). It holds links and
 * codes in clear, which is why it never exists in production and never touches the database.
 */
export interface OutboxMail {
  id: number;
  at: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The mail's link, when it has one, for the demo page to open. */
  link: string | null;
}

export const OUTBOX_SIZE = 50;

export function createDevOutbox(size = OUTBOX_SIZE) {
  const mails: OutboxMail[] = [];
  let next = 1;
  return {
    add(mail: Omit<OutboxMail, 'id'>): OutboxMail {
      const kept = { id: next++, ...mail };
      mails.push(kept);
      if (mails.length > size) mails.splice(0, mails.length - size);
      return kept;
    },
    /** Newest first. */
    list(): OutboxMail[] {
      return [...mails].reverse();
    },
  };
}

export type DevOutbox = ReturnType<typeof createDevOutbox>;
