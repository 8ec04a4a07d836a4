/**
 * The Keycard client SDK (src/client) in body mode, against a running server:
 * sign in (signing up on the first run), show `me` and the live sessions, log out.
 *
 *   npm run dev                      # in another terminal
 *   npm run example:sdk              # talks to http://127.0.0.1:4000/graphql
 *   KEYCARD_URL=http://127.0.0.1:4100/graphql npm run example:sdk
 */
import { createKeycardClient, KeycardApiError, type AuthPayload } from '../src/client';

const endpoint = process.env.KEYCARD_URL ?? 'http://127.0.0.1:4000/graphql';
const ada = { email: 'ada@example.com', password: 'correct horse battery staple' };

async function main(): Promise<void> {
  // Body mode: the refresh token comes back in the JSON body and stays in the client's store
  // (memory here; pass `storage` to keep it in the platform's secure storage).
  const keycard = createKeycardClient({ endpoint, mode: 'body' });

  // Log in, and sign up when the account does not exist yet. Login goes first because every
  // signup attempt counts against SIGNUP_LIMIT_PER_IP, even one answered EMAIL_TAKEN.
  let signedIn: AuthPayload;
  try {
    signedIn = await keycard.login(ada);
    console.log(`logged in as ${signedIn.user.email}`);
  } catch (error) {
    if (!(error instanceof KeycardApiError && error.code === 'INVALID_CREDENTIALS')) throw error;
    signedIn = await keycard.signup({ ...ada, displayName: 'Ada' });
    console.log(`signed up as ${signedIn.user.email}`);
  }
  console.log(`access token expires at ${signedIn.accessTokenExpiresAt}`);

  // Sent with the access token; on UNAUTHENTICATED / TOKEN_EXPIRED the client refreshes once and retries.
  const me = await keycard.me();
  console.log('me:', me);

  const sessions = await keycard.sessions();
  console.log(`${sessions?.length ?? 0} live session(s):`);
  for (const session of sessions ?? []) {
    console.log(`  ${session.id}  created ${session.createdAt}  ${session.userAgent ?? '-'}${session.current ? '  (this one)' : ''}`);
  }

  // Ends this session on the server and forgets the tokens held by the client.
  const ended = await keycard.logout();
  console.log(`logout: ${ended ? 'session ended' : 'there was no session to end'}`);
}

main().catch((error: unknown) => {
  if (error instanceof KeycardApiError) {
    console.error(`keycard: ${error.code}${error.reason ? ` (${error.reason})` : ''}: ${error.message}`);
  } else if (error instanceof TypeError && error.message === 'fetch failed') {
    console.error(`keycard: cannot reach ${endpoint}: start the server with \`npm run dev\`, or set KEYCARD_URL`);
  } else {
    console.error(error);
  }
  process.exitCode = 1;
});
