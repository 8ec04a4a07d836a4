import type { Clock } from '../../clock';
import type { DeviceService } from '../../devices/device.service';
import { deviceAuthorization } from './device-authorization';
import { asReply } from './oauth-response';
import { token } from './token';
import { SCOPES } from '../../permissions/scopes';
import type { SessionService } from '../../sessions/session.service';
import type { TokenIntrospection } from '../../tokens/introspection';
import { requiredParam } from './form';
import { endpointUrl } from './issuer';
import { OAuthError } from './oauth-error';
import type { OAuthHandler, OAuthRoute } from './router';

export const OAUTH_PATHS = {
  metadata: '/.well-known/oauth-authorization-server',
  token: '/oauth/token',
  deviceAuthorization: '/oauth/device_authorization',
  introspect: '/oauth/introspect',
  revoke: '/oauth/revoke',
  jwks: '/.well-known/jwks.json',
} as const;

/** RFC 8414 §2: where everything is, as absolute URLs under the issuer. */
export const metadataHandler: OAuthHandler = async ({ issuer }) => ({
  body: {
    issuer,
    token_endpoint: endpointUrl(issuer, OAUTH_PATHS.token),
    device_authorization_endpoint: endpointUrl(issuer, OAUTH_PATHS.deviceAuthorization),
    introspection_endpoint: endpointUrl(issuer, OAUTH_PATHS.introspect),
    revocation_endpoint: endpointUrl(issuer, OAUTH_PATHS.revoke),
    jwks_uri: endpointUrl(issuer, OAUTH_PATHS.jwks),
    grant_types_supported: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    response_types_supported: [],
    scopes_supported: [...SCOPES],
    // Public device clients authenticate with nothing but their client_id (RFC 8628 §3.1).
    token_endpoint_auth_methods_supported: ['none'],
    // Introspection: the caller shows an API token with the `introspect` scope (RFC 7662 §2.1 leaves the method open).
    introspection_endpoint_auth_methods_supported: ['bearer'],
    // Revocation: holding the token is the authority (contract.md); no client authentication.
    revocation_endpoint_auth_methods_supported: ['none'],
  },
  // Public and the same for everyone: a short cache is harmless here (it carries no token).
  headers: { 'cache-control': 'public, max-age=300' },
});

const BEARER = /^bearer[ \t]+([A-Za-z0-9\-_.~+/]+=*)[ \t]*$/i;

/**
 * RFC 7662. The caller must be trusted with other people's token state: a bearer API token
 * holding `introspect`, which only an ADMIN's token can (its role bounds it). A missing or dead
 * bearer is 401 invalid_token, one without the scope 403 insufficient_scope (RFC 6750 §3.1).
 */
export function introspectHandler(deps: { sessions: Pick<SessionService, 'authenticate'>; introspection: TokenIntrospection }): OAuthHandler {
  return async (exchange) => {
    const authorization = exchange.header('authorization');
    const challenge = (error: string) => ({ 'www-authenticate': `Bearer realm="keycard", error="${error}"` });
    if (!authorization || !BEARER.test(authorization)) {
      throw new OAuthError(401, 'invalid_token', 'Send an API token with the introspect scope as Authorization: Bearer.', { 'www-authenticate': 'Bearer realm="keycard"' });
    }
    const caller = await deps.sessions.authenticate(authorization);
    if (!caller.viewer) throw new OAuthError(401, 'invalid_token', 'The bearer token is not a live token.', challenge('invalid_token'));
    if (caller.viewer.credential !== 'apiToken' || !caller.viewer.scopes.has('introspect')) {
      throw new OAuthError(403, 'insufficient_scope', 'The bearer must be an API token with the introspect scope.', { 'www-authenticate': 'Bearer realm="keycard", error="insufficient_scope", scope="introspect"' });
    }
    const form = await exchange.form();
    const token = requiredParam(form, 'token');
    return { body: await deps.introspection.introspect(token) };
  };
}

/** RFC 7009: no client authentication (holding the token is enough); 200 even when the token is unknown. */
export function revokeHandler(deps: { introspection: TokenIntrospection }): OAuthHandler {
  return async (exchange) => {
    const form = await exchange.form();
    const token = requiredParam(form, 'token');
    await deps.introspection.revoke(token, exchange.origin);
    return { body: {} };
  };
}

/** The routes this build serves, one row each. */
export function oauthRoutes(deps: { sessions: Pick<SessionService, 'authenticate'>; introspection: TokenIntrospection; devices: DeviceService; clock: Clock }): OAuthRoute[] {
  const { devices, clock } = deps;
  return [
    { method: 'GET', path: OAUTH_PATHS.metadata, handler: metadataHandler, rateLimited: false },
    { method: 'POST', path: OAUTH_PATHS.introspect, handler: introspectHandler(deps), rateLimited: true },
    { method: 'POST', path: OAUTH_PATHS.revoke, handler: revokeHandler(deps), rateLimited: true },
    {
      method: 'POST',
      path: OAUTH_PATHS.deviceAuthorization,
      handler: async ({ origin, form }) => asReply(await deviceAuthorization({ origin }, await form(), devices)),
      rateLimited: true,
    },
    // Not under the per-IP count: a device polls every `interval` for up to 10 minutes, and many
    // devices can share an IP. Polling has slow_down (RFC 8628 §3.5), refresh grants the refresh limit.
    {
      method: 'POST',
      path: OAUTH_PATHS.token,
      handler: async ({ origin, form }) => asReply(await token({ origin, now: () => clock.now() }, await form(), devices)),
      rateLimited: false,
    },
  ];
}
