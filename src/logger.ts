import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/**
 * Keys whose values are credentials wherever they appear in a log object: request and
 * response headers, GraphQL variables and inputs, one-time codes. GraphQL variables are
 * redacted whole: they carry passwords, tokens and codes under names we do not control.
 */
const SECRET_KEYS = [
  'authorization',
  'cookie',
  '["set-cookie"]',
  '["x-csrf-token"]',
  'password',
  'currentPassword',
  'newPassword',
  'token',
  'accessToken',
  'refreshToken',
  'csrfToken',
  'secret',
  'oneTimeCode',
  'userCode',
  'deviceCode',
  'variables',
];

/** Each key at the top of a log object and up to two levels down (req.headers.cookie, err.extensions.x). */
export const REDACTED_PATHS: readonly string[] = SECRET_KEYS.flatMap((key) => {
  const member = key.startsWith('[') ? key : `.${key}`;
  return [key, `*${member}`, `*.*${member}`];
});

/**
 * Structured JSON logs (one object a line); credentials are censored wherever they appear
 * (README "Logs"). `destination` defaults to stdout; tests pass a stream to read every line.
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    base: { service: 'keycard' },
    redact: { paths: [...REDACTED_PATHS], censor: '[redacted]' },
  };
  return destination ? pino(options, destination) : pino(options);
}
