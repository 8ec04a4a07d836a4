import pino, { type Logger } from 'pino';

export type { Logger };

/** Structured logs; tokens, passwords and cookies are redacted wherever they appear. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'keycard' },
    redact: {
      paths: ['authorization', 'cookie', 'password', '*.password', '*.authorization', '*.cookie', 'refreshToken', '*.refreshToken'],
      censor: '[redacted]',
    },
  });
}
