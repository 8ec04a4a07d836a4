import { createApiTokenService } from '../../tokens/api-token.service';
import { CliError } from '../cli-error';
import { CLI_ORIGIN, type CliCommand } from '../command';
import { parseEmailFlag, parseFlags, requireFlag } from '../flags';

export const apiTokenCreateCommand: CliCommand = {
  name: 'api-token:create',
  usage: 'api-token:create --email E --name N --scopes S,S [--expires-in D]',
  summary: 'prints a new API token once (for service accounts); scopes within the user\'s role',
  prepare(argv) {
    const flags = parseFlags(argv, { email: { type: 'string' }, name: { type: 'string' }, scopes: { type: 'string' }, 'expires-in': { type: 'string' } });
    const email = parseEmailFlag(requireFlag('email', flags.email));
    const name = requireFlag('name', flags.name);
    const scopes = requireFlag('scopes', flags.scopes)
      .split(',')
      .map((scope) => scope.trim())
      .filter((scope) => scope !== '');
    const expiresIn = flags['expires-in'] ?? null;

    return async (context) => {
      const accounts = await context.accounts();
      const user = await accounts.findUserByEmail(email);
      if (!user) throw new CliError(`no user with email ${email}`);
      if (user.disabledAt !== null) throw new CliError(`${email} is disabled: its tokens would not work`);
      // The same service and rules as createApiToken: the scopes must be ones the user's role allows.
      const apiTokens = createApiTokenService({ apiTokens: (await context.storage()).apiTokens, clock: context.clock });
      const { token, apiToken } = await apiTokens.create({ id: user.id, role: user.role }, { name, scopes, expiresIn }, CLI_ORIGIN, null);
      // The token is the one line on standard output, so a script can capture it; it is never shown again.
      context.print(token);
      process.stderr.write(
        `created API token ${apiToken.prefix}... "${apiToken.name}" for ${email} (id ${apiToken.id}, scopes ${apiToken.scopes.join(' ')}, ${apiToken.expiresAt ? `expires ${apiToken.expiresAt.toISOString()}` : 'no expiry'})\n`,
      );
    };
  },
};
