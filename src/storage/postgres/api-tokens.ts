import { and, asc, count, eq, gt, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { ApiTokenLimitError, decodeScopes, encodeScopes, isLiveApiTokenState, type ApiToken, type ApiTokenRepository, type ApiTokenViewerState } from '../api-tokens';
import { createViewerStateCache, type ViewerStateChanges } from '../viewer-state-cache';
import { inTransaction, notifyViewerStateChanged, writeAudit, type PgDb } from './database';
import { translatingErrors } from './errors';
import { apiTokens, userListColumns, users } from './schema';

/** Tokens remembered by the viewer-state cache (as for sessions). */
const CACHE_ENTRIES = 10_000;

type Row = typeof apiTokens.$inferSelect;

function toApiToken(row: Row): ApiToken {
  return { ...row, scopes: decodeScopes(row.scopes) };
}

export interface PostgresApiTokenRepositoryOptions {
  /** The LISTEN side (viewer-state-listener.ts): null while it is down, so nothing cached is served. */
  databaseVersion(): number | null;
  onViewerStateRead?(): void;
}

/**
 * API tokens on PostgreSQL. A revocation NOTIFYs in its transaction, like a session's end, so
 * every instance's cache drops the token before its next request; a disabled owner or a role
 * change already notifies from the users repository.
 */
export function createPostgresApiTokenRepository(db: PgDb, changes: ViewerStateChanges, options: PostgresApiTokenRepositoryOptions): ApiTokenRepository {
  const cache = createViewerStateCache<ApiTokenViewerState>({ changes, databaseVersion: options.databaseVersion, maxEntries: CACHE_ENTRIES, isLive: isLiveApiTokenState });
  const onRead = options.onViewerStateRead ?? (() => {});
  const state = db
    .select({
      tokenId: apiTokens.id,
      userId: apiTokens.userId,
      scopes: apiTokens.scopes,
      role: users.role,
      revokedAt: apiTokens.revokedAt,
      expiresAt: apiTokens.expiresAt,
      disabledAt: users.disabledAt,
      lastUsedAt: apiTokens.lastUsedAt,
      createdAt: apiTokens.createdAt,
      user: userListColumns,
    })
    .from(apiTokens)
    .innerJoin(users, eq(users.id, apiTokens.userId))
    .where(eq(apiTokens.tokenHash, sql.placeholder('hash')))
    .prepare('kc_api_token_state');

  const live = (userId: string, now: Date) =>
    and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)));

  return translatingErrors<ApiTokenRepository>({
    async create(token, limit, now, audit) {
      await inTransaction(db, async (tx) => {
        // The owner's row lock serialises two creates of one user across instances, so the count holds.
        await tx.select({ id: users.id }).from(users).where(eq(users.id, token.userId)).for('no key update');
        const [held] = await tx.select({ n: count() }).from(apiTokens).where(live(token.userId, now));
        if ((held?.n ?? 0) >= limit) throw new ApiTokenLimitError(limit);
        await tx.insert(apiTokens).values({ ...token, scopes: encodeScopes(token.scopes) });
        await writeAudit(tx, now, audit);
      });
    },
    async findById(id) {
      const [row] = await db.select().from(apiTokens).where(eq(apiTokens.id, id));
      return row ? toApiToken(row) : undefined;
    },
    async findByHash(tokenHash) {
      const [row] = await db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash));
      return row ? toApiToken(row) : undefined;
    },
    async findViewerState(tokenHash, nowMs) {
      return cache.read(tokenHash, nowMs, async () => {
        onRead();
        const [row] = await state.execute({ hash: tokenHash });
        return row ? { ...row, scopes: decodeScopes(row.scopes) } : undefined;
      });
    },
    async listLiveForUser(userId, now) {
      return (await db.select().from(apiTokens).where(live(userId, now)).orderBy(asc(apiTokens.createdAt))).map(toApiToken);
    },
    async revoke(id, at, audit) {
      return inTransaction(db, async (tx) => {
        const ended = await tx.update(apiTokens).set({ revokedAt: at }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
        if (ended.rowCount !== 1) return false;
        await writeAudit(tx, at, audit);
        await notifyViewerStateChanged(tx, `api-token:${id}`);
        return true;
      });
    },
    async touchLastUsed(id, at, notBefore) {
      // Conditional: of many instances serving one token, only the first each minute writes.
      const result = await db
        .update(apiTokens)
        .set({ lastUsedAt: at })
        .where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, notBefore))));
      return result.rowCount === 1;
    },
    async pruneExpired(cutoff) {
      const result = await db
        .delete(apiTokens)
        .where(or(and(isNotNull(apiTokens.revokedAt), lt(apiTokens.revokedAt, cutoff)), and(isNotNull(apiTokens.expiresAt), lt(apiTokens.expiresAt, cutoff))));
      return result.rowCount ?? 0;
    },
  });
}
