import { createAccountService } from './accounts/account.service';
import { createAccessTokenService } from './tokens/access-token';
import { createKeySet, type KeySet } from './keys/key-set';
import type { PasswordHasher } from './accounts/password';
import type { SecretKeys } from './keys/secret-keys';
import type { SigningAlgorithm } from './keys/signing-keys';
import type { Clock } from './clock';
import type { Config } from './config';
import { createOAuthService } from './oauth/oauth.service';
import { createProviderRegistry } from './oauth/registry';
import { createSessionService } from './sessions/session.service';
import { createApiTokenService } from './tokens/api-token.service';
import type { Storage } from './storage/storage';

/**
 * The business core, wired from config: what the HTTP server and the operator CLI share, so a
 * command gets the same validation, key handling and audit trail as a request.
 */

/** Loads the signing keys (creating the first one) and checks them against KEYCARD_SECRET. */
/** `createFirstKey` defaults to outside production only (see KeySetOptions.createFirstKey). */
export function openKeySet(
  storage: Pick<Storage, 'signingKeys'>,
  config: Config,
  clock: Clock,
  secretKeys: SecretKeys,
  { algorithm = config.jwtAlgorithm, createFirstKey = !config.production }: { algorithm?: SigningAlgorithm; createFirstKey?: boolean } = {},
): Promise<KeySet> {
  return createKeySet({
    createFirstKey,
    repository: storage.signingKeys,
    encryptionKey: secretKeys.keyEncryption,
    clock,
    algorithm,
    verifyWindowMs: config.accessTokenTtlMs + config.clockToleranceMs,
  });
}

export interface CoreDeps {
  storage: Storage;
  config: Config;
  clock: Clock;
  keySet: KeySet;
  secretKeys: SecretKeys;
  hasher: PasswordHasher;
}

export function createCoreServices({ storage, config, clock, keySet, secretKeys, hasher }: CoreDeps) {
  const accessTokens = createAccessTokenService({
    keySet,
    clock,
    issuer: config.jwtIssuer,
    audience: config.jwtAudience,
    ttlMs: config.accessTokenTtlMs,
    clockToleranceMs: config.clockToleranceMs,
  });
  const apiTokens = createApiTokenService({ apiTokens: storage.apiTokens, clock });
  const sessions = createSessionService({
    sessions: storage.sessions,
    accessTokens,
    clock,
    refreshTokenTtlMs: config.refreshTokenTtlMs,
    sessionMaxAgeMs: config.sessionMaxAgeMs,
    refreshReuseGraceMs: config.refreshReuseGraceMs,
    refreshDerivationKey: secretKeys.refreshDerivation,
    csrfKey: secretKeys.csrf,
    authenticateApiToken: (token) => apiTokens.authenticate(token),
    requireEmailVerification: config.requireEmailVerification,
  });
  const accounts = createAccountService({ users: storage.users, audit: storage.audit, sessions, hasher, clock, requireEmailVerification: config.requireEmailVerification });
  const oauth = createOAuthService({
    providers: createProviderRegistry(config, clock),
    redirectUris: config.oauth.redirectUris,
    repository: storage.oauth,
    users: storage.users,
    sessions,
    audit: storage.audit,
    clock,
    verifierKey: secretKeys.oauthVerifier,
  });
  return { accessTokens, sessions, accounts, apiTokens, oauth };
}
