import { createAccountService, type AccountService } from '../accounts/account.service';
import { createUserRepository } from '../accounts/user.repository';
import { createAccessTokenService } from '../auth/access-token';
import { createKeySet, type KeySet } from '../auth/key-set';
import { createArgon2Hasher } from '../auth/password';
import { deriveSecretKeys } from '../auth/secret-keys';
import { createSigningKeyRepository } from '../auth/signing-key.repository';
import { createAuditRepository } from '../audit/audit.repository';
import type { Clock } from '../clock';
import type { Config } from '../config';
import type { DatabaseHandle } from '../db/client';
import { createSessionRepository } from '../sessions/session.repository';
import { createSessionService } from '../sessions/session.service';
import type { CliContext } from './command';
import { openMigratedDatabase } from './database';
import { readStandardInput } from './stdin';
import { CliError } from './cli-error';

/**
 * The server's own factories, minus HTTP: a command gets the same validation, key handling and
 * audit trail as a request would, and builds only what it asks for.
 */
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
    keySet() {
      keySet ??= createKeySet({
        repository: createSigningKeyRepository(open().handle.db),
        encryptionKey: secretKeys.keyEncryption,
        clock,
        algorithm: config.jwtAlgorithm,
        verifyWindowMs: config.accessTokenTtlMs + config.clockToleranceMs,
      });
      return keySet;
    },
    accounts() {
      accounts ??= (async () => {
        const { db } = open().handle;
        const accessTokens = createAccessTokenService({
          keySet: await context.keySet(),
          clock,
          issuer: config.jwtIssuer,
          audience: config.jwtAudience,
          ttlMs: config.accessTokenTtlMs,
          clockToleranceMs: config.clockToleranceMs,
        });
        const sessions = createSessionService({
          sessions: createSessionRepository(db),
          accessTokens,
          clock,
          refreshTokenTtlMs: config.refreshTokenTtlMs,
          sessionMaxAgeMs: config.sessionMaxAgeMs,
          refreshReuseGraceMs: config.refreshReuseGraceMs,
          refreshDerivationKey: secretKeys.refreshDerivation,
          csrfKey: secretKeys.csrf,
        });
        return createAccountService({ users: createUserRepository(db), audit: createAuditRepository(db), sessions, hasher: createArgon2Hasher(), clock });
      })();
      return accounts;
    },
    close() {
      opened?.handle.close();
    },
  };
  return context;
}
