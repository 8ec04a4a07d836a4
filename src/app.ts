import type { AddressInfo } from 'node:net';
import type { AccessTokenService } from './tokens/access-token';
import { startKeyMaintenance } from './keys/key-maintenance';
import type { KeySet } from './keys/key-set';
import { OWASP_ARGON2ID, createArgon2Hasher, type PasswordHasher } from './accounts/password';
import { applyPermissions } from './permissions/apply-permissions';
import { deriveSecretKeys } from './keys/secret-keys';
import type { SigningAlgorithm } from './keys/signing-keys';
import { createCoreServices, openKeySet } from './core-services';
import { createAuditService } from './audit/audit.service';
import { withOAuthRateLimits, withRateLimits } from './abuse/limited-services';
import { createRateLimits } from './abuse/rate-limits';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import type { Services } from './context';
import { createApolloServer } from './http/apollo';
import { createHttpServer, type KeycardServer } from './http/server';
import { createLogger, type Logger } from './logger';
import { buildBaseSchema } from './schema/build-schema';
import { pruneExpired, type PruneResult } from './sessions/prune';
import { startPruneTimer } from './sessions/prune-timer';
import type { AuditRepository } from './storage/audit';
import type { LimiterStore } from './storage/rate-limits';
import { openStorage, type Storage } from './storage/storage';

export interface AppDeps {
  clock?: Clock;
  logger?: Logger;
  hasher?: PasswordHasher;
  /** The storage to use instead of opening DATABASE_URL's; the app owns it from here (app.close() closes it). */
  storage?: Storage;
  /** Where rate-limit counters live; default: the storage's. */
  limiterStore?: LimiterStore;
  signingAlgorithm?: SigningAlgorithm;
  /** Create the first signing key when there is none. @default outside production only */
  createFirstSigningKey?: boolean;
}

export interface App {
  readonly config: Config;
  readonly services: Services;
  readonly keySet: KeySet;
  readonly accessTokens: AccessTokenService;
  readonly audit: AuditRepository;
  readonly storage: Storage;
  readonly server: KeycardServer;
  /** Starts listening on config.host:config.port (0 = any free port) and returns the base URL. */
  listen(): Promise<{ url: string; port: number }>;
  /** Deletes expired sessions and tokens and audit events past AUDIT_RETENTION; also runs every PRUNE_INTERVAL. */
  prune(): Promise<PruneResult>;
  close(): Promise<void>;
}

/** Builds everything from config and injected dependencies: no module-level state anywhere. */
export async function createApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const storage =
    deps.storage ?? (await openStorage(config, { onBackgroundError: (error) => logger.warn({ err: error }, 'database connection error; requests retry on a new connection') }));
  try {
    const secretKeys = deriveSecretKeys(config.secret);
    const keySet = await openKeySet(storage, config, clock, secretKeys, { algorithm: deps.signingAlgorithm, createFirstKey: deps.createFirstSigningKey });
    const { audit } = storage;
    const { accessTokens, sessions, accounts, oauth } = createCoreServices({
      storage,
      config,
      clock,
      keySet,
      secretKeys,
      hasher: deps.hasher ?? createArgon2Hasher(OWASP_ARGON2ID, config.argon2Concurrency),
    });
    const limiterStore = deps.limiterStore ?? storage.limiterStore;
    const limits = createRateLimits({ settings: config.rateLimits, store: limiterStore, audit, clock });
    const limited = withRateLimits({ accounts, sessions }, limits);
    const services: Services = {
      accounts: limited.accounts,
      sessions: limited.sessions,
      audit: createAuditService({ audit }),
      oauth: withOAuthRateLimits(oauth, limits),
    };
    const prune = async () => {
      const pruned = await pruneExpired({ sessions: storage.sessions, audit, clock, auditRetentionMs: config.auditRetentionMs });
      await limits.clearExpired();
      await oauth.pruneStates(new Date(clock.now()));
      return pruned;
    };

    const schema = applyPermissions(buildBaseSchema());
    const apollo = createApolloServer(schema, config, logger);
    await apollo.start();
    const server = createHttpServer({ config, apollo, services, keySet, clock, logger, isStorageReady: () => storage.ping() });
    const pruneTimer = startPruneTimer({ intervalMs: config.pruneIntervalMs, prune, logger });
    const keyMaintenance = startKeyMaintenance({
      keySet,
      logger,
      reloadIntervalMs: config.keysReloadIntervalMs,
      rotationIntervalMs: config.keyRotationIntervalMs,
    });

    return {
      config,
      services,
      keySet,
      accessTokens,
      audit,
      storage,
      server,
      prune,
      listen() {
        return new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(config.port, config.host, () => {
            server.off('error', reject);
            const { port } = server.address() as AddressInfo;
            const host = config.host.includes(':') ? `[${config.host}]` : config.host;
            resolve({ url: `${config.tls ? 'https' : 'http'}://${host}:${port}`, port });
          });
        });
      },
      async close() {
        await pruneTimer.stop();
        await keyMaintenance.stop();
        await new Promise<void>((resolve) => {
          if (!server.listening) return resolve();
          server.close(() => resolve());
          server.closeAllConnections();
        });
        await apollo.stop();
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
