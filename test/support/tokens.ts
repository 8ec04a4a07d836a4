import crypto from 'node:crypto';

/** Builds a compact JWS by hand, so tests can forge what no library would sign. */
export function forgeJwt(header: Record<string, unknown>, payload: Record<string, unknown>, sign?: (input: string) => Buffer | string): string {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const input = `${encode(header)}.${encode(payload)}`;
  const signature = sign ? sign(input) : '';
  return `${input}.${typeof signature === 'string' ? signature : signature.toString('base64url')}`;
}

export function hmac(alg: 'sha256' | 'sha384' | 'sha512', key: crypto.BinaryLike | crypto.KeyObject) {
  return (input: string) => crypto.createHmac(alg, key).update(input).digest();
}

export function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}
