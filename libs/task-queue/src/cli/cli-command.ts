import type { CliOutput } from './cli-output.js';

/** One `celeriac <command>`. */
export interface CliCommand {
  name: string;
  /** The synopsis after `celeriac <name>`. */
  usage: string;
  summary: string;
  /** Run with the arguments after the command name; resolves the exit code. */
  run(argv: string[], output: CliOutput): Promise<number>;
}
