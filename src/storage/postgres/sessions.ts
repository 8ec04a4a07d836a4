import { and, asc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from 'drizzle-orm';
import type pg from 'pg';
import { PRUNE_BATCH_ROWS, yieldToRequests, type RefreshState, type SessionRepository, type ViewerState } from '../sessions';
import { createViewerStateCache, type ViewerStateChanges } from '../viewer-state-cache';
import { inTransaction, notifyViewerStateChanged, retryingStatement, writeAudit, type PgDb } from './database';
import { translatingErrors } from './errors';
import { refreshTokens, sessions, userListColumns, users } from './schema';
import { timeOrderedId } from '../time-ordered-id';
import { endLiveSessionsOfUser } from './users';

/** Sessions remembered by the viewer-state cache: ~1 KB each (as on SQLite). */
const VIEWER_CACHE_ENTRIES = 10_000;

/**
 * The rotation of a refresh token in one statement, so one round trip and no lock held between
 * statements: the conditional UPDATE is the guard (`rotated_at IS NULL`), and the successor, the
 * session's new expiry and the audit event are written only from its RETURNING row. PostgreSQL
 * runs every data-modifying WITH clause to completion in the statement's one implicit
 * transaction: all of it commits or none. Two instances rotating one token at once: the second
 * UPDATE waits for the first's row lock, re-checks `rotated_at IS NULL` against the committed
 * row, matches nothing, and so writes nothing (it returns 0).
 */
const ROTATE_SQL = `
WITH marked AS (
  UPDATE refresh_tokens
     SET rotated_at = $1::timestamptz, rotation_nonce = $2, replaced_by = $3
   WHERE id = $4 AND rotated_at IS NULL
  RETURNING id
), successor AS (
  INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at)
  SELECT $3, $5, $6, $7::timestamptz, $8::timestamptz FROM marked
), touched AS (
  UPDATE sessions SET last_used_at = $1::timestamptz, expires_at = $9::timestamptz
   WHERE id = $5 AND EXISTS (SELECT 1 FROM marked)
), audited AS (
  INSERT INTO audit_events (id, at, type, user_id, actor_id, session_id, ip, user_agent, detail)
  SELECT $10, $1::timestamptz, $11, $12, $13, $14, $15, $16, $17::json FROM marked
)
SELECT count(*)::int AS rotated FROM marked`;

/**
 * findRefreshState and ROTATE_SQL in one statement: one round trip where a refresh took two.
 * `state` is read once, in the statement's snapshot, and returned as it was; the conditional
 * UPDATE rotates only if the token is current, its session live and its user enabled in that
 * state, and the caller's conditions hold ($5, $6). Every WITH clause sees the same snapshot,
 * so what is returned is what was decided on. A concurrent rotation is met as in ROTATE_SQL:
 * the UPDATE waits for the row lock, re-checks `rotated_at IS NULL` against the committed row,
 * matches nothing, and the statement answers the state before it with `rotated` 0.
 */
const FIND_AND_ROTATE_SQL = `
WITH state AS (
  SELECT t.id AS token_id, t.created_at AS token_created_at, t.expires_at AS token_expires_at,
         t.rotated_at, t.rotation_nonce, t.replaced_by,
         s.id AS session_id, s.csrf_token_hash, s.revoked_at, s.expires_at AS session_expires_at,
         s.max_expires_at, s.scopes, s.client_id,
         u.id AS user_id, u.email, u.display_name, u.role, u.disabled_at, u.email_verified_at,
         u.created_at AS user_created_at
    FROM refresh_tokens t
    JOIN sessions s ON s.id = t.session_id
    JOIN users u ON u.id = s.user_id
   WHERE t.token_hash = $1
), marked AS (
  UPDATE refresh_tokens AS t
     SET rotated_at = $2::timestamptz, rotation_nonce = $3, replaced_by = $4
    FROM state
   WHERE t.id = state.token_id AND t.rotated_at IS NULL
     AND state.revoked_at IS NULL AND state.disabled_at IS NULL
     AND $2::timestamptz < state.token_expires_at
     AND $2::timestamptz < state.session_expires_at
     AND $2::timestamptz < state.max_expires_at
     AND ($5::text IS NULL OR state.user_id = $5::text)
     AND (NOT $6::boolean OR state.email_verified_at IS NOT NULL)
  RETURNING state.session_id, state.user_id, LEAST($7::timestamptz, state.max_expires_at) AS expires_at
), successor AS (
  INSERT INTO refresh_tokens (id, session_id, token_hash, created_at, expires_at)
  SELECT $4, session_id, $8, $2::timestamptz, expires_at FROM marked
), touched AS (
  UPDATE sessions SET last_used_at = $2::timestamptz, expires_at = marked.expires_at
    FROM marked
   WHERE sessions.id = marked.session_id
), audited AS (
  INSERT INTO audit_events (id, at, type, user_id, actor_id, session_id, ip, user_agent, detail)
  SELECT $9, $2::timestamptz, $10, user_id, user_id, session_id, $11, $12, NULL FROM marked
)
SELECT state.*, (SELECT count(*) FROM marked)::int AS rotated FROM state`;

interface FindAndRotateRow {
  token_id: string;
  token_created_at: Date;
  token_expires_at: Date;
  rotated_at: Date | null;
  rotation_nonce: string | null;
  replaced_by: string | null;
  session_id: string;
  csrf_token_hash: string | null;
  revoked_at: Date | null;
  session_expires_at: Date;
  max_expires_at: Date;
  scopes: RefreshState['session']['scopes'];
  client_id: string | null;
  user_id: string;
  email: string;
  display_name: string;
  role: RefreshState['user']['role'];
  disabled_at: Date | null;
  email_verified_at: Date | null;
  user_created_at: Date;
  rotated: number;
}

/** A row of FIND_AND_ROTATE_SQL as findRefreshState's drizzle query maps it (the adapter test compares the two). */
function refreshStateOf(row: FindAndRotateRow): RefreshState {
  return {
    token: { id: row.token_id, createdAt: row.token_created_at, expiresAt: row.token_expires_at, rotatedAt: row.rotated_at, rotationNonce: row.rotation_nonce, replacedBy: row.replaced_by },
    session: {
      id: row.session_id,
      csrfTokenHash: row.csrf_token_hash,
      revokedAt: row.revoked_at,
      expiresAt: row.session_expires_at,
      maxExpiresAt: row.max_expires_at,
      scopes: row.scopes,
      clientId: row.client_id,
    },
    user: { id: row.user_id, email: row.email, displayName: row.display_name, role: row.role, disabledAt: row.disabled_at, emailVerifiedAt: row.email_verified_at, createdAt: row.user_created_at },
  };
}

export interface PostgresSessionRepositoryOptions {
  /** The LISTEN side: its version moves on every other instance's committed change (viewer-state-listener.ts). */
  databaseVersion(): number | null;
  /** Counts the session checks that read the database (diagnostics and tests). */
  onViewerStateRead?(): void;
}

export function createPostgresSessionRepository(
  db: PgDb,
  pool: pg.Pool,
  changes: ViewerStateChanges,
  options: PostgresSessionRepositoryOptions,
): SessionRepository {
  const viewerCache = createViewerStateCache({ changes, databaseVersion: options.databaseVersion, maxEntries: VIEWER_CACHE_ENTRIES });
  const onViewerStateRead = options.onViewerStateRead ?? (() => {});
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
    .prepare('kc_viewer_state');
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
    .prepare('kc_refresh_state');
  const tokenById = db.select().from(refreshTokens).where(eq(refreshTokens.id, sql.placeholder('id'))).prepare('kc_token_by_id');
  const sessionById = db.select().from(sessions).where(eq(sessions.id, sql.placeholder('id'))).prepare('kc_session_by_id');

  return translatingErrors<SessionRepository>({
    async create(session, token, audit) {
      await inTransaction(db, async (tx) => {
        await tx.insert(sessions).values({ userAgent: null, ip: null, csrfTokenHash: null, scopes: null, clientId: null, ...session });
        await tx.insert(refreshTokens).values({ ...token, sessionId: session.id });
        await writeAudit(tx, session.createdAt, audit);
      });
    },
    async findById(id) {
      return (await sessionById.execute({ id }))[0];
    },
    async findViewerState(id, nowMs) {
      return viewerCache.read(id, nowMs, async (): Promise<ViewerState | undefined> => {
        onViewerStateRead();
        return (await viewerState.execute({ id }))[0];
      });
    },
    async findRefreshState(hash) {
      return (await refreshState.execute({ hash }))[0];
    },
    async findTokenById(id) {
      return (await tokenById.execute({ id }))[0];
    },
    async rotate(r) {
      const { audit } = r;
      // Encoded here, before anything is sent: a detail JSON cannot encode throws its TypeError, as on SQLite.
      const detail = audit.detail === undefined || audit.detail === null ? null : JSON.stringify(audit.detail);
      // The statement is its own transaction: one that PostgreSQL aborted (a deadlock with a
      // prune deleting the same session) wrote nothing and may simply run again.
      const result = await retryingStatement(() => pool.query<{ rotated: number }>({
        name: 'kc_rotate',
        text: ROTATE_SQL,
        values: [
          r.at.toISOString(),
          r.nonce,
          r.successor.id,
          r.tokenId,
          r.sessionId,
          r.successor.tokenHash,
          r.successor.createdAt.toISOString(),
          r.successor.expiresAt.toISOString(),
          r.sessionExpiresAt.toISOString(),
          timeOrderedId(r.at.getTime()),
          audit.type,
          audit.userId ?? null,
          audit.actorId ?? null,
          audit.sessionId ?? null,
          audit.ip ?? null,
          audit.userAgent ?? null,
          detail,
        ],
      }));
      return result.rows[0]?.rotated === 1;
    },
    async findAndRotate(tokenHash, plan) {
      // Retried as rotate is: an aborted statement wrote nothing.
      const result = await retryingStatement(() => pool.query<FindAndRotateRow>({
        name: 'kc_find_and_rotate',
        text: FIND_AND_ROTATE_SQL,
        values: [
          tokenHash,
          plan.at.toISOString(),
          plan.nonce,
          plan.successor.id,
          plan.onlyIf.userId,
          plan.onlyIf.emailVerified,
          plan.successor.uncappedExpiresAt.toISOString(),
          plan.successor.tokenHash,
          timeOrderedId(plan.at.getTime()),
          plan.audit.type,
          plan.audit.ip ?? null,
          plan.audit.userAgent ?? null,
        ],
      }));
      const row = result.rows[0];
      return row ? { state: refreshStateOf(row), rotated: row.rotated === 1 } : { state: undefined, rotated: false };
    },
    async revoke(sessionId, reason, at, audit) {
      return inTransaction(db, async (tx) => {
        const ended = await tx
          .update(sessions)
          .set({ revokedAt: at, revokedReason: reason })
          .where(and(eq(sessions.id, sessionId), isNull(sessions.revokedAt)));
        if (audit) await writeAudit(tx, at, audit);
        if (ended.rowCount === 1) await notifyViewerStateChanged(tx, `session:${sessionId}`);
        return ended.rowCount === 1;
      });
    },
    async revokeAllForUser(userId, reason, at, { exceptSessionId, audit }) {
      return inTransaction(db, async (tx) => {
        const ended = await endLiveSessionsOfUser(tx, userId, reason, at, exceptSessionId);
        if (audit) await writeAudit(tx, at, { ...audit, detail: { ...audit.detail, sessionsEnded: ended } });
        if (ended > 0) await notifyViewerStateChanged(tx, `user:${userId}`);
        return ended;
      });
    },
    async listLiveForUser(userId, now) {
      return db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)))
        .orderBy(asc(sessions.createdAt));
    },
    async pruneExpired(cutoff) {
      // Batches of PRUNE_BATCH_ROWS, each its own short transaction (row locks held briefly,
      // no half-million-row transaction), on indexed filters. Only sessions no cache can hold
      // (expired or ended) are deleted: no notification needed. A rotated token of a live
      // session is kept until it expires so that its reuse is still recognised as theft.
      const counts = { sessions: 0, refreshTokens: 0 };
      for (;;) {
        const expired = db.select({ id: refreshTokens.id }).from(refreshTokens).where(lt(refreshTokens.expiresAt, cutoff)).limit(PRUNE_BATCH_ROWS);
        const deleted = (await db.delete(refreshTokens).where(inArray(refreshTokens.id, expired))).rowCount ?? 0;
        counts.refreshTokens += deleted;
        if (deleted < PRUNE_BATCH_ROWS) break;
        await yieldToRequests();
      }
      for (;;) {
        const batch = await inTransaction(db, async (tx) => {
          const over = or(lt(sessions.expiresAt, cutoff), and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, cutoff)));
          const ids = (await tx.select({ id: sessions.id }).from(sessions).where(over).limit(PRUNE_BATCH_ROWS)).map((row) => row.id);
          if (ids.length === 0) return { sessions: 0, refreshTokens: 0 };
          // Tokens go first, explicitly rather than by cascade, so that the count includes them.
          const tokens = (await tx.delete(refreshTokens).where(inArray(refreshTokens.sessionId, ids))).rowCount ?? 0;
          return { sessions: (await tx.delete(sessions).where(inArray(sessions.id, ids))).rowCount ?? 0, refreshTokens: tokens };
        });
        counts.sessions += batch.sessions;
        counts.refreshTokens += batch.refreshTokens;
        if (batch.sessions < PRUNE_BATCH_ROWS) break;
        await yieldToRequests();
      }
      return counts;
    },
  });
}
