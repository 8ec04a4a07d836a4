import type { RequestOrigin } from '../../audit/audit-event';
import type { DeviceService } from '../../devices/device.service';
import type { OAuthForm } from './form';
import { NO_STORE, oauthError, requiredParameter, type OAuthResponse } from './oauth-response';

/**
 * POST /oauth/device_authorization (RFC 8628 §3.1-3.2): form `client_id` (one of
 * OAUTH_DEVICE_CLIENTS) and optional `scope`; answers the device code, the user code and where
 * the person goes to approve it.
 */
export async function deviceAuthorization(request: { origin: RequestOrigin }, body: OAuthForm, devices: DeviceService): Promise<OAuthResponse> {
  const clientId = requiredParameter(body, 'client_id');
  if (!clientId.ok) return oauthError('invalid_client', 'The parameter client_id is missing.');
  const outcome = await devices.authorize(clientId.value, body.get('scope') ?? null, request.origin);
  if (!outcome.ok) return oauthError(outcome.error, outcome.description);
  const { value } = outcome;
  return {
    status: 200,
    json: {
      device_code: value.deviceCode,
      user_code: value.userCode,
      verification_uri: value.verificationUri,
      verification_uri_complete: value.verificationUriComplete,
      expires_in: value.expiresIn,
      interval: value.interval,
    },
    headers: { ...NO_STORE },
  };
}
