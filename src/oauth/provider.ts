import type { OAuthErrorReason } from '../errors';

/** Who the provider says the person is: the only things Keycard keeps from a provider. */
export interface ProviderProfile {
  /** Stable id at the provider (OIDC `sub`, GitHub's numeric user id). */
  subject: string;
  email: string | null;
  /** True only when the provider vouches for the email (a boolean true, never the string "true"). */
  emailVerified: boolean;
  name: string | null;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  /** PKCE S256 challenge (RFC 7636), sent to every provider. */
  codeChallenge: string;
  /** OIDC only. */
  nonce: string | null;
}

export interface CodeExchange {
  redirectUri: string;
  code: string;
  state: string;
  codeVerifier: string;
  nonce: string | null;
}

/** One configured provider. Provider access and refresh tokens are used once and dropped. */
export interface OAuthProvider {
  readonly id: string;
  readonly name: string;
  readonly kind: 'oidc' | 'github';
  authorizationUrl(request: AuthorizationRequest): Promise<string>;
  /** Exchanges the code (with the PKCE verifier) and returns the verified profile; throws ProviderFailure. */
  exchange(exchange: CodeExchange): Promise<ProviderProfile>;
}

/**
 * A provider step that failed, with the reason the client will see. Thrown only by the files
 * that import the OAuth libraries (oidc.ts, github.ts), which translate the libraries' errors.
 */
export class ProviderFailure extends Error {
  constructor(
    readonly reason: Extract<OAuthErrorReason, 'PROVIDER_ERROR' | 'ID_TOKEN_INVALID'>,
    /** For the audit log: a library error code or a short description, never a token or code. */
    readonly detail: string,
  ) {
    super(`${reason}: ${detail}`);
    this.name = 'ProviderFailure';
  }
}

/**
 * OIDC `email_verified` is a boolean; some providers (Google, historically) sent the string
 * "true"/"false". Only a boolean true or the exact string "true" count: "false" is a non-empty
 * string, truthy in JavaScript, and must not verify anything.
 */
export function isVerifiedClaim(value: unknown): boolean {
  return value === true || value === 'true';
}
