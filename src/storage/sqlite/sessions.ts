import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, ne, or, sql } from 'drizzle-orm';
import type { AuditEventInput } from '../../audit/audit-event';
import { PRUNE_BATCH_ROWS, yieldToRequests, type NewRefreshToken, type NewSession, type Rotation, type SessionRepository, type ViewerState } from '../sessions';
import { createAuditWriter } from './audit';
import type { Db } from './client';
import { createGroupCommit } from './group-commit';
import { refreshTokens, sessions, userListColumns, users } from './schema';

/** Drizzle's transaction handle and the database share this update API. */
type Writer = Pick<Db, 'update'>;

/**
 * Ends every live session of a user, optionally but one. Exported so that a change to the
 * account (password, disabled) and the end of its sessions commit in one transaction: there
 * is no moment in which the new password is set and an old session still works.
 */
export function endLiveSessionsOfUser(writer: Writer, userId: string, reason: string, at: Date, exceptSessionId?: string): number {
  return writer
    .update(sessions)
    .set({ revokedAt: at, revokedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), exceptSessionId ? ne(sessions.id, exceptSessionId) : undefined))
    .run().changes;
}

/**
 * How the session check reads a viewer state: `load` is the database read; the adapter puts the
 * viewer-state cache in front of it (src/storage/sqlite/storage.ts).
 */
export type ViewerStateReader = (sessionId: string, nowMs: number, load: () => Promise<ViewerState | undefined>) => Promise<ViewerState | undefined>;

/**
 * Sessions and refresh tokens in SQLite. Writes here do not bump the session check's cache
 * themselves: the adapter wraps this repository so that every method not in SESSION_READS does
 * (src/storage/invalidation.ts).
 */
