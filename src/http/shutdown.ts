import type { ServerResponse } from 'node:http';
import type { KeycardServer } from './server';

export interface Drainer {
  /**
   * Stops accepting connections, lets the requests in flight finish, closes each keep-alive
   * connection as soon as it is idle, and after `timeoutMs` closes whatever is left. Resolves
   * when every connection is closed.
   */
  drain(timeoutMs: number): Promise<void>;
}

/**
 * Graceful shutdown for one HTTP(S) server. Closing every connection at once resets the
 * requests in flight (a login half-way through its password hash loses its answer); waiting
 * for keep-alive connections to time out would take `keepAliveTimeout` (65 s). So: answers
 * written while draining say `Connection: close` (RFC 9112 §9.6), which tells the client not to
 * send another request on that connection and makes Node close it after the answer; a
 * keep-alive connection waiting between requests is closed at once (server.close() closes the
 * idle ones; a connection whose first request has not arrived yet is not idle and is answered).
 */
export function trackInFlight(server: KeycardServer): Drainer {
  const inFlight = new Set<ServerResponse>();
  let draining = false;

  const sayClose = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };

  // Before the app's listener, which may answer synchronously (/healthz): the header must be set first.
  server.prependListener('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    if (draining) sayClose(res);
    res.once('close', () => {
      inFlight.delete(res);
      // After the answer's last byte: a connection kept alive is idle now, close it rather than wait.
      if (draining) setImmediate(() => server.closeIdleConnections());
    });
  });

  return {
    async drain(timeoutMs) {
      draining = true;
      for (const res of inFlight) sayClose(res);
      if (!server.listening) {
        server.closeAllConnections();
        return;
      }
      // Connections the kernel completed but the loop has not accepted yet would be reset when
      // the listening socket closes, though their clients sent a request: one more poll phase
      // (after the timers, before setImmediate) accepts them first.
      await new Promise((resolve) => setTimeout(() => setImmediate(resolve), 0));
      await new Promise<void>((resolve) => {
        const bound = setTimeout(() => server.closeAllConnections(), timeoutMs);
        bound.unref();
        server.close(() => {
          clearTimeout(bound);
          resolve();
        });
        if (timeoutMs === 0) server.closeAllConnections();
      });
    },
  };
}
