import path from 'node:path';
import { ConfigError, type Config, type DatabaseDialect } from '../config';
import type { PoolFigures } from '../metrics';
import type { ApiTokenRepository } from './api-tokens';
import type { AuditRepository } from './audit';
import type { DeviceAuthorizationRepository } from './device-authorizations';
import type { OAuthRepository } from './oauth';
import type { LimiterStore } from './rate-limits';
import type { OneTimeTokenRepository } from './one-time-tokens';
import type { SessionRepository } from './sessions';
import type { SigningKeyRepository } from './signing-keys';
import type { CopyCounts } from './postgres/copy-from-sqlite';
import { DatabasePathError } from './sqlite/client';
import { openSqliteStorage } from './sqlite/storage';
import type { UserRepository } from './users';

/**
 * Everything Keycard keeps, behind one interface per domain. Services, resolvers, the CLI and
 * the app reach storage only through these repositories, which speak domain types; an adapter
 * (src/storage/sqlite/, src/storage/postgres/) is the only code that knows a driver.
 */
export interface Storage {
  readonly dialect: 'sqlite' | 'postgres';
  readonly users: UserRepository;
  readonly sessions: SessionRepository;
  readonly apiTokens: ApiTokenRepository;
  readonly audit: AuditRepository;
  readonly signingKeys: SigningKeyRepository;
  readonly deviceAuthorizations: DeviceAuthorizationRepository;
  /** Mailed one-time tokens; `consume` acts on users and sessions in the same transaction. */
  readonly oneTimeTokens: OneTimeTokenRepository;
  /** Social login: attempts in flight (state) and linked provider identities. */
  readonly oauth: OAuthRepository;
  readonly limiterStore: LimiterStore;
  /** true when the database answers (for /readyz). */
  ping(): Promise<boolean>;
  /** The connection pool's figures for the metrics (PostgreSQL); absent where there is no pool (SQLite's one connection). */
  poolFigures?(): PoolFigures;
  /** Finishes pending writes, then closes every connection (SQLite: checkpoints the WAL first). */
  close(): Promise<void>;
}

/** What an adapter is told besides the config; every field is optional. */
export interface StorageOptions {
  /** Called once the open has applied pending migrations, with how many it applied (the CLI's `migrate` reports it). */
  onMigrated?(applied: number): void;
  /** Called whenever the session check reads the database instead of its cache (tests count these). */
  onViewerStateRead?(): void;
  /** Errors no caller waits for (PostgreSQL: an idle pooled connection closed, the LISTEN connection lost): to log. */
  onBackgroundError?(error: unknown): void;
  /** A write failed because the database could not take it (disk full, read-only file): to log; the client sees SERVICE_UNAVAILABLE. */
  onWriteFailed?(error: unknown): void;
  /** SQLite: the folder of DATABASE_URL's file did not exist and was created (to log). */
  onCreatedFolder?(folder: string): void;
}

/** Opens one kind of database from the config with its migrations applied; the Storage owns its connections until close(). */
export type StorageOpener = (config: Config, options: StorageOptions) => Promise<Storage>;

export type StorageAdapters = Readonly<Partial<Record<DatabaseDialect, StorageOpener>>>;

/** The adapters this build has, by the dialect of DATABASE_URL: an adapter plugs in with one line here. */
export const STORAGE_ADAPTERS: StorageAdapters = {
  sqlite: (config, options) => {
    if (config.databasePath === null) throw new ConfigError('DATABASE_URL', 'a SQLite database needs file:<path> or :memory:');
    // A path that cannot be used is a configuration error: one plain line naming the variable.
    return openSqliteStorage(config.databasePath, options).catch((error: unknown) => {
      throw error instanceof DatabasePathError ? new ConfigError('DATABASE_URL', error.message) : error;
    });
  },
  // Loaded on first use: a SQLite server never loads pg and its Drizzle driver (~10 MB resident).
  postgres: async (config, options) => {
    const { openPostgresStorage } = require('./postgres/storage') as typeof import('./postgres/storage');
    return openPostgresStorage({ url: config.databaseUrl, pool: config.databasePool, ...options });
  },
};

/**
 * The database DATABASE_URL resolves to, for the start-up log: the absolute file for SQLite
 * (a relative path depends on the working directory, the usual surprise), host, port and
 * database for PostgreSQL. Never the user or password.
 */
export function describeDatabase(config: Pick<Config, 'databaseDialect' | 'databasePath' | 'databaseUrl'>): string {
  if (config.databaseDialect === 'sqlite') {
    if (config.databasePath === null || config.databasePath === ':memory:') return 'SQLite in memory (nothing is kept after exit)';
    return `SQLite file ${path.resolve(config.databasePath)}`;
  }
  try {
    const url = new URL(config.databaseUrl);
    return `PostgreSQL database ${decodeURIComponent(url.pathname.slice(1)) || '(default)'} on ${url.hostname || 'localhost'}:${url.port || '5432'}`;
  } catch {
    return 'PostgreSQL';
  }
}

const DIALECT_NAMES: Record<DatabaseDialect, string> = { sqlite: 'SQLite', postgres: 'PostgreSQL' };

/** The storage of DATABASE_URL, migrated: the adapter is picked by the URL's dialect. */
export async function openStorage(config: Config, options: StorageOptions & { adapters?: StorageAdapters } = {}): Promise<Storage> {
  const { adapters = STORAGE_ADAPTERS, ...adapterOptions } = options;
  const open = adapters[config.databaseDialect];
  if (!open) {
    throw new ConfigError('DATABASE_URL', `${DIALECT_NAMES[config.databaseDialect]} support is not built yet: use file:<path> or :memory: (SQLite)`);
  }
  return open(config, adapterOptions);
}

export type { CopyCounts };

/** The target of db:copy already holds users: copying would merge two installations. */
export class CopyTargetNotEmptyError extends Error {
  constructor() {
    super('the PostgreSQL database already has users: copy into a new, empty database');
    this.name = 'CopyTargetNotEmptyError';
  }
}

/** Moves an installation from SQLite to PostgreSQL (the CLI's db:copy); see postgres/copy-from-sqlite.ts. */
export async function copySqliteToPostgres(sqlitePath: string, postgresUrl: string): Promise<CopyCounts> {
  const copy = require('./postgres/copy-from-sqlite') as typeof import('./postgres/copy-from-sqlite');
  return copy.copySqliteToPostgres(sqlitePath, postgresUrl);
}
