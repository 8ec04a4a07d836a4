/**
 * Device sign-in (RFC 8628) as a command-line tool does it, with openid-client, a standard OAuth
 * client library, unchanged: ask for a code, show it with the page to approve it on, wait, then
 * call `me` with the access token.
 *
 *   JWT_ISSUER=http://127.0.0.1:4000 OAUTH_DEVICE_CLIENTS=keycard-cli npm run dev   # in another terminal
 *   npm run example:device
 *
 * KEYCARD_SERVER (default http://127.0.0.1:4000), KEYCARD_CLIENT_ID (default keycard-cli) and
 * KEYCARD_SCOPE (default "read:profile read:sessions") say where, who and what.
 */

// openid-client 6 is ESM-only and this build is CommonJS: loaded at run time.
type OpenId = typeof import('openid-client', { with: { 'resolution-mode': 'import' } });

const server = (process.env.KEYCARD_SERVER ?? 'http://127.0.0.1:4000').replace(/\/+$/, '');
const clientId = process.env.KEYCARD_CLIENT_ID ?? 'keycard-cli';
const scope = process.env.KEYCARD_SCOPE ?? 'read:profile read:sessions';

async function main(): Promise<void> {
  const oidc = (await import('openid-client')) as OpenId;
  // The endpoints are named here rather than discovered, so this runs against any Keycard that
  // serves them; `oidc.discovery(new URL(server), clientId, undefined, oidc.None())` works as well
  // where /.well-known/oauth-authorization-server is served.
  const config = new oidc.Configuration(
    { issuer: server, token_endpoint: `${server}/oauth/token`, device_authorization_endpoint: `${server}/oauth/device_authorization` },
    clientId,
    undefined,
    oidc.None(), // a public client: the client_id identifies it, nothing authenticates it
  );
  // Plain http only to a server on this machine; anything else must be https.
  if (/^http:\/\/(127\.0\.0\.1|localhost|\[::1\])(:|\/|$)/.test(server)) oidc.allowInsecureRequests(config);

  const started = await oidc.initiateDeviceAuthorization(config, { scope });
  console.log(`To sign in, open ${started.verification_uri_complete ?? started.verification_uri}`);
  console.log(`and check that it shows the code ${started.user_code}`);
  console.log(`Waiting for approval (the code expires in ${Math.round(started.expires_in / 60)} minutes)…`);

  // Polls every `interval` seconds, slowing down when told to, until approved, denied or expired.
  const tokens = await oidc.pollDeviceAuthorizationGrant(config, started);
  console.log(`Approved. Scopes: ${tokens.scope ?? '(none)'}`);

  const response = await fetch(`${server}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.access_token}` },
    body: JSON.stringify({ query: '{ me { id email displayName } }' }),
  });
  const body = (await response.json()) as { data?: { me: { id: string; email: string | null; displayName: string } | null }; errors?: unknown };
  if (body.errors || !body.data?.me) throw new Error(`me failed: ${JSON.stringify(body.errors ?? body)}`);
  console.log(`Signed in as ${body.data.me.email ?? body.data.me.displayName} (${body.data.me.id})`);
}

main().catch((error: unknown) => {
  const oauth = error as { error?: string; error_description?: string };
  if (typeof oauth.error === 'string') {
    console.error(`keycard: ${oauth.error}${oauth.error_description ? `: ${oauth.error_description}` : ''}`);
  } else if (error instanceof TypeError && error.message === 'fetch failed') {
    console.error(`keycard: cannot reach ${server}: is the server running (npm run dev), with JWT_ISSUER set to a URL?`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
