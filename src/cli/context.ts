import type { AccountService } from '../accounts/account.service';
import type { KeySet } from '../keys/key-set';
import { OWASP_ARGON2ID, createArgon2Hasher } from '../accounts/password';
import { deriveSecretKeys } from '../keys/secret-keys';
import type { Clock } from '../clock';
import type { Config } from '../config';
import { createCoreServices, openKeySet } from '../core-services';
import { openStorage, type Storage } from '../storage/storage';
import type { CliContext } from './command';
import { readStandardInput } from './stdin';
import { CliError } from './cli-error';

/** The server's own core (src/core-services.ts), minus HTTP; a command builds only what it asks for. */
export function createCliContext(config: Config, clock: Clock): CliContext & { close(): Promise<void> } {
  let opened: Promise<{ storage: Storage; applied: number }> | null = null;
  let keySet: Promise<KeySet> | null = null;
  let accounts: Promise<AccountService> | null = null;
  const secretKeys = deriveSecretKeys(config.secret);

  function open() {
    opened ??= (async () => {
      let applied = 0;
      // Opening applies pending migrations, as the server does at start.
      const storage = await openStorage(config, { onMigrated: (count) => (applied = count) });
      return { storage, applied };
    })();
    return opened;
  }

  const context: CliContext & { close(): Promise<void> } = {
    config,
    clock,
    print: (line) => void process.stdout.write(`${line}\n`),
    readStdin: (maxBytes) => readStandardInput(maxBytes, () => new CliError(`standard input is larger than ${maxBytes} bytes`)),
    storage: async () => (await open()).storage,
    appliedMigrations: async () => (await open()).applied,
    keySet(options = {}) {
      keySet ??= (async () => openKeySet((await open()).storage, config, clock, secretKeys, options))();
      return keySet;
    },
    accounts() {
      accounts ??= (async () => {
        const core = createCoreServices({
          storage: (await open()).storage,
          config,
          clock,
          keySet: await context.keySet(),
          secretKeys,
          hasher: createArgon2Hasher(OWASP_ARGON2ID, config.argon2Concurrency),
        });
        return core.accounts;
      })();
      return accounts;
    },
    async close() {
      // A failed open has nothing to close (openStorage closes what it opened before throwing).
      const storage = await opened?.then(
        (o) => o.storage,
        () => null,
      );
      await storage?.close();
    },
  };
  return context;
}
