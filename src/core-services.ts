import { createAccountService } from './accounts/account.service';
import { createUserRepository } from './accounts/user.repository';
import { createAccessTokenService } from './auth/access-token';
import { createKeySet, type KeySet } from './auth/key-set';
import type { PasswordHasher } from './auth/password';
import type { SecretKeys } from './auth/secret-keys';
import { createSigningKeyRepository } from './auth/signing-key.repository';
import type { SigningAlgorithm } from './auth/signing-keys';
import { createAuditRepository } from './audit/audit.repository';
import type { Clock } from './clock';
import type { Config } from './config';
import type { Db } from './db/client';
import { createSessionRepository } from './sessions/session.repository';
import { createSessionService } from './sessions/session.service';
import { createViewerStateChanges } from './sessions/viewer-state-cache';

/**
 * The business core, wired from config: what the HTTP server and the operator CLI share, so a
 * command gets the same validation, key handling and audit trail as a request.
 */

/** Loads the signing keys (creating the first one) and checks them against KEYCARD_SECRET. */
/** `createFirstKey` defaults to outside production only (see KeySetOptions.createFirstKey). */
export function openKeySet(
  db: Db,
  config: Config,
  clock: Clock,
  secretKeys: SecretKeys,
  { algorithm = config.jwtAlgorithm, createFirstKey = !config.production }: { algorithm?: SigningAlgorithm; createFirstKey?: boolean } = {},
): Promise<KeySet> {
  return createKeySet({
    createFirstKey,
    repository: createSigningKeyRepository(db),
    encryptionKey: secretKeys.keyEncryption,
    clock,
    algorithm,
    verifyWindowMs: config.accessTokenTtlMs + config.clockToleranceMs,
  });
}

export interface CoreDeps {
  db: Db;
  config: Config;
  clock: Clock;
  keySet: KeySet;
  secretKeys: SecretKeys;
  hasher: PasswordHasher;
}

export function createCoreServices({ db, config, clock, keySet, secretKeys, hasher }: CoreDeps) {
  const accessTokens = createAccessTokenService({
    keySet,
    clock,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlMs: config.accessTokenTtlMs,
    clockToleranceMs: config.clockToleranceMs,
  });
  const audit = createAuditRepository(db);
  // One version for both repositories: a write through either invalidates the session check's cache.
  const viewerStateChanges = createViewerStateChanges();
  const sessionRepository = createSessionRepository(db, viewerStateChanges);
  const sessions = createSessionService({
    sessions: sessionRepository,
    accessTokens,
    clock,
    refreshTokenTtlMs: config.refreshTokenTtlMs,
    sessionMaxAgeMs: config.sessionMaxAgeMs,
    refreshReuseGraceMs: config.refreshReuseGraceMs,
    refreshDerivationKey: secretKeys.refreshDerivation,
    csrfKey: secretKeys.csrf,
  });
  const accounts = createAccountService({ users: createUserRepository(db, viewerStateChanges), audit, sessions, hasher, clock });
  return { accessTokens, audit, sessionRepository, sessions, accounts };
}
