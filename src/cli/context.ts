import type { AccountService } from '../accounts/account.service';
import type { KeySet } from '../auth/key-set';
import { OWASP_ARGON2ID, createArgon2Hasher } from '../auth/password';
import { deriveSecretKeys } from '../auth/secret-keys';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { createCoreServices, openKeySet } from '../core-services';
import type { DatabaseHandle } from '../db/client';
import type { CliContext } from './command';
import { openMigratedDatabase } from './database';
import { readStandardInput } from './stdin';
import { CliError } from './cli-error';

/** The server's own core (src/core-services.ts), minus HTTP; a command builds only what it asks for. */
export function createCliContext(config: Config, clock: Clock): CliContext & { close(): void } {
  let opened: { handle: DatabaseHandle; applied: number } | null = null;
  let keySet: Promise<KeySet> | null = null;
  let accounts: Promise<AccountService> | null = null;
  const secretKeys = deriveSecretKeys(config.secret);

  function open() {
    opened ??= openMigratedDatabase(config.databasePath);
    return opened;
  }

  const context: CliContext & { close(): void } = {
    config,
    clock,
    print: (line) => void process.stdout.write(`${line}\n`),
    readStdin: (maxBytes) => readStandardInput(maxBytes, () => new CliError(`standard input is larger than ${maxBytes} bytes`)),
    database: () => open().handle,
    appliedMigrations: () => open().applied,
    keySet(options = {}) {
      keySet ??= openKeySet(open().handle.db, config, clock, secretKeys, options);
      return keySet;
    },
    accounts() {
      accounts ??= (async () => {
        const core = createCoreServices({ db: open().handle.db, config, clock, keySet: await context.keySet(), secretKeys, hasher: createArgon2Hasher(OWASP_ARGON2ID, config.argon2Concurrency) });
        return core.accounts;
      })();
      return accounts;
    },
    close() {
      opened?.handle.close();
    },
  };
  return context;
}
