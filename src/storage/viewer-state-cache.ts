import { isLiveViewerState, type ViewerState } from './sessions';

/**
 * The version of everything a viewer state is made of, as far as this process writes it:
 * every write that can end a session or change a user's role, state or fields bumps it (the
 * repositories do, after each such write).
 */
export interface ViewerStateChanges {
  bump(): void;
  /** Runs a write that can end sessions or change a user, then bumps (even if it threw). */
  bumpAfter<T>(write: () => T): T;
  readonly version: number;
}

export function createViewerStateChanges(): ViewerStateChanges {
  let version = 0;
  return {
    bump() {
      version++;
    },
    bumpAfter(write) {
      try {
        return write();
      } finally {
        version++;
      }
    },
    get version() {
      return version;
    },
  };
}

export interface ViewerStateCacheOptions {
  changes: ViewerStateChanges;
  /**
   * SQLite's `PRAGMA data_version`: it moves whenever another connection (the operator CLI,
   * another process on the same file) commits, which no bump of ours can see.
   */
  databaseVersion(): number;
  maxEntries: number;
}

interface Entry {
  state: ViewerState;
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
export function createViewerStateCache(options: ViewerStateCacheOptions) {
  const { changes, databaseVersion, maxEntries } = options;
  const entries = new Map<string, Entry>();
  return {
    async read(sessionId: string, nowMs: number, load: () => Promise<ViewerState | undefined>): Promise<ViewerState | undefined> {
      const local = changes.version;
      const database = databaseVersion();
      const hit = entries.get(sessionId);
      if (hit !== undefined && hit.local === local && hit.database === database && isLiveViewerState(hit.state, nowMs)) return hit.state;
      const state = await load();
      // A write may have come while the read was awaited: keep only a read that none followed.
      if (state !== undefined && isLiveViewerState(state, nowMs) && changes.version === local && databaseVersion() === database) {
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
