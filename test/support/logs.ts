import { createLogger, type Logger } from '../../src/logger';

export interface CapturedLogs {
  /** A logger at `trace` (everything) whose lines land in `lines`. */
  logger: Logger;
  /** Every line the app wrote, as written (JSON). */
  lines: string[];
  /** The lines parsed. */
  records(): Array<Record<string, unknown>>;
}

/** The app's log stream kept in memory, to read every line a run wrote (pino writes synchronously to it). */
export function captureLogs(level = 'trace'): CapturedLogs {
  const lines: string[] = [];
  const logger = createLogger(level, {
    write(line: string) {
      lines.push(line);
    },
  });
  return { logger, lines, records: () => lines.map((line) => JSON.parse(line) as Record<string, unknown>) };
}
