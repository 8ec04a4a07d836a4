import pg from 'pg';

/** The channel every write that ends a session or changes a user notifies, inside its transaction. */
export const VIEWER_STATE_CHANNEL = 'keycard_viewer_state';

export interface ViewerStateListenerOptions {
  /** Connection settings of the dedicated LISTEN connection (never a pooled one). */
  client: pg.ClientConfig;
  /** First delay before reconnecting after the connection is lost; doubles up to maxRetryMs. */
  minRetryMs?: number;
  maxRetryMs?: number;
  /**
   * A silent network loss leaves a socket open that receives nothing: every heartbeatMs the
   * connection must answer a `SELECT 1` within heartbeatTimeoutMs, else it counts as lost.
   */
  heartbeatMs?: number;
  heartbeatTimeoutMs?: number;
  onError?(error: unknown): void;
  /**
   * This instance's tag (its connections' application_name): a notification whose payload starts
   * with it was sent by this instance, whose own write already invalidated its cache locally.
   */
  ownTag?: string;
  /**
   * Further channels on the same connection, each with its handler (the rate limits' announced
   * blocks, limiter-store.ts). Their notifications do not move `databaseVersion`; the sender's
   * own are skipped as on the viewer-state channel, and the payload reaches the handler without
   * the sender's tag.
   */
  channels?: Record<string, (payload: string) => void>;
}

export interface ViewerStateListener {
  /** True while LISTEN is in force on a live connection: only then may cached states be used. */
  readonly listening: boolean;
  /**
   * For createViewerStateCache's `databaseVersion`: moves on every notification, on every loss
   * and every re-subscription of the connection; null while not listening, so the cache serves
   * and keeps nothing (fail closed) until LISTEN is in force again.
   */
  databaseVersion(): number | null;
  /**
   * Moves only when LISTEN is lost or taken up again; null while not listening. Whatever was
   * learnt in one subscription stays true while it lasts, because every later change to it is
   * notified; a new subscription may have missed some.
   */
  subscription(): number | null;
  /** Notifications received so far (diagnostics and tests). */
  readonly notifications: number;
  /** Resolves once the first attempt to subscribe has succeeded or failed. */
  readonly firstAttempt: Promise<void>;
  close(): Promise<void>;
}

/**
 * The LISTEN side of the viewer-state cache's invalidation across instances. Another instance's
 * revocation, disable, role or password change commits with a NOTIFY on VIEWER_STATE_CHANNEL,
 * which PostgreSQL delivers on commit to every listening connection; each delivery moves
 * `databaseVersion`, which empties this instance's cache. A notification can only be missed
 * while the connection is down, and while it is down the cache is bypassed: every session check
 * reads the database until the connection is back and LISTEN is in force again.
 */
export function startViewerStateListener(options: ViewerStateListenerOptions): ViewerStateListener {
  const minRetryMs = options.minRetryMs ?? 100;
  const maxRetryMs = options.maxRetryMs ?? 5_000;
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  const heartbeatTimeoutMs = options.heartbeatTimeoutMs ?? 5_000;
  const onError = options.onError ?? (() => {});

  let version = 0;
  let subscriptions = 0;
  let notifications = 0;
  const channels = options.channels ?? {};
  let listening = false;
  let closed = false;
  let failures = 0;
  /** The connection being opened or in use; any other one is stale and ignored. */
  let current: pg.Client | null = null;
  let retryTimer: NodeJS.Timeout | null = null;
  let heartbeatInFlight = false;
  let resolveFirst!: () => void;
  const firstAttempt = new Promise<void>((resolve) => (resolveFirst = resolve));

  function lost(client: pg.Client, error?: unknown): void {
    if (client !== current) return;
    current = null;
    listening = false;
    version++;
    subscriptions++;
    if (error !== undefined && !closed) onError(error);
    client.end().catch(() => {});
    resolveFirst();
    if (!closed) scheduleReconnect();
  }

  function scheduleReconnect(): void {
    const delay = Math.min(maxRetryMs, minRetryMs * 2 ** Math.min(failures, 16));
    failures++;
    retryTimer = setTimeout(() => {
      retryTimer = null;
      void connect();
    }, delay);
    retryTimer.unref();
  }

  async function connect(): Promise<void> {
    if (closed) return;
    const client = new pg.Client({ ...options.client, keepAlive: true });
    current = client;
    // A broken socket emits 'error' and then 'end'; either one is the loss (handled once).
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client));
    client.on('notification', (message) => {
      if (client !== current) return;
      const payload = message.payload ?? '';
      if (options.ownTag !== undefined && payload.startsWith(`${options.ownTag} `)) return;
      if (message.channel === VIEWER_STATE_CHANNEL) {
        notifications++;
        version++;
        return;
      }
      const handler = channels[message.channel];
      if (handler) handler(payload.slice(payload.indexOf(' ') + 1));
    });
    try {
      await client.connect();
      for (const channel of [VIEWER_STATE_CHANNEL, ...Object.keys(channels)]) await client.query(`LISTEN ${channel}`);
    } catch (error) {
      lost(client, error);
      return;
    }
    if (client !== current) return;
    if (closed) {
      current = null;
      await client.end().catch(() => {});
      return;
    }
    failures = 0;
    // Anything may have been written while no one listened: what is cached from before is stale.
    version++;
    subscriptions++;
    listening = true;
    resolveFirst();
  }

  const heartbeat = setInterval(() => {
    const client = current;
    if (!listening || client === null || heartbeatInFlight) return;
    heartbeatInFlight = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`LISTEN connection did not answer within ${heartbeatTimeoutMs} ms`)), heartbeatTimeoutMs);
    });
    Promise.race([client.query('SELECT 1'), timeout])
      .catch((error) => lost(client, error))
      .finally(() => {
        clearTimeout(timer);
        heartbeatInFlight = false;
      });
  }, heartbeatMs);
  heartbeat.unref();

  void connect();

  return {
    get listening() {
      return listening;
    },
    databaseVersion() {
      return listening ? version : null;
    },
    subscription() {
      return listening ? subscriptions : null;
    },
    get notifications() {
      return notifications;
    },
    firstAttempt,
    async close() {
      closed = true;
      listening = false;
      version++;
      subscriptions++;
      clearInterval(heartbeat);
      if (retryTimer) clearTimeout(retryTimer);
      const client = current;
      current = null;
      resolveFirst();
      if (client) await client.end().catch(() => {});
    },
  };
}
