import autocannon from 'autocannon';

export const CONNECTIONS = 50;

export interface LoadResult {
  requestsPerSecond: number;
  latencyP99Ms: number;
  failures: number;
}

export interface Scenario {
  url: string;
  body?: string;
  headers?: Record<string, string>;
  method?: string;
  /** For stateful scenarios (refresh chains): builds each request and reads each response. */
  requests?: autocannon.Request[];
  /** Counts application-level failures (GraphQL errors in a 200) for this run. */
  failures?: () => number;
}

export async function runLoad(scenario: Scenario, durationSeconds: number): Promise<LoadResult> {
  const before = scenario.failures?.() ?? 0;
  const result = await autocannon({
    url: scenario.url,
    connections: CONNECTIONS,
    duration: durationSeconds,
    method: scenario.method ?? 'POST',
    headers: { 'content-type': 'application/json', ...scenario.headers },
    body: scenario.body,
    requests: scenario.requests,
  });
  return {
    requestsPerSecond: result.requests.average,
    latencyP99Ms: result.latency.p99,
    failures: result.non2xx + result.errors + result.timeouts + ((scenario.failures?.() ?? 0) - before),
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The median of each figure over several runs; failures add up. */
export function summarize(results: LoadResult[]): LoadResult {
  return {
    requestsPerSecond: median(results.map((r) => r.requestsPerSecond)),
    latencyP99Ms: median(results.map((r) => r.latencyP99Ms)),
    failures: results.reduce((sum, r) => sum + r.failures, 0),
  };
}

/** Runs a scenario `runs` times after a short warm-up and keeps the median of each figure. */
export async function measure(scenario: Scenario, durationSeconds: number, runs: number): Promise<LoadResult> {
  await runLoad(scenario, Math.min(2, durationSeconds));
  const results: LoadResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await runLoad(scenario, durationSeconds));
  return summarize(results);
}

/**
 * Measures several servers on the same query in alternation (a, b, c, a, b, c, ...), so a
 * slow minute on a shared machine weighs on all of them alike; the median of each is kept.
 */
export async function measureInterleaved(scenarios: Record<string, Scenario>, durationSeconds: number, runs: number): Promise<Record<string, LoadResult>> {
  const names = Object.keys(scenarios);
  for (const name of names) await runLoad(scenarios[name]!, Math.min(2, durationSeconds));
  const results: Record<string, LoadResult[]> = Object.fromEntries(names.map((name) => [name, []]));
  for (let i = 0; i < runs; i++) {
    for (const name of names) results[name]!.push(await runLoad(scenarios[name]!, durationSeconds));
  }
  return Object.fromEntries(names.map((name) => [name, summarize(results[name]!)]));
}
