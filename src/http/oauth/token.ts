import type { RequestOrigin } from '../../audit/audit-event';
import { DEVICE_CODE_GRANT_TYPE, type DeviceService, type DeviceTokens, type OAuthOutcome } from '../../devices/device.service';
import { ErrorCode, KeycardError } from '../../errors';
import type { OAuthForm } from './form';
import { NO_STORE, oauthError, requiredParameter, type OAuthResponse } from './oauth-response';

function tokenResponse(outcome: OAuthOutcome<DeviceTokens>, nowMs: number): OAuthResponse {
  if (!outcome.ok) return oauthError(outcome.error, outcome.description);
  const { tokens, scopes } = outcome.value;
  return {
    status: 200,
    json: {
      access_token: tokens.accessToken,
      token_type: 'Bearer',
      expires_in: Math.max(0, Math.floor((tokens.accessTokenExpiresAt.getTime() - nowMs) / 1000)),
      refresh_token: tokens.refreshToken,
      scope: scopes.join(' '),
    },
    headers: { ...NO_STORE },
  };
}

/**
 * POST /oauth/token (RFC 6749 §4-6, RFC 8628 §3.4): `grant_type` device_code (form
 * `device_code`, `client_id`) or refresh_token (form `refresh_token`, `client_id`: a device
 * session's token, bound to its client). Public clients: `client_id` identifies, nothing authenticates.
 */
export async function token(request: { origin: RequestOrigin; now(): number }, body: OAuthForm, devices: DeviceService): Promise<OAuthResponse> {
  const grantType = requiredParameter(body, 'grant_type');
  if (!grantType.ok) return grantType.response;
  const clientId = body.get('client_id');
  if (clientId === undefined || clientId === '') return oauthError('invalid_client', 'The parameter client_id is missing.');
  try {
    switch (grantType.value) {
      case DEVICE_CODE_GRANT_TYPE: {
        const deviceCode = requiredParameter(body, 'device_code');
        if (!deviceCode.ok) return deviceCode.response;
        return tokenResponse(await devices.exchange(deviceCode.value, clientId, request.origin), request.now());
      }
      case 'refresh_token': {
        const refreshToken = requiredParameter(body, 'refresh_token');
        if (!refreshToken.ok) return refreshToken.response;
        if (body.get('scope') !== undefined) return oauthError('invalid_scope', 'A refresh keeps the scopes approved for the device; send no scope.');
        return tokenResponse(await devices.refresh(refreshToken.value, clientId, request.origin), request.now());
      }
      default:
        return oauthError('unsupported_grant_type', 'grant_type must be urn:ietf:params:oauth:grant-type:device_code or refresh_token.');
    }
  } catch (error) {
    // The refresh limit per IP (src/abuse): RFC 6749 has no code for it; 429 with Retry-After says it plainly.
    if (error instanceof KeycardError && error.code === ErrorCode.RATE_LIMITED) {
      const retryAfter = String(error.extensions.retryAfter ?? 1);
      const response = oauthError('temporarily_unavailable', 'Too many attempts. Try again later.', 429);
      return { ...response, headers: { ...response.headers, 'retry-after': retryAfter } };
    }
    throw error;
  }
}
