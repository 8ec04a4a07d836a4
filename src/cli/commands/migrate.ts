import type { CliCommand } from '../command';
import { parseFlags } from '../flags';
import { count } from '../format';

export const migrateCommand: CliCommand = {
  name: 'migrate',
  usage: 'migrate',
  summary: 'applies pending migrations (every other command does too, as the server does at start)',
  prepare(argv) {
    parseFlags(argv, {});
    return async (context) => {
      const applied = await context.appliedMigrations();
      context.print(`${count(applied, 'migration')} applied; the database is up to date`);
    };
  },
};
