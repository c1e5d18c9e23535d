/** Exit codes of the `celeriac` CLI. */
export const ExitCode = {
  OK: 0,
  /** The task failed or was revoked, or a broker / backend operation failed. */
  FAILURE: 1,
  /** Bad command line. */
  USAGE: 2,
  /** `--wait` ran out (the same code as coreutils `timeout`). */
  TIMEOUT: 124,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI reports as one line on stderr, exiting with `code`. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly code: ExitCode = ExitCode.FAILURE,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** A command-line mistake: reported with the command's usage hint, exit code 2. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, ExitCode.USAGE);
    this.name = 'UsageError';
  }
}
