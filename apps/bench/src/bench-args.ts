import { ALL_SCENARIOS, ALL_SYSTEMS, type ScenarioName } from './targets.js';

/** Command-line options of `npm run bench -- ...`. */
export interface BenchArgs {
  /** Tasks per throughput scenario for the Node workers. */
  n: number;
  /** Tasks per throughput scenario for Celery (slower). */
  celeryN: number;
  scenarios: ScenarioName[];
  systems: string[];
  brokers: string[];
  repeat: number;
  rate: number;
  latencySeconds: number;
  latencyWarmupSeconds: number;
  json?: string;
  cpuProf?: string;
  /** Node options for every Node worker child (Celeriac and BullMQ alike). */
  workerNodeOptions: string[];
  commandStats: boolean;
  quick: boolean;
}

const HELP = `npm run bench -- [options]
  --n N                 tasks per throughput scenario, Node workers (default 50000; --quick 2000)
  --celery-n N          tasks per throughput scenario, Celery (default 10000; --quick 500)
  --scenarios LIST      e2e,enqueue,drain,latency,drain-py,e2e-py (default all)
  --systems LIST        celeriac,bullmq,celery: no-op task, no arguments;
                        celeriac-add,celeriac-add-E,bullmq-add,celery-add: interop.add(x, y),
                        extended results kept in Redis (-E: with task events)
                        celeriac-add-T: the same with OpenTelemetry tracing, 100 % sampled
                        celeriac-add-M: the same with Prometheus metrics, scraped every second
                        (default all available)
  --realistic           shorthand for --systems celeriac-add,celeriac-add-E,bullmq-add,celery-add
  --brokers LIST        redis,amqp (default both)
  --repeat R            repeat every measurement R times and report medians (default 1)
  --rate R              offered rate of the latency scenario, tasks/s (default 1000)
  --latency-seconds S   duration of the latency scenario (default 5; --quick 2)
  --latency-warmup S    seconds of the same load offered first, left out of p50 / p99
                        (default 3; --quick 1; the JSON keeps p99Cold with them)
  --json FILE           write every result and the medians as JSON
  --cpu-prof DIR        run Celeriac worker children under node --cpu-prof, profiles in DIR
  --worker-node-options "FLAGS"
                        node options for every Node worker child, Celeriac and BullMQ alike
                        (e.g. "--max-semi-space-size=4"; default: none, Node's defaults)
  --commandstats        Redis commands per task in e2e (INFO commandstats deltas)
  --quick               small N for a CI smoke run

One scenario of one system, quickly (about 10 s):
  npm run bench -- --systems celeriac-add --brokers redis --scenarios drain-py --n 2000`;

/** Parse argv (after the script name). Exits with usage on --help or a bad option. */
export function parseBenchArgs(argv: string[]): BenchArgs {
  const quick = argv.includes('--quick');
  const args: BenchArgs = {
    n: quick ? 2000 : 50_000,
    celeryN: quick ? 500 : 10_000,
    scenarios: ALL_SCENARIOS,
    systems: [...ALL_SYSTEMS],
    brokers: ['redis', 'amqp'],
    repeat: 1,
    rate: 1000,
    latencySeconds: quick ? 2 : 5,
    latencyWarmupSeconds: quick ? 1 : 3,
    commandStats: false,
    workerNodeOptions: [],
    quick,
  };
  const list = (v: string): string[] =>
    v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) fail(`${flag} needs a value`);
      return v;
    };
    const positive = (): number => {
      const v = Number(value());
      if (!(v > 0)) fail(`${flag} needs a positive number`);
      return v;
    };
    switch (flag) {
      case '--n':
        args.n = Math.round(positive());
        break;
      case '--celery-n':
        args.celeryN = Math.round(positive());
        break;
      case '--scenarios': {
        const names = list(value());
        const bad = names.filter((s) => !ALL_SCENARIOS.includes(s as ScenarioName));
        if (bad.length) fail(`unknown scenario(s) ${bad.join(', ')}`);
        args.scenarios = names as ScenarioName[];
        break;
      }
      case '--systems': {
        const names = list(value());
        const bad = names.filter((s) => !(ALL_SYSTEMS as string[]).includes(s));
        if (bad.length) fail(`unknown system(s) ${bad.join(', ')}`);
        args.systems = names;
        break;
      }
      case '--realistic':
        args.systems = ALL_SYSTEMS.filter((s) => s.endsWith('-add') || s.endsWith('-add-E'));
        break;
      case '--brokers':
        args.brokers = list(value());
        break;
      case '--repeat':
        args.repeat = Math.round(positive());
        break;
      case '--rate':
        args.rate = positive();
        break;
      case '--latency-seconds':
        args.latencySeconds = positive();
        break;
      case '--latency-warmup':
        args.latencyWarmupSeconds = Number(value());
        if (!(args.latencyWarmupSeconds >= 0))
          throw new Error('--latency-warmup needs seconds ≥ 0');
        break;
      case '--json':
        args.json = value();
        break;
      case '--cpu-prof':
        args.cpuProf = value();
        break;
      case '--worker-node-options':
        args.workerNodeOptions = list(value().replace(/\s+/g, ','));
        break;
      case '--commandstats':
        args.commandStats = true;
        break;
      case '--quick':
        break;
      case '--help':
      case '-h':
        console.log(HELP);
        process.exit(0);
        break;
      default:
        fail(`unknown option ${flag}`);
    }
  }
  return args;
}

function fail(message: string): never {
  console.error(`bench: ${message}\n\n${HELP}`);
  process.exit(2);
}
