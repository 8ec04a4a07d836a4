import type { TestApp } from './app';
import { login, PASSWORD, uniqueEmail } from './graphql';

/** An ADMIN created as an operator would (the CLI uses the same service), then signed in. */
export async function signedInAdmin(t: TestApp) {
  const email = uniqueEmail('admin');
  await t.app.services.accounts.createUser({ email, password: PASSWORD, role: 'ADMIN' }, { ip: null, userAgent: 'test' }, null);
  return login(t.url, email);
}
