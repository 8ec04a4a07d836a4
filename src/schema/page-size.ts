import { errors } from '../errors';

/** Bounds every list a client can ask for (security.md #30: `first: 99999999`). */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 20;

export function parsePageSize(first: number | null | undefined, field = 'first'): number {
  const size = first ?? DEFAULT_PAGE_SIZE;
  if (size < 0 || size > MAX_PAGE_SIZE) throw errors.badUserInput(field, `${field} must be between 0 and ${MAX_PAGE_SIZE}.`);
  return size;
}
