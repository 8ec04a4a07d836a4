import type { Registry } from 'prom-client';
import { KeycardError } from './errors';

/** The PostgreSQL pool's connections right now (pg.Pool's totalCount, idleCount, waitingCount). */
export interface PoolFigures {
  total: number;
  idle: number;
  waiting: number;
}

/** One GraphQL request as the histogram labels it: every value comes from a closed set. */
export interface GraphqlRequestLabels {
  /** query, mutation, subscription, or unknown when the document did not resolve to one operation. */
  operationType: string;
  /**
   * The root field when the operation selects exactly one (a schema field name, validated, so
   * bounded by the schema), `multiple` for several, `none` otherwise. Operation names are chosen
   * by clients and never become labels: an attacker could grow the series without end.
   */
  rootField: string;
  status: number;
}

/**
 * What the services and the HTTP layer count (README "Metrics"). Counted where the outcome is
 * decided; with METRICS_PORT unset the app gets NO_METRICS, whose calls do nothing, and
 * prom-client is never loaded. No method takes an email, a token or an IP: a label can only
 * carry the closed values below.
 */
export interface Metrics {
  /** A login's outcome: `success` or the error code (closed list, src/errors.ts) in lower case. */
  login(result: string): void;
  /** A refresh's outcome, as login's. */
  tokenRefresh(result: string): void;
  /** A rotated refresh token presented after its grace: the family was revoked (theft). */
  refreshTokenReuse(): void;
  /** An attempt refused by an abuse limit, by limiter name (LOGIN_IP, SIGNUP_IP, ...). */
  rateLimited(limit: string): void;
  graphqlRequest(labels: GraphqlRequestLabels, seconds: number): void;
}

export const NO_METRICS: Metrics = Object.freeze({
  login() {},
  tokenRefresh() {},
  refreshTokenReuse() {},
  rateLimited() {},
  graphqlRequest() {},
});

/** `success`, or the KeycardError code in lower case; anything else (a bug, a database outage) is `error`. */
export function outcomeOf(error: unknown): string {
  return error instanceof KeycardError ? error.code.toLowerCase() : 'error';
}

/** Counts an attempt's outcome as it settles, without changing what it returns or throws. */
export async function counted<T>(attempt: () => Promise<T>, count: (result: string) => void): Promise<T> {
  let result: T;
  try {
    result = await attempt();
  } catch (error) {
    count(outcomeOf(error));
    throw error;
  }
  count('success');
  return result;
}

export interface PrometheusMetrics extends Metrics {
  readonly registry: Registry;
}

/**
 * A registry of this app's own (no prom-client global: two apps in one process, as in the
 * tests, never mix their counts). Loaded only when METRICS_PORT is set.
 */
export function createPrometheusMetrics(options: { poolFigures?: () => PoolFigures | null } = {}): PrometheusMetrics {
  const client = require('prom-client') as typeof import('prom-client');
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry });

  const logins = new client.Counter({ name: 'keycard_logins_total', help: 'Login attempts by outcome', labelNames: ['result'], registers: [registry] });
  const refreshes = new client.Counter({
    name: 'keycard_token_refreshes_total',
    help: 'Refresh token rotations by outcome',
    labelNames: ['result'],
    registers: [registry],
  });
  const reuse = new client.Counter({
    name: 'keycard_refresh_token_reuse_total',
    help: 'Rotated refresh tokens presented again after the grace window (the session was revoked)',
    registers: [registry],
  });
  const rateLimited = new client.Counter({ name: 'keycard_rate_limited_total', help: 'Attempts refused by an abuse limit', labelNames: ['limit'], registers: [registry] });
  const duration = new client.Histogram({
    name: 'keycard_graphql_request_duration_seconds',
    help: 'GraphQL requests from the first byte to the last byte of the answer',
    labelNames: ['operation_type', 'root_field', 'status'],
    // Logins hash a password (~50-500 ms); reads answer in about a millisecond.
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  const { poolFigures } = options;
  if (poolFigures) {
    const gauge = (name: string, help: string, pick: (figures: PoolFigures) => number) =>
      new client.Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          const figures = poolFigures();
          if (figures) this.set(pick(figures));
        },
      });
    gauge('keycard_db_pool_connections', 'PostgreSQL pool: open connections', (f) => f.total);
    gauge('keycard_db_pool_idle_connections', 'PostgreSQL pool: open connections not in use', (f) => f.idle);
    gauge('keycard_db_pool_waiting_requests', 'PostgreSQL pool: queries waiting for a connection', (f) => f.waiting);
  }

  return {
    registry,
    login: (result) => logins.inc({ result }),
    tokenRefresh: (result) => refreshes.inc({ result }),
    refreshTokenReuse: () => reuse.inc(),
    rateLimited: (limit) => rateLimited.inc({ limit }),
    graphqlRequest: (labels, seconds) =>
      duration.observe({ operation_type: labels.operationType, root_field: labels.rootField, status: String(labels.status) }, seconds),
  };
}
