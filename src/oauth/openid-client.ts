import { ProviderFailure } from './provider';

// openid-client 6 and jose are ESM-only and this project compiles to CommonJS: load them at run
// time (tsc keeps this import() under module node16).
export type OpenIdClient = typeof import('openid-client', { with: { 'resolution-mode': 'import' } });
export type Jose = typeof import('jose', { with: { 'resolution-mode': 'import' } });
export const loadOpenIdClient = () => import('openid-client') as Promise<OpenIdClient>;
export const loadJose = () => import('jose') as Promise<Jose>;

/** Errors that say the provider refused, failed or could not be reached (not that its ID token is bad). */
const PROVIDER_CODES = new Set([
  'OAUTH_RESPONSE_BODY_ERROR',
  'OAUTH_RESPONSE_IS_NOT_JSON',
  'OAUTH_RESPONSE_IS_NOT_CONFORM',
  'OAUTH_HTTP_REQUEST_FORBIDDEN',
  'OAUTH_REQUEST_PROTOCOL_FORBIDDEN',
  'OAUTH_AUTHORIZATION_RESPONSE_ERROR',
  'OAUTH_WWW_AUTHENTICATE_CHALLENGE',
  'OAUTH_INVALID_SERVER_METADATA',
  'OAUTH_MISSING_SERVER_METADATA',
]);

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'UNKNOWN';
}

/**
 * The one translation of openid-client's and jose's errors. `idTokenStage` says whether the
 * failure happened where an ID token is checked: then anything but a provider-side failure
 * (an error answer, bad JSON, a network error) is the ID token's fault.
 */
export function translateLibraryError(error: unknown, idTokenStage: boolean): ProviderFailure {
  if (error instanceof ProviderFailure) return error;
  const code = codeOf(error);
  const networkish = error instanceof TypeError || code === 'AbortError' || code === 'TimeoutError';
  if (!idTokenStage || PROVIDER_CODES.has(code) || networkish) return new ProviderFailure('PROVIDER_ERROR', code);
  return new ProviderFailure('ID_TOKEN_INVALID', code);
}
