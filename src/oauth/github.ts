import type { GithubProviderSettings } from '../config';
import { loadOpenIdClient, translateLibraryError, type OpenIdClient } from './openid-client';
import { ProviderFailure, type OAuthProvider, type ProviderProfile } from './provider';

const API_TIMEOUT_MS = 10_000;

interface GithubEmail {
  email: string;
  primary: boolean;
  verified: boolean;
}

/**
 * GitHub: OAuth 2.0 without OpenID Connect. openid-client runs the code exchange (PKCE S256 and
 * state, which GitHub supports) against server metadata built here from the configured URLs;
 * the person comes from GET /user (the numeric `id` is the subject: logins can be renamed and
 * taken by someone else) and GET /user/emails (only GitHub's `verified` flag verifies an email).
 */
export function createGithubProvider(settings: GithubProviderSettings): OAuthProvider {
  let configured: Promise<{ client: OpenIdClient; config: InstanceType<OpenIdClient['Configuration']> }> | null = null;

  function configure() {
    configured ??= (async () => {
      const client = await loadOpenIdClient();
      const auth = settings.clientSecret ? client.ClientSecretPost(settings.clientSecret) : client.None();
      const config = new client.Configuration(
        { issuer: new URL(settings.authorizeUrl).origin, authorization_endpoint: settings.authorizeUrl, token_endpoint: settings.tokenUrl },
        settings.clientId,
        undefined,
        auth,
      );
      if (new URL(settings.tokenUrl).protocol === 'http:') client.allowInsecureRequests(config); // loopback outside production only (config.ts)
      return { client, config };
    })();
    return configured;
  }

  async function api<T>(path: string, accessToken: string): Promise<T> {
    let response: Response;
    try {
      response = await fetch(`${settings.apiUrl}${path}`, {
        headers: { authorization: `Bearer ${accessToken}`, accept: 'application/vnd.github+json', 'user-agent': 'keycard', 'x-github-api-version': '2022-11-28' },
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
    } catch (error) {
      throw new ProviderFailure('PROVIDER_ERROR', `GitHub API ${path}: ${(error as Error).name}`);
    }
    if (!response.ok) throw new ProviderFailure('PROVIDER_ERROR', `GitHub API ${path}: HTTP ${response.status}`);
    try {
      return (await response.json()) as T;
    } catch {
      throw new ProviderFailure('PROVIDER_ERROR', `GitHub API ${path}: not JSON`);
    }
  }

  return {
    id: settings.id,
    name: settings.name,
    kind: 'github',

    async authorizationUrl({ redirectUri, state, codeChallenge }) {
      const { client, config } = await configure();
      return client
        .buildAuthorizationUrl(config, { redirect_uri: redirectUri, scope: 'read:user user:email', state, code_challenge: codeChallenge, code_challenge_method: 'S256' })
        .toString();
    },

    async exchange({ redirectUri, code, state, codeVerifier }): Promise<ProviderProfile> {
      const { client, config } = await configure();
      const callback = new URL(redirectUri);
      callback.search = '';
      callback.searchParams.set('code', code);
      callback.searchParams.set('state', state);
      let accessToken: string;
      try {
        const tokens = await client.authorizationCodeGrant(config, callback, { pkceCodeVerifier: codeVerifier, expectedState: state, idTokenExpected: false });
        accessToken = tokens.access_token;
      } catch (error) {
        throw translateLibraryError(error, false);
      }
      const user = await api<{ id?: unknown; name?: unknown; login?: unknown }>('/user', accessToken);
      if ((typeof user.id !== 'number' && typeof user.id !== 'string') || String(user.id) === '') throw new ProviderFailure('PROVIDER_ERROR', 'GitHub /user without an id');
      const emails = await api<GithubEmail[]>('/user/emails', accessToken);
      const list = Array.isArray(emails) ? emails.filter((e) => typeof e?.email === 'string') : [];
      // The primary address if GitHub verified it, else any verified one; an unverified address is kept, not trusted.
      const chosen = list.find((e) => e.primary && e.verified === true) ?? list.find((e) => e.verified === true) ?? list.find((e) => e.primary) ?? null;
      return {
        subject: String(user.id),
        email: chosen?.email ?? null,
        emailVerified: chosen?.verified === true,
        name: typeof user.name === 'string' ? user.name : typeof user.login === 'string' ? user.login : null,
      };
    },
  };
}
