/** One GraphQL request as the client sent it. */
export interface RecordedRequest {
  query: string;
  variables: Record<string, unknown>;
  headers: Headers;
}

export interface RecordingFetch {
  fetch: typeof fetch;
  requests: RecordedRequest[];
  /** How many requests ran the named operation, e.g. count('Refresh'). */
  count(operation: string): number;
}

function operationName(query: string): string | undefined {
  return /^\s*(?:query|mutation|subscription)\s+(\w+)/.exec(query)?.[1];
}

/**
 * Wraps fetch to see what the SDK sends, and optionally hold a request back (`delay`) to
 * arrange an interleaving that would otherwise depend on luck.
 */
export function recordingFetch(inner: typeof fetch = fetch, delay?: (request: RecordedRequest) => Promise<void> | undefined): RecordingFetch {
  const requests: RecordedRequest[] = [];
  const wrapped: typeof fetch = async (input, init) => {
    const body = JSON.parse(String(init?.body ?? '{}')) as { query: string; variables?: Record<string, unknown> };
    const request: RecordedRequest = { query: body.query, variables: body.variables ?? {}, headers: new Headers(init?.headers) };
    requests.push(request);
    const response = await inner(input, init);
    await delay?.(request);
    return response;
  };
  return {
    fetch: wrapped,
    requests,
    count: (operation) => requests.filter((request) => operationName(request.query) === operation).length,
  };
}

export function isOperation(request: RecordedRequest, operation: string): boolean {
  return operationName(request.query) === operation;
}
