import { unwrapResolverError } from '@apollo/server/errors';
import type { GraphQLFormattedError } from 'graphql';
import { ErrorCode, KeycardError } from '../errors';
import type { Logger } from '../logger';

/** Apollo's own request-level codes: the client sent something wrong. */
const CLIENT_FAULT_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'OPERATION_RESOLUTION_FAILURE',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
]);

/**
 * Every error a client sees carries a code from contract.md. Our own KeycardErrors pass as
 * they are; the client's malformed requests become BAD_USER_INPUT; anything else (a bug, a
 * Drizzle error with SQL in its message, a library message) is logged and masked.
 */
export function createFormatError(logger: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const where = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
    if (original instanceof KeycardError) {
      return { message: original.message, ...where, extensions: { ...original.extensions } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && CLIENT_FAULT_CODES.has(code)) {
      return { message: formatted.message, ...where, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL request');
    return { message: 'Internal server error.', ...where, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
