import { and, asc, count, eq, gt, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import { ApiTokenLimitError, decodeScopes, encodeScopes, type ApiToken, type ApiTokenRepository, type ApiTokenViewerState } from '../api-tokens';
import { createAuditWriter } from './audit';
import type { Db } from './client';
import { apiTokens, userListColumns, users } from './schema';

/** How the request check reads a token's state: `load` is the database read; the adapter puts the viewer-state cache in front. */
export type ApiTokenStateReader = (tokenHash: string, nowMs: number, load: () => Promise<ApiTokenViewerState | undefined>) => Promise<ApiTokenViewerState | undefined>;

type Row = typeof apiTokens.$inferSelect;

function toApiToken(row: Row): ApiToken {
  return { ...row, scopes: decodeScopes(row.scopes) };
}

/** API tokens in SQLite; the adapter wraps this so that every write not declared keeping bumps the viewer-state version. */
export function createApiTokenRepository(db: Db, readState: ApiTokenStateReader): ApiTokenRepository {
  const writeAudit = createAuditWriter(db);
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
    .prepare();
  const touch = db
    .update(apiTokens)
    .set({ lastUsedAt: sql`${sql.placeholder('at')}` })
    .where(and(eq(apiTokens.id, sql.placeholder('id')), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, sql`${sql.placeholder('notBefore')}`))))
    .prepare();

  const live = (userId: string, now: Date) =>
    and(eq(apiTokens.userId, userId), isNull(apiTokens.revokedAt), or(isNull(apiTokens.expiresAt), gt(apiTokens.expiresAt, now)));

  return {
    async create(token, limit, now, audit) {
      db.transaction(
        (tx) => {
          const [held] = tx.select({ n: count() }).from(apiTokens).where(live(token.userId, now)).all();
          if ((held?.n ?? 0) >= limit) throw new ApiTokenLimitError(limit);
          tx.insert(apiTokens).values({ ...token, scopes: encodeScopes(token.scopes) }).run();
          writeAudit(now, audit);
        },
        { behavior: 'immediate' },
      );
    },
    async findById(id) {
      const row = db.select().from(apiTokens).where(eq(apiTokens.id, id)).get();
      return row ? toApiToken(row) : undefined;
    },
    async findByHash(tokenHash) {
      const row = db.select().from(apiTokens).where(eq(apiTokens.tokenHash, tokenHash)).get();
      return row ? toApiToken(row) : undefined;
    },
    async findViewerState(tokenHash, nowMs) {
      return readState(tokenHash, nowMs, async () => {
        const row = state.get({ hash: tokenHash });
        return row ? { ...row, scopes: decodeScopes(row.scopes) } : undefined;
      });
    },
    async listLiveForUser(userId, now) {
      return db.select().from(apiTokens).where(live(userId, now)).orderBy(asc(apiTokens.createdAt)).all().map(toApiToken);
    },
    async revoke(id, at, audit) {
      return db.transaction(
        (tx) => {
          const ended = tx.update(apiTokens).set({ revokedAt: at }).where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt))).run();
          if (ended.changes === 1) writeAudit(at, audit);
          return ended.changes === 1;
        },
        { behavior: 'immediate' },
      );
    },
    async touchLastUsed(id, at, notBefore) {
      return touch.run({ id, at: at.getTime(), notBefore: notBefore.getTime() }).changes === 1;
    },
    async pruneExpired(cutoff) {
      return db
        .delete(apiTokens)
        .where(or(and(isNotNull(apiTokens.revokedAt), lt(apiTokens.revokedAt, cutoff)), and(isNotNull(apiTokens.expiresAt), lt(apiTokens.expiresAt, cutoff))))
        .run().changes;
    },
  };
}
