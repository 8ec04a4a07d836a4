import { errors } from '../errors';

/** A row's place in a list ordered by (time, id): stable under inserts, unlike an offset. */
export interface CursorPosition {
  at: Date;
  id: string;
}

/** Opaque Relay cursors encoding a CursorPosition. */
export function encodeCursor(at: Date, id: string): string {
  return Buffer.from(JSON.stringify([at.getTime(), id])).toString('base64url');
}

export function decodeCursor(cursor: string): CursorPosition | null {
  if (cursor.length > 200) return null;
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && value.length === 2 && Number.isSafeInteger(value[0]) && typeof value[1] === 'string') {
      return { at: new Date(value[0] as number), id: value[1] };
    }
  } catch {
    // fall through
  }
  return null;
}

/** The `after` argument of a connection: absent, or a cursor we issued (else BAD_USER_INPUT). */
export function parseAfterCursor(after: string | null | undefined): CursorPosition | undefined {
  if (!after) return undefined;
  const position = decodeCursor(after);
  if (!position) throw errors.badUserInput('after', 'The cursor is not valid.');
  return position;
}
