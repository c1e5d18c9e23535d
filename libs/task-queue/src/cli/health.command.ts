import type { CliCommand } from './cli-command.js';
import { HEALTH_USAGE, runHealthProbe } from './health-probe.js';

/** `celeriac health`: see health-probe.ts (the launcher runs it without loading the CLI). */
export const healthCommand: CliCommand = {
  name: 'health',
  usage: HEALTH_USAGE,
  summary: 'exec probe: exit 0 when a running process answers /health/live (or --ready)',
  run: (argv, output) => runHealthProbe(argv, process.env, output.err),
};
