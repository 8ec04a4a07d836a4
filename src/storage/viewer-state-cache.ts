import { isLiveViewerState, type ViewerState } from './sessions';

/**
 * The version of everything a viewer state is made of, as far as this process writes it. It is
 * bumped by the write path itself: an adapter wraps every method of its users and sessions
 * repositories that is not a declared read (src/storage/invalidation.ts), so no writer has to
 * remember to.
 */
export interface ViewerStateChanges {
  bump(): void;
  readonly version: number;
}

export function createViewerStateChanges(): ViewerStateChanges {
  let version = 0;
  return {
    bump() {
      version++;
    },
    get version() {
      return version;
    },
  };
}

export interface ViewerStateCacheOptions<S = ViewerState> {
  changes: ViewerStateChanges;
  /**
   * A version that moves whenever another connection or process commits, which no bump of
   * ours can see (SQLite: `PRAGMA data_version`; the operator CLI, another process on the same
   * file). null means the adapter cannot tell right now (its change signal was lost): the cache
   * then fails closed, serving and keeping nothing until a version is known again.
   */
  databaseVersion(): number | null;
  maxEntries: number;
  /** Whether a state may be used at `nowMs` (default: a session's, isLiveViewerState); API tokens bring their own. */
  isLive?: (state: S, nowMs: number) => boolean;
}

interface Entry<S> {
  state: S;
  local: number;
  database: number;
}

/**
 * The session check of every request without its database read while nothing it depends on
 * has changed: an entry is used only if no write of this process (`changes`) and no commit of
 * another connection (`databaseVersion`) came after it was read. A logout, revocation, role
 * change or disable, here or from the CLI, so takes effect on the very next request. Only
 * live states are kept, and an entry whose idle expiry has passed is read again (a refresh may
 * have slid it). Bounded: the oldest entry goes first.
 */
export function createViewerStateCache<S = ViewerState>(options: ViewerStateCacheOptions<S>) {
  const { changes, databaseVersion, maxEntries } = options;
  const isLive = options.isLive ?? (isLiveViewerState as unknown as (state: S, nowMs: number) => boolean);
  const entries = new Map<string, Entry<S>>();
  return {
    async read(sessionId: string, nowMs: number, load: () => Promise<S | undefined>): Promise<S | undefined> {
      const local = changes.version;
      const database = databaseVersion();
      if (database === null) {
        entries.clear();
        return load();
      }
      const hit = entries.get(sessionId);
      if (hit !== undefined && hit.local === local && hit.database === database && isLive(hit.state, nowMs)) return hit.state;
      const state = await load();
      // A write may have come while the read was awaited: keep only a read that none followed.
      if (state !== undefined && isLive(state, nowMs) && changes.version === local && databaseVersion() === database) {
        entries.delete(sessionId);
        if (entries.size >= maxEntries) entries.delete(entries.keys().next().value!);
        entries.set(sessionId, { state, local, database });
      } else {
        entries.delete(sessionId);
      }
      return state;
    },
    get size() {
      return entries.size;
    },
  };
}
