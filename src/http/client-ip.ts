import type { IncomingMessage } from 'node:http';

/**
 * The client address. X-Forwarded-For is anyone's to write, so it is read only as far as the
 * configured number of trusted proxy hops (TRUST_PROXY): with N proxies in front of us, the
 * client is the Nth address from the right; everything left of it is untrusted.
 */
export function clientIp(req: IncomingMessage, trustedHops: number): string | null {
  const socketAddress = req.socket.remoteAddress ?? null;
  if (trustedHops === 0) return normalize(socketAddress);
  const header = req.headers['x-forwarded-for'];
  const forwarded = (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  const chain = [...forwarded, socketAddress ?? ''];
  const index = Math.max(0, chain.length - 1 - trustedHops);
  return normalize(chain[index] ?? socketAddress);
}

function normalize(address: string | null): string | null {
  if (!address) return null;
  const trimmed = address.slice(0, 64);
  return trimmed.startsWith('::ffff:') ? trimmed.slice(7) : trimmed;
}
