import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, KeycardError } from '../errors';
import type { Logger } from '../logger';
import { DocumentRefusal, markRefusal } from './document-refusal';
import { developmentRequestMessage, productionRequestMessage } from './request-messages';

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
 * they are; the client's malformed requests become BAD_USER_INPUT with the library's code as
 * `reason`, and in production our own fixed sentence instead of the library's text
 * (request-messages.ts); anything else (a bug, a Drizzle error with SQL in its message, a
 * library message) is logged and masked.
 */
export function createFormatError(logger: Logger, options: { production: boolean }) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    const where = { ...(formatted.locations ? { locations: formatted.locations } : {}), ...(formatted.path ? { path: formatted.path } : {}) };
    if (original instanceof KeycardError) {
      return { message: original.message, ...where, extensions: { ...original.extensions } };
    }
    const code = formatted.extensions?.code;
    // Apollo wraps a validation rule's error: ours is its originalError.
    const refusal = original instanceof GraphQLError && original.originalError instanceof DocumentRefusal ? original.originalError : null;
    if (refusal && code === 'GRAPHQL_VALIDATION_FAILED') {
      const message = options.production ? refusal.publicMessage : refusal.message;
      return markRefusal({ message, ...where, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } });
    }
    if (typeof code === 'string' && CLIENT_FAULT_CODES.has(code)) {
      const message = options.production ? productionRequestMessage(code, formatted.message) : developmentRequestMessage(code, formatted.message);
      return { message, ...where, extensions: { code: ErrorCode.BAD_USER_INPUT, reason: code } };
    }
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL request');
    return { message: 'Internal server error.', ...where, extensions: { code: ErrorCode.INTERNAL_SERVER_ERROR } };
  };
}
