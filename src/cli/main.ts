import fs from 'node:fs';
import { SigningKeyDecryptionError } from '../keys/signing-keys';
import { NoSigningKeyError } from '../keys/key-set';
import { systemClock } from '../clock';
import { ConfigError, loadConfig } from '../config';
import { KeycardError } from '../errors';
import { CliError, UsageError } from './cli-error';
import type { CliCommand } from './command';
import { apiTokenCreateCommand } from './commands/api-token-create';
import { dbCopyCommand } from './commands/db-copy';
import { keysListCommand } from './commands/keys-list';
import { keysRotateCommand } from './commands/keys-rotate';
import { migrateCommand } from './commands/migrate';
import { tokensPruneCommand } from './commands/tokens-prune';
import { userCreateCommand } from './commands/user-create';
import { userSetRoleCommand } from './commands/user-set-role';
import { userVerifyEmailCommand } from './commands/user-verify-email';
import { createCliContext } from './context';

/** `npm run cli -- <command>`: operator commands on the database of DATABASE_URL, no HTTP server. */
const COMMANDS: readonly CliCommand[] = [
  migrateCommand,
  dbCopyCommand,
  userCreateCommand,
  userSetRoleCommand,
  userVerifyEmailCommand,
  apiTokenCreateCommand,
  keysRotateCommand,
  keysListCommand,
  tokensPruneCommand,
];

const COMMAND_NAMES = COMMANDS.map((command) => command.name).join(', ');

function help(): string {
  const width = Math.max(...COMMANDS.map((command) => command.usage.length));
  return [
    'usage: npm run cli -- <command> [options]',
    '',
    ...COMMANDS.map((command) => `  ${command.usage.padEnd(width)}  ${command.summary}`),
    '',
    'Configuration comes from the environment (and .env), as for the server.',
  ].join('\n');
}

async function run(argv: readonly string[]): Promise<void> {
  const [name, ...rest] = argv;
  if (name === undefined) throw new UsageError(`missing command (one of: ${COMMAND_NAMES}; or help)`);
  if (name === 'help' || name === '--help' || name === '-h') {
    process.stdout.write(`${help()}\n`);
    return;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) throw new UsageError(`unknown command "${name}" (one of: ${COMMAND_NAMES}; or help)`);

  try {
    const work = command.prepare(rest);
    if (fs.existsSync('.env')) process.loadEnvFile('.env');
    const config = loadConfig(process.env);
    if (config.usingDevSecret) process.stderr.write('keycard: warning: KEYCARD_SECRET is not set; using the development secret\n');
    const context = createCliContext(config, systemClock);
    try {
      await work(context);
    } finally {
      await context.close();
    }
  } catch (error) {
    throw new CommandFailed(name, error);
  }
}

class CommandFailed extends Error {
  constructor(
    readonly command: string,
    override readonly cause: unknown,
  ) {
    super(command);
  }
}

/** Errors we raise on purpose carry a message for the operator; anything else gets its first line only. */
function messageOf(error: unknown): string {
  if (error instanceof CliError || error instanceof ConfigError || error instanceof KeycardError || error instanceof SigningKeyDecryptionError || error instanceof NoSigningKeyError) {
    return error.message;
  }
  if (error instanceof Error && error.message) return `unexpected error: ${error.message}`;
  return 'unexpected error';
}

function report(error: unknown): number {
  const failure = error instanceof CommandFailed ? error.cause : error;
  const prefix = error instanceof CommandFailed ? `keycard ${error.command}` : 'keycard';
  // One line, always: a script greps it, a person reads it; a stack trace helps neither.
  const line = messageOf(failure).split(/\r?\n/)[0]!.trim();
  process.stderr.write(`${prefix}: ${line}\n`);
  return failure instanceof CliError ? failure.exitCode : 1;
}

// `keys:list | head -1` closes the pipe early: that is the reader's choice, not a failure.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  process.exitCode = report(error);
});
// The last net under "never a stack trace": anything thrown outside the awaited chain.
process.on('uncaughtException', (error) => {
  process.exitCode = report(error);
});

run(process.argv.slice(2)).then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    process.exitCode = report(error);
  },
);
