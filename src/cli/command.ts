import type { AccountService } from '../accounts/account.service';
import type { KeySet } from '../keys/key-set';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { Storage } from '../storage/storage';

/** What a command may use; everything is built on first use and closed by main. */
export interface CliContext {
  readonly config: Config;
  readonly clock: Clock;
  /** Writes one line to standard output. */
  print(line: string): void;
  /** All of standard input, as UTF-8, up to maxBytes. */
  readStdin(maxBytes: number): Promise<string>;
  /** The storage of DATABASE_URL, created and migrated as the server would. */
  storage(): Promise<Storage>;
  /** Migrations applied by opening storage() in this run. */
  appliedMigrations(): Promise<number>;
  /** The key set, opened once; `createFirstKey` as in KeySetOptions (keys:rotate creates the first key in production too). */
  keySet(options?: { createFirstKey?: boolean }): Promise<KeySet>;
  accounts(): Promise<AccountService>;
}

export interface CliCommand {
  /** As typed after `npm run cli --`, e.g. "user:create". */
  readonly name: string;
  /** One line: the command with its flags. */
  readonly usage: string;
  readonly summary: string;
  /**
   * Checks the flags before anything is opened (a typo costs nothing) and returns the work.
   * Throws UsageError for a bad command line.
   */
  prepare(argv: readonly string[]): (context: CliContext) => Promise<void>;
}

/** Audit events of operator commands say where they came from. */
export const CLI_ORIGIN = { ip: null, userAgent: 'keycard-cli' } as const;
