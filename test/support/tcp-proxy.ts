import net from 'node:net';

/**
 * A loopback TCP proxy in front of the test PostgreSQL server, to take the server away from one
 * storage and give it back without stopping the server the other test files share. `cut()`
 * resets every proxied connection and refuses new ones (to a client, PostgreSQL is down);
 * `restore()` accepts again.
 */
export interface TcpProxy {
  readonly port: number;
  /** The target URL with its host and port replaced by the proxy's. */
  urlFor(url: string): string;
  cut(): void;
  /** A silent loss: connections stay open but nothing passes, new ones included (no reset, no FIN). */
  stall(): void;
  /** Accepts and forwards again; stalled connections are reset. */
  restore(): void;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let accepting = true;
  let stalled = false;
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket }>();
  const server = net.createServer((client) => {
    if (!accepting) {
      client.resetAndDestroy();
      return;
    }
    if (stalled) {
      // Held open, never answered: what a client sees of a host that vanished from the network.
      const held = { client, upstream: new net.Socket() };
      pairs.add(held);
      client.on('error', () => {}).on('close', () => pairs.delete(held));
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const pair = { client, upstream };
    pairs.add(pair);
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  function cut(): void {
    accepting = false;
    for (const { client, upstream } of pairs) {
      client.resetAndDestroy();
      upstream.destroy();
    }
    pairs.clear();
  }
  return {
    port,
    urlFor(url) {
      const u = new URL(url);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut,
    stall() {
      stalled = true;
      for (const { client, upstream } of pairs) {
        client.unpipe(upstream);
        upstream.unpipe(client);
        client.pause();
        upstream.pause();
      }
    },
    restore() {
      if (stalled) {
        stalled = false;
        cut();
      }
      accepting = true;
    },
    async close() {
      cut();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
