import type { GraphQLErrorShape } from './execute';

/**
 * A GraphQL error answered by the Keycard API, with its `extensions.code` (contract.md,
 * "Errors"): programs branch on `code` and `reason`, people read `message`.
 */
export class KeycardApiError extends Error {
  readonly code: string;
  readonly reason: string | undefined;
  readonly errors: readonly GraphQLErrorShape[];

  constructor(errors: readonly GraphQLErrorShape[]) {
    const first = errors[0];
    super(first?.message ?? 'The Keycard API answered with an error.');
    this.name = 'KeycardApiError';
    this.code = first?.extensions?.code ?? 'INTERNAL_SERVER_ERROR';
    this.reason = first?.extensions?.reason;
    this.errors = errors;
  }
}

/** The client's own "nobody is signed in": no refresh token or session to use. */
export function notSignedIn(): KeycardApiError {
  return new KeycardApiError([{ message: 'Not signed in: there is no session to refresh.', extensions: { code: 'UNAUTHENTICATED', reason: 'TOKEN_MISSING' } }]);
}

export function hasError(errors: readonly GraphQLErrorShape[] | undefined, code: string, reason?: string): boolean {
  return (errors ?? []).some((error) => error.extensions?.code === code && (reason === undefined || error.extensions?.reason === reason));
}
