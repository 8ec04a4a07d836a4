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
import { withDeviceLimits, withOAuthRateLimits, withRateLimits } from './abuse/limited-services';
import { createDeviceService } from './devices/device.service';
import { createRateLimits } from './abuse/rate-limits';
import { createEmailService } from './accounts/email.service';
import { createMailer, type Mailer } from './mail/mailer';
import { systemClock, type Clock } from './clock';
import type { Config } from './config';
import type { Services } from './context';
import { createApolloServer } from './http/apollo';
import type { QueryCompilation } from './http/compiled-queries';
import { isObserving } from './http/request-log';
import { createHttpServer, requestOrigin, type KeycardServer } from './http/server';
import { oauthRoutes } from './http/oauth/endpoints';
import { oauthIssuer } from './http/oauth/issuer';
import { createOAuthRouter } from './http/oauth/router';
import { createTokenIntrospection } from './tokens/introspection';
import { createLogger, type Logger } from './logger';
import { createPrometheusMetrics, NO_METRICS, type Metrics } from './metrics';
import { createMetricsServer } from './http/metrics-server';
import { trackInFlight } from './http/shutdown';
import { buildBaseSchema } from './schema/build-schema';
import { pruneStorage, type UpkeepResult } from './storage/upkeep';
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
  /** A CA to trust for SMTP_URL's certificate besides the system's (tests with a self-signed server). */
  smtpTlsCa?: string | Buffer;
  /** Waits between send attempts of one mail. @default MAIL_RETRY_DELAYS_MS */
  mailRetryDelaysMs?: readonly number[];
  /** When queries are compiled by graphql-jit. @default DEFAULT_QUERY_COMPILATION (src/http/compiled-queries.ts) */
  queryCompilation?: QueryCompilation;
}

export interface App {
  readonly config: Config;
  readonly services: Services;
  readonly keySet: KeySet;
  readonly accessTokens: AccessTokenService;
  readonly audit: AuditRepository;
  readonly storage: Storage;
  readonly server: KeycardServer;
  /** What the services count; NO_METRICS when METRICS_PORT is unset. */
  readonly metrics: Metrics;
  /**
   * Starts listening on config.host:config.port (0 = any free port) and returns the base URL;
   * with METRICS_PORT set, also serves /metrics on config.host:METRICS_PORT (metricsUrl).
   */
  listen(): Promise<{ url: string; port: number; metricsUrl: string | null }>;
  /** The mail transport (SMTP, or the dev outbox); `idle()` waits for mail work done off the request path. */
  readonly mailer: Mailer;
    /** Deletes expired sessions and tokens and audit events past AUDIT_RETENTION; also runs every PRUNE_INTERVAL. */
  prune(): Promise<UpkeepResult>;
  /**
   * Graceful: stops accepting, lets requests in flight finish (at most SHUTDOWN_TIMEOUT, or
   * `timeoutMs`), then stops the timers and closes the database (README "Shutdown").
   */
  close(options?: { timeoutMs?: number }): Promise<void>;
}