export function createSessionRepository(db: Db, readViewerState: ViewerStateReader): SessionRepository {
  const writeAudit = createAuditWriter(db);
  const viewerState = db
    .select({
      sessionId: sessions.id,
      userId: sessions.userId,
      role: users.role,
      revokedAt: sessions.revokedAt,
      expiresAt: sessions.expiresAt,
      disabledAt: users.disabledAt,
      user: userListColumns,
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(sessions.id, sql.placeholder('id')))
    .prepare();
  const refreshState = db
    .select({
      token: {
        id: refreshTokens.id,
        createdAt: refreshTokens.createdAt,
        expiresAt: refreshTokens.expiresAt,
        rotatedAt: refreshTokens.rotatedAt,
        rotationNonce: refreshTokens.rotationNonce,
        replacedBy: refreshTokens.replacedBy,
      },
      session: {
        id: sessions.id,
        csrfTokenHash: sessions.csrfTokenHash,
        revokedAt: sessions.revokedAt,
        expiresAt: sessions.expiresAt,
        maxExpiresAt: sessions.maxExpiresAt,
        scopes: sessions.scopes,
        clientId: sessions.clientId,
      },
      user: userListColumns,
    })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(eq(refreshTokens.tokenHash, sql.placeholder('hash')))
    .prepare();
  const tokenById = db.select().from(refreshTokens).where(eq(refreshTokens.id, sql.placeholder('id'))).prepare();
  const sessionById = db.select().from(sessions).where(eq(sessions.id, sql.placeholder('id'))).prepare();
  // The rotation runs on every refresh: its statements are prepared once (~6x cheaper than
  // building and compiling them per call, performance.md). Raw SQL placeholders take epoch ms.
  const markRotated = db
    .update(refreshTokens)
    .set({ rotatedAt: sql`${sql.placeholder('at')}`, rotationNonce: sql`${sql.placeholder('nonce')}`, replacedBy: sql`${sql.placeholder('successorId')}` })
    .where(and(eq(refreshTokens.id, sql.placeholder('tokenId')), isNull(refreshTokens.rotatedAt)))
    .prepare();
  const insertToken = db
    .insert(refreshTokens)
    .values({
      id: sql.placeholder('id'),
      sessionId: sql.placeholder('sessionId'),
      tokenHash: sql.placeholder('tokenHash'),
      createdAt: sql.placeholder('createdAt'),
      expiresAt: sql.placeholder('expiresAt'),
    })
    .prepare();
  const touchSession = db
    .update(sessions)
    .set({ lastUsedAt: sql`${sql.placeholder('at')}`, expiresAt: sql`${sql.placeholder('expiresAt')}` })
    .where(eq(sessions.id, sql.placeholder('sessionId')))
    .prepare();

  // Every login starts a session: prepared, in a transaction built once, like the rotation.
  const insertSession = db
    .insert(sessions)
    .values({
      id: sql.placeholder('id'),
      userId: sql.placeholder('userId'),
      createdAt: sql.placeholder('createdAt'),
      lastUsedAt: sql.placeholder('lastUsedAt'),
      expiresAt: sql.placeholder('expiresAt'),
      maxExpiresAt: sql.placeholder('maxExpiresAt'),
      userAgent: sql.placeholder('userAgent'),
      ip: sql.placeholder('ip'),
      csrfTokenHash: sql.placeholder('csrfTokenHash'),
      scopes: sql.placeholder('scopes'),
      clientId: sql.placeholder('clientId'),
    })
    .prepare();
  const startInTransaction = db.$client.transaction((session: NewSession, token: NewRefreshToken, audit: AuditEventInput) => {
    insertSession.run({ userAgent: null, ip: null, csrfTokenHash: null, scopes: null, clientId: null, ...session });
    insertToken.run({ ...token, sessionId: session.id });
    writeAudit(session.createdAt, audit);
  });

  // Built once on the driver (drizzle's db.transaction() builds a transaction object and a
  // wrapper per call, ~5% of a refresh), and committed in groups: rotations asked for in one
  // turn of the event loop share a commit (group-commit.ts). The prepared statements
  // above run on the same connection, so they join it.
  const rotateInGroup = createGroupCommit(db.$client, (r: Rotation): boolean => {
    const marked = markRotated.run({ at: r.at.getTime(), nonce: r.nonce, successorId: r.successor.id, tokenId: r.tokenId });
    if (marked.changes !== 1) return false;
    insertToken.run({ ...r.successor, sessionId: r.sessionId });
    touchSession.run({ at: r.at.getTime(), expiresAt: r.sessionExpiresAt.getTime(), sessionId: r.sessionId });
    writeAudit(r.at, r.audit);
    return true;
  });

  const deleteExpiredTokens = (cutoff: Date): number =>
    db
      .delete(refreshTokens)
      .where(inArray(refreshTokens.id, db.select({ id: refreshTokens.id }).from(refreshTokens).where(lt(refreshTokens.expiresAt, cutoff)).limit(PRUNE_BATCH_ROWS)))
      .run().changes;
  // Tokens go first, explicitly rather than by cascade, so that the count includes them.
  const deleteEndedSessions = db.$client.transaction((cutoff: Date) => {
    const ids = db
      .select({ id: sessions.id })
      .from(sessions)
      .where(or(lt(sessions.expiresAt, cutoff), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, cutoff))))
      .limit(PRUNE_BATCH_ROWS)
      .all()
      .map((row) => row.id);
    if (ids.length === 0) return { sessions: 0, refreshTokens: 0 };
    const tokens = db.delete(refreshTokens).where(inArray(refreshTokens.sessionId, ids)).run().changes;
    return { sessions: db.delete(sessions).where(inArray(sessions.id, ids)).run().changes, refreshTokens: tokens };
  }).immediate;

  return {
    async create(session, token, audit) {
      startInTransaction.immediate(session, token, audit);
    },
    async findById(id) {
      return sessionById.get({ id });
    },
    async findViewerState(id, nowMs) {
      return readViewerState(id, nowMs, async () => viewerState.get({ id }));
    },
    async findRefreshState(hash) {
      return refreshState.get({ hash });
    },
    async findTokenById(id) {
      return tokenById.get({ id });
    },
    async rotate(r) {
      return rotateInGroup(r);
    },
    async revoke(sessionId, reason, at, audit) {
      return db.transaction(
        (tx) => {
          const ended = tx
            .update(sessions)
            .set({ revokedAt: at, revokedReason: reason })
            .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)))
            .run();
          if (audit) writeAudit(at, audit);
          return ended.changes === 1;
        },
        { behavior: 'immediate' },
      );
    },
    async revokeAllForUser(userId, reason, at, { exceptSessionId, audit }) {
      return db.transaction(
        (tx) => {
          const ended = endLiveSessionsOfUser(tx, userId, reason, at, exceptSessionId);
          if (audit) writeAudit(at, { ...audit, detail: { ...audit.detail, sessionsEnded: ended } });
          return ended;
        },
        { behavior: 'immediate' },
      );
    },
    async listLiveForUser(userId, now) {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
        .orderBy(asc(sessions.createdAt))
        .all();
    },
    async pruneExpired(cutoff) {
      // Batches, each its own short transaction, with the event loop free between two; the
      // filters run on indexes (sessions_expires_at_idx, sessions_revoked_at_idx,
      // refresh_tokens_expires_at_idx). A rotated token of a live session is kept until it
      // expires so that its reuse is still recognised as theft.
      const counts = { sessions: 0, refreshTokens: 0 };
      for (;;) {
        const deleted = deleteExpiredTokens(cutoff);
        counts.refreshTokens += deleted;
        if (deleted < PRUNE_BATCH_ROWS) break;
        await yieldToRequests();
      }
      for (;;) {
        const batch = deleteEndedSessions(cutoff);
        counts.sessions += batch.sessions;
        counts.refreshTokens += batch.refreshTokens;
        if (batch.sessions < PRUNE_BATCH_ROWS) break;
        await yieldToRequests();
      }
      return counts;
    },
  };
}
