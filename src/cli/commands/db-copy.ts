import { isPostgresDatabaseUrl } from '../../config';
import { copySqliteToPostgres, CopyTargetNotEmptyError } from '../../storage/storage';
import { CliError, UsageError } from '../cli-error';
import type { CliCommand } from '../command';
import { parseFlags, requireFlag } from '../flags';
import { count } from '../format';

export const dbCopyCommand: CliCommand = {
  name: 'db:copy',
  usage: 'db:copy --to postgres://user:password@host:port/database',
  summary: 'copies the SQLite database of DATABASE_URL (users, sessions, refresh tokens, signing keys, audit log) into a new PostgreSQL database',
  prepare(argv) {
    const flags = parseFlags(argv, { to: { type: 'string' } });
    const to = requireFlag('to', flags.to);
    if (!isPostgresDatabaseUrl(to)) throw new UsageError('--to expects a postgres:// or postgresql:// URL');
    return async (context) => {
      const { databaseDialect, databasePath } = context.config;
      if (databaseDialect !== 'sqlite' || databasePath === null || databasePath === ':memory:') {
        throw new CliError('DATABASE_URL must name the SQLite file to copy from (file:<path>)');
      }
      try {
        const copied = await copySqliteToPostgres(databasePath, to);
        context.print(
          `copied ${count(copied.users, 'user')}, ${count(copied.sessions, 'session')}, ${count(copied.refreshTokens, 'refresh token')}, ` +
            `${count(copied.signingKeys, 'signing key')}, ${count(copied.identities, 'identity', 'identities')} and ${count(copied.auditEvents, 'audit event')}; start the servers with that DATABASE_URL and the same KEYCARD_SECRET`,
        );
      } catch (error) {
        if (error instanceof CopyTargetNotEmptyError) throw new CliError(error.message);
        throw error;
      }
    };
  },
};