function listenOn(server: KeycardServer, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** Builds everything from config and injected dependencies: no module-level state anywhere. */
export async function createApp(config: Config, deps: AppDeps = {}): Promise<App> {
  const clock = deps.clock ?? systemClock;
  const logger = deps.logger ?? createLogger(config.logLevel);
  const storage =
    deps.storage ??
    (await openStorage(config, {
      onBackgroundError: (error) => logger.warn({ err: error }, 'database connection error; requests retry on a new connection'),
      // Created rather than refused, so a first `npm start` works; said, so a typo is noticed (README, "Storage").
      onWriteFailed: (error) => logger.error({ err: error }, 'a database write failed: the database cannot be written (disk full, read-only file or mount?)'),
      onCreatedFolder: (folder) => logger.warn({ folder }, 'the folder of DATABASE_URL did not exist: created it'),
    }));
  try {
    const secretKeys = deriveSecretKeys(config.secret);
    const keySet = await openKeySet(storage, config, clock, secretKeys, { algorithm: deps.signingAlgorithm, createFirstKey: deps.createFirstSigningKey });
    const { audit } = storage;
    const hasher = deps.hasher ?? createArgon2Hasher(OWASP_ARGON2ID, config.argon2Concurrency);
    const { accessTokens, sessions, accounts, apiTokens, oauth } = createCoreServices({ storage, config, clock, keySet, secretKeys, hasher });
    const limiterStore = deps.limiterStore ?? storage.limiterStore;
    const prometheus = config.metricsPort === null ? null : createPrometheusMetrics({ poolFigures: storage.poolFigures?.bind(storage) });
    const metrics: Metrics = prometheus ?? NO_METRICS;
    const limits = createRateLimits({ settings: config.rateLimits, store: limiterStore, audit, clock, metrics });
    const limited = withRateLimits({ accounts, sessions }, limits, metrics);
    const devices = createDeviceService({
      repository: storage.deviceAuthorizations,
      users: storage.users,
      // The limits are in front of the device service as a whole (withDeviceLimits), so not here too.
      sessions,
      clock,
      userCodeKey: secretKeys.userCode,
      clients: config.deviceClients,
      appUrl: config.appUrl,
    });
    const mailer = createMailer({ smtpUrl: config.smtpUrl, from: config.mailFrom, production: config.production, logger, tlsCa: deps.smtpTlsCa, retryDelaysMs: deps.mailRetryDelaysMs });
    const email = createEmailService({
      users: storage.users,
      oneTimeTokens: storage.oneTimeTokens,
      audit,
      sessions,
      hasher,
      clock,
      mailer,
      limits,
      logger,
      tokenKey: secretKeys.oneTimeToken,
      appUrl: config.appUrl,
    });
    const services: Services = {
      accounts: limited.accounts,
      sessions: limited.sessions,
      audit: createAuditService({ audit }),
      devices: withDeviceLimits(devices, limits),
      apiTokens,
      email,
      oauth: withOAuthRateLimits(oauth, limits),
    };
    const prune = () => pruneStorage({ storage, limiterStore, clock, auditRetentionMs: config.auditRetentionMs });

    const schema = applyPermissions(buildBaseSchema());
    const apollo = createApolloServer(schema, config, logger, { observing: isObserving(logger, metrics), queryCompilation: deps.queryCompilation });
    await apollo.start();
    const issuer = oauthIssuer(config);
    const oauthEndpoints = issuer
      ? createOAuthRouter({
          issuer,
          routes: oauthRoutes({
            sessions,
            devices: services.devices,
            clock,
            introspection: createTokenIntrospection({ accessTokens, sessionRepository: storage.sessions, sessions, apiTokens, clock, issuer }),
          }),
          rateLimit: (origin) => limits.oauth(origin),
          originOf: (req) => requestOrigin(req, config.trustProxyHops),
          logger,
        })
      : null;
    const server = createHttpServer({ config, apollo, services, keySet, clock, logger, metrics, isStorageReady: () => storage.ping(), oauth: oauthEndpoints, outbox: mailer.outbox });
    const drainer = trackInFlight(server);
    const metricsServer = prometheus ? createMetricsServer(prometheus.registry, logger) : null;
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
      metrics,
      mailer,
      prune,
      async listen() {
        const host = config.host.includes(':') ? `[${config.host}]` : config.host;
        const port = await listenOn(server, config.port, config.host);
        let metricsUrl: string | null = null;
        if (metricsServer) {
          try {
            metricsUrl = `http://${host}:${await listenOn(metricsServer, config.metricsPort!, config.host)}/metrics`;
          } catch (error) {
            server.close();
            throw error;
          }
        }
        return { url: `${config.tls ? 'https' : 'http'}://${host}:${port}`, port, metricsUrl };
      },
      async close(options = {}) {
        // In-flight requests first: they may still need the timers' keys and the database.
        await drainer.drain(options.timeoutMs ?? config.shutdownTimeoutMs);
        await pruneTimer.stop();
        await keyMaintenance.stop();
        if (metricsServer?.listening) {
          await new Promise<void>((resolve) => {
            metricsServer.close(() => resolve());
            metricsServer.closeAllConnections();
          });
        }
        await apollo.stop();
        await mailer.close();
        // SQLite: flushes the group commit and checkpoints the WAL; PostgreSQL: ends the pool.
        await storage.close();
      },
    };
  } catch (error) {
    await storage.close();
    throw error;
  }
}
