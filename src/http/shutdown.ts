import net from 'node:net';
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

interface ConnectionState {
  /** Requests received and not yet answered. */
  active: number;
  /** Requests answered: a connection that has answered one and waits for the next is idle. */
  answered: number;
}

/**
 * Graceful shutdown for one HTTP(S) server. Closing every connection at once resets the
 * requests in flight (a login half-way through its password hash loses its answer); waiting
 * for keep-alive connections to time out would take `keepAliveTimeout` (65 s). So: answers
 * written while draining say `Connection: close` (RFC 9112 §9.6), which tells the client not to
 * send another request on that connection and makes Node close it after the answer; a
 * keep-alive connection waiting between requests is closed at once.
 *
 * A connection accepted whose request has not arrived yet is NOT idle: its client sent a
 * request before we stopped accepting. Node's own server.close() (and closeIdleConnections)
 * counts it as idle and resets it, which is why the listening socket is closed with
 * net.Server's close here, and idleness is tracked per connection.
 */
export function trackInFlight(server: KeycardServer): Drainer {
  const inFlight = new Set<ServerResponse>();
  const connections = new Map<net.Socket, ConnectionState>();
  let draining = false;

  const sayClose = (res: ServerResponse) => {
    if (!res.headersSent) res.setHeader('Connection', 'close');
  };
  const closeIfIdle = (socket: net.Socket, state: ConnectionState) => {
    if (state.active === 0 && state.answered > 0) socket.destroy();
  };

  // TLS: 'secureConnection' carries the socket that requests arrive on.
  server.on(server instanceof net.Server && 'setSecureContext' in server ? 'secureConnection' : 'connection', (socket: net.Socket) => {
    connections.set(socket, { active: 0, answered: 0 });
    socket.once('close', () => connections.delete(socket));
  });
  server.on('request', (req, res: ServerResponse) => {
    const socket = req.socket as net.Socket;
    const state = connections.get(socket);
    if (state) state.active++;
    inFlight.add(res);
    if (draining) sayClose(res);
    res.once('close', () => {
      inFlight.delete(res);
      if (!state) return;
      state.active--;
      state.answered++;
      // After the answer's last byte: the connection is idle now, close it rather than wait.
      if (draining) setImmediate(() => closeIfIdle(socket, state));
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
        net.Server.prototype.close.call(server, () => {
          clearTimeout(bound);
          resolve();
        });
        for (const [socket, state] of connections) closeIfIdle(socket, state);
        if (timeoutMs === 0) server.closeAllConnections();
      });
    },
  };
}
