import { CliError } from '../cli-error';
import { CLI_ORIGIN, type CliCommand } from '../command';
import { parseEmailFlag, parseFlags, parseRole, requireFlag } from '../flags';

export const userSetRoleCommand: CliCommand = {
  name: 'user:set-role',
  usage: 'user:set-role --email E --role USER|ADMIN',
  summary: "changes a user's role; it applies from their next request",
  prepare(argv) {
    const flags = parseFlags(argv, { email: { type: 'string' }, role: { type: 'string' } });
    const email = parseEmailFlag(requireFlag('email', flags.email));
    const role = parseRole(requireFlag('role', flags.role));

    return async (context) => {
      const accounts = await context.accounts();
      const user = await accounts.findUserByEmail(email);
      if (!user) throw new CliError(`no user with email ${email}`);
      if (user.role === role) {
        context.print(`${email} is already ${role}`);
        return;
      }
      // The service keeps the rules a GraphQL admin meets, the last active ADMIN among them.
      await accounts.setRole(user.id, role, null, CLI_ORIGIN);
      context.print(`${email} is now ${role} (was ${user.role})`);
    };
  },
};
