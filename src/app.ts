import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { applyMiddleware } from 'graphql-middleware';
import { createAccessTokenService, type AccessTokenService } from './auth/access-token';
import { createKeySet, type KeySet } from './auth/key-set';
import { createArgon2Hasher, type PasswordHasher } from './auth/password';
import { createPermissions } from './auth/permissions';
import { deriveSecretKeys } from './auth/secret-keys';
import { createSigningKeyRepository } from './auth/signing-key.repository';
import type { SigningAlgorithm } from './auth/signing-keys';
import { createAccountService } from './accounts/account.service';
import { createUserRepository } from './accounts/user.repository';
import { createAuditRepository, type AuditRepository } from './audit/audit.repository';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import type { Services } from './context';
import { openDatabase, type DatabaseHandle } from './db/client';
import { applyMigrations } from './db/migrate';
import { createApolloServer } from './http/apollo';
import { createHttpServer } from './http/server';
import { createLogger, type Logger } from './logger';
import { buildBaseSchema } from './schema/build-schema';
import { createSessionRepository } from './sessions/session.repository';
import { createSessionService } from './sessions/session.service';

export interface AppDeps {
  clock?: Clock;
  logger?: Logger;
  hasher?: PasswordHasher;
  signingAlgorithm?: SigningAlgorithm;
}

export interface App {
  readonly config: Config;
  readonly services: Services;
  readonly keySet: KeySet;
  readonly accessTokens: AccessTokenService;
  readonly audit: AuditRepository;
  readonly database: DatabaseHandle;
  readonly server: http.Server;
  /** Starts listening on config.host:config.port (0 = any free port) and returns the base URL. */
  listen(): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
}

/** Builds everything from config and injected dependencies: no module-level state anywhere. */
export async function createApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const database = openDatabase(config.databasePath);
  try {
    applyMigrations(database.db);
    const secretKeys = deriveSecretKeys(config.secret);
    const keySet = await createKeySet({
      repository: createSigningKeyRepository(database.db),
      encryptionKey: secretKeys.keyEncryption,
      clock,
      algorithm: deps.signingAlgorithm ?? 'ES256',
    });
    const accessTokens = createAccessTokenService({
      keySet,
      clock,
      issuer: config.jwtIssuer,
      audience: config.jwtAudience,
      ttlMs: config.accessTokenTtlMs,
      clockToleranceMs: config.clockToleranceMs,
    });
    const audit = createAuditRepository(database.db);
    const sessions = createSessionService({
      sessions: createSessionRepository(database.db),
      accessTokens,
      clock,
      refreshTokenTtlMs: config.refreshTokenTtlMs,
      sessionMaxAgeMs: config.sessionMaxAgeMs,
      refreshReuseGraceMs: config.refreshReuseGraceMs,
      refreshDerivationKey: secretKeys.refreshDerivation,
      csrfKey: secretKeys.csrf,
    });
    const accounts = createAccountService({
      users: createUserRepository(database.db),
      audit,
      sessions,
      hasher: deps.hasher ?? createArgon2Hasher(),
      clock,
    });
    const services: Services = { accounts, sessions };

    const schema = applyMiddleware(buildBaseSchema(), createPermissions());
    const apollo = createApolloServer(schema, config, logger);
    await apollo.start();
    const server = createHttpServer({ config, apollo, services, keySet, clock, logger, isDatabaseReady: () => database.ping() });

    return {
      config,
      services,
      keySet,
      accessTokens,
      audit,
      database,
      server,
      listen() {
        return new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(config.port, config.host, () => {
            server.off('error', reject);
            const { port } = server.address() as AddressInfo;
            const host = config.host.includes(':') ? `[${config.host}]` : config.host;
            resolve({ url: `http://${host}:${port}`, port });
          });
        });
      },
      async close() {
        await new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await apollo.stop();
        database.close();
      },
    };
  } catch (error) {
    database.close();
    throw error;
  }
}
