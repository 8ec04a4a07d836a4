/** A UUIDv7 (RFC 9562 §5.7) in its text form: version 7, the RFC's variant. */
export const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The time a UUIDv7 carries (its first 48 bits, epoch milliseconds); NaN for any other kind of id. */
export function millisecondsOfUuidV7(id: string): number {
  return UUID_V7.test(id) ? parseInt(id.replace(/-/g, '').slice(0, 12), 16) : NaN;
}
