import { parseNewPassword, PASSWORD_MAX } from '../../accounts/account.input';
import { CliError, UsageError } from '../cli-error';
import { CLI_ORIGIN, type CliCommand } from '../command';
import { parseEmailFlag, parseFlags, parseRole, requireFlag } from '../flags';

// Four UTF-8 bytes per character at most, plus a line ending: anything longer cannot be a valid
// password, and is refused before it is buffered whole.
const MAX_STDIN_BYTES = PASSWORD_MAX * 4 + 2;

export const userCreateCommand: CliCommand = {
  name: 'user:create',
  usage: 'user:create --email E --role USER|ADMIN --password-stdin [--display-name NAME]',
  summary: 'creates a user; the password is read from standard input',
  prepare(argv) {
    const flags = parseFlags(argv, {
      email: { type: 'string' },
      role: { type: 'string' },
      'password-stdin': { type: 'boolean' },
      'display-name': { type: 'string' },
    });
    const email = parseEmailFlag(requireFlag('email', flags.email));
    const role = parseRole(requireFlag('role', flags.role));
    // A password on the command line would sit in shell history and in `ps` for every local user.
    if (!flags['password-stdin']) throw new UsageError('--password-stdin is required: the password is read from standard input');

    return async (context) => {
      // One trailing line ending is how `echo` and here-strings end their input, not part of the password.
      const password = (await context.readStdin(MAX_STDIN_BYTES)).replace(/\r?\n$/, '');
      if (password === '') throw new CliError('no password on standard input');
      parseNewPassword(password);
      const accounts = await context.accounts();
      const user = await accounts.createUser({ email, password, role, displayName: flags['display-name'] }, CLI_ORIGIN, null);
      context.print(`created ${user.role} ${user.email} (id ${user.id})`);
    };
  },
};
