import { AuditEventType } from '../../audit/audit-event';
import { CliError } from '../cli-error';
import { CLI_ORIGIN, type CliCommand } from '../command';
import { parseEmailFlag, parseFlags, requireFlag } from '../flags';

export const userVerifyEmailCommand: CliCommand = {
  name: 'user:verify-email',
  usage: 'user:verify-email --email E',
  summary: "marks a user's email address verified (as if they had used the mailed link)",
  prepare(argv) {
    const flags = parseFlags(argv, { email: { type: 'string' } });
    const email = parseEmailFlag(requireFlag('email', flags.email));

    return async (context) => {
      const accounts = await context.accounts();
      const user = await accounts.findUserByEmail(email);
      if (!user) throw new CliError(`no user with email ${email}`);
      if (user.emailVerifiedAt !== null) {
        context.print(`${email} is already verified (since ${user.emailVerifiedAt.toISOString()})`);
        return;
      }
      const storage = await context.storage();
      // Through the repository's write path, so every instance's session-check cache sees it.
      const found = await storage.oneTimeTokens.markEmailVerified(user.id, new Date(context.clock.now()), {
        type: AuditEventType.EMAIL_VERIFIED,
        userId: user.id,
        actorId: null,
        ...CLI_ORIGIN,
        detail: { via: 'cli' },
      });
      if (!found) throw new CliError(`no user with email ${email}`);
      context.print(`${email} is now verified`);
    };
  },
};
