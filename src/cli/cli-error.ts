/**
 * Failures the CLI reports as one line, never with a stack. The exit code tells a script
 * which side was wrong (the convention of sysexits and most shells):
 *   2  the command line itself (unknown command or option, missing flag, malformed value)
 *   1  the command could not be carried out (validation, unknown user, storage, config)
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 2);
    this.name = 'UsageError';
  }
}
