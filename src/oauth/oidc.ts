import type { Clock } from '../clock';
import type { OidcProviderSettings } from '../config';
import { loadJose, loadOpenIdClient, translateLibraryError, type Jose, type OpenIdClient } from './openid-client';
import { isVerifiedClaim, ProviderFailure, type OAuthProvider } from './provider';

/**
 * Asymmetric algorithms only (RFC 8725 §3.1, §2.1): `none` would accept an unsigned token, and
 * an HS* token would be "signed" with our own client secret, which the provider shares with
 * whoever registered the client. The algorithm comes from this list, never from the token.
 */
export const ID_TOKEN_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Seconds of clock difference accepted on `exp`, `iat` and `nbf`. */
const CLOCK_TOLERANCE_S = 30;

type Discovered = { client: OpenIdClient; jose: Jose; config: InstanceType<OpenIdClient['Configuration']>; jwks: ReturnType<Jose['createRemoteJWKSet']> };

/**
 * Any OpenID Connect provider, from its issuer's discovery document (OpenID Connect Discovery
 * 1.0): authorization code flow with PKCE S256, state and nonce. The ID token is checked twice:
 * by openid-client (iss, aud, exp, iat, nonce, azp) and here with jose against the provider's
 * JWKS, because openid-client does not verify the signature of an ID token that came straight
 * from the token endpoint over TLS (OIDC Core §3.1.3.7 allows it; we do not rely on TLS alone,
 * and outside production the provider may be plain http on loopback).
 */
export function createOidcProvider(settings: OidcProviderSettings, clock: Clock): OAuthProvider {
  let discovered: Promise<Discovered> | null = null;

  function discover(): Promise<Discovered> {
    discovered ??= (async () => {
      const [client, jose] = await Promise.all([loadOpenIdClient(), loadJose()]);
      const insecure = new URL(settings.issuer).protocol === 'http:'; // config.ts allows it only on loopback outside production
      const auth = settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None();
      // openid-client reads the system time itself: tell it how far the app's clock is from it.
      const metadata = { [client.clockSkew]: Math.round((clock.now() - Date.now()) / 1000), [client.clockTolerance]: CLOCK_TOLERANCE_S };
      const config = await client.discovery(new URL(settings.issuer), settings.clientId, metadata, auth, {
        execute: insecure ? [client.allowInsecureRequests] : [],
        timeout: 10,
      });
      const jwksUri = config.serverMetadata().jwks_uri;
      if (!jwksUri) throw new ProviderFailure('PROVIDER_ERROR', 'discovery document without jwks_uri');
      return { client, jose, config, jwks: jose.createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000 }) };
    })();
    // A provider that was down at the first login is tried again at the next one.
    discovered.catch(() => {
      discovered = null;
    });
    return discovered;
  }

  async function ready(): Promise<Discovered> {
    try {
      return await discover();
    } catch (error) {
      throw translateLibraryError(error, false);
    }
  }

  return {
    id: settings.id,
    name: settings.name,
    kind: 'oidc',

    async authorizationUrl({ redirectUri, state, codeChallenge, nonce }) {
      const { client, config } = await ready();
      return client
        .buildAuthorizationUrl(config, {
          redirect_uri: redirectUri,
          scope: 'openid email profile',
          response_type: 'code',
          state,
          nonce: nonce ?? '',
          code_challenge: codeChallenge,
          code_challenge_method: 'S256',
        })
        .toString();
    },

    async exchange({ redirectUri, code, state, codeVerifier, nonce }) {
      const { client, jose, config, jwks } = await ready();
      if (!nonce) throw new ProviderFailure('ID_TOKEN_INVALID', 'no nonce stored for an OpenID Connect attempt');
      const callback = new URL(redirectUri);
      callback.search = '';
      callback.searchParams.set('code', code);
      callback.searchParams.set('state', state);
      let idToken: string | undefined;
      try {
        const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, expectedNonce: nonce, idTokenExpected: true });
        idToken = tokens.id_token;
      } catch (error) {
        throw translateLibraryError(error, true);
      }
      if (!idToken) throw new ProviderFailure('ID_TOKEN_INVALID', 'no id_token in the token response');
      let claims: Record<string, unknown>;
      try {
        const verified = await jose.jwtVerify(idToken, jwks, {
          issuer: settings.issuer,
          audience: settings.clientId,
          algorithms: ID_TOKEN_ALGORITHMS,
          currentDate: new Date(clock.now()),
          clockTolerance: CLOCK_TOLERANCE_S,
          requiredClaims: ['sub', 'exp', 'iat', 'nonce'],
        });
        claims = verified.payload;
      } catch (error) {
        throw new ProviderFailure('ID_TOKEN_INVALID', (error as { code?: string }).code ?? 'JWT verification failed');
      }
      if (claims.nonce !== nonce) throw new ProviderFailure('ID_TOKEN_INVALID', 'nonce mismatch');
      if (typeof claims.sub !== 'string' || claims.sub === '') throw new ProviderFailure('ID_TOKEN_INVALID', 'no sub');
      const email = typeof claims.email === 'string' && claims.email !== '' ? claims.email : null;
      return {
        subject: claims.sub,
        email,
        emailVerified: email !== null && isVerifiedClaim(claims.email_verified),
        name: typeof claims.name === 'string' ? claims.name : null,
      };
    },
  };
}
