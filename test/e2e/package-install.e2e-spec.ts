import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../support/interop-build.js';

/**
 * The library as a user gets it: `npm pack` of an unbuilt checkout, installed from the tarball
 * into scratch Nest apps next to peers from the registry (npm's cache keeps this fast), then
 * type-checked with `skipLibCheck: false` and run.
 */
const run = promisify(execFile);
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const REDIS = 'redis://127.0.0.1:6379/0';
const PREFIX = `pkg-${randomUUID().slice(0, 8)}:`;
const QUEUE = `pkg-${randomUUID().slice(0, 8)}`;
const NPM_FLAGS = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];

const work = mkdtempSync(join(tmpdir(), 'celeriac-package-'));
const tarball = join(work, 'celeriac-0.1.0.tgz');
const taskIds: string[] = [];

/** The environment without the npm_* variables of an enclosing `npm test`. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !key.toLowerCase().startsWith('npm_')),
);

async function sh(
  command: string,
  args: string[],
  cwd: string,
): Promise<{ stdout: string; stderr: string }> {
  return run(command, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
}

/** `node <script>` that may fail: its exit code and output. */
async function node(cwd: string, args: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await sh(process.execPath, args, cwd);
    return { code: 0, output: stdout + stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
  }
}

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2023',
    lib: ['ES2023'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    experimentalDecorators: true,
    emitDecoratorMetadata: true,
    rootDir: 'src',
    outDir: 'out',
    types: ['node'],
  },
};

/** Sends `scratch.add(2, 3)` on the broker and result backend given as arguments. */
const RUN_TS = `import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Task, TaskClient, TaskQueueModule } from 'celeriac';

@Injectable()
export class MathTasks {
  @Task('scratch.add')
  async add(x: number, y: number): Promise<number> {
    return x + y;
  }
}

const [broker = 'memory://', resultBackend = 'memory://', queue = 'celery'] = process.argv.slice(2);

@Module({
  imports: [TaskQueueModule.forRoot({ broker, resultBackend, defaultQueue: queue, events: { enabled: false } })],
  providers: [MathTasks],
})
export class AppModule {}

try {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false, abortOnError: false });
  try {
    const result = await app.get(TaskClient).get(MathTasks, 'add').delay(2, 3);
    const sum: number = await result.get({ timeout: 20_000 });
    console.log(\`RESULT \${result.id} \${sum}\`);
  } finally {
    await app.close();
  }
} catch (error) {
  console.error(error instanceof Error ? \`\${error.name}: \${error.message}\` : String(error));
  process.exitCode = 2;
}
`;

/** A CommonJS consumer (`.cts`, compiled to `require()` calls) of the ES module package. */
const RUN_CTS = `import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Task, TaskClient, TaskQueueModule } from 'celeriac';
import { TaskQueueTester } from 'celeriac/testing';

@Injectable()
export class MathTasks {
  @Task('scratch.add')
  async add(x: number, y: number): Promise<number> {
    return x + y;
  }
}

@Module({ imports: [TaskQueueModule.forRoot({ events: { enabled: false } })], providers: [MathTasks] })
export class AppModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
  const result = await app.get(TaskClient).get(MathTasks, 'add').delay(2, 3);
  console.log(\`CJS \${typeof TaskQueueTester} \${await result.get({ timeout: 20_000 })}\`);
  await app.close();
}
void main();
`;

/** Every entry point with its peers, typed against typeorm's own classes. */
const ENTRIES_TS = `import { Injectable } from '@nestjs/common';
import { Task, TaskClient, TaskQueueModule, type TaskQueueOptions } from 'celeriac';
import { RedisBroker } from 'celeriac/redis';
import { AmqpBroker } from 'celeriac/amqp';
import { onCommit, TaskOutbox, TaskResult } from 'celeriac/typeorm';
import { captureOnCommitCallbacks, TaskQueueTestingModule } from 'celeriac/testing';
import { createBroker, createTaskMessage } from 'celeriac/protocol';
import { OpenTelemetryTaskInstrumentation } from 'celeriac/otel';
import { TaskQueueMetricsModule } from 'celeriac/prometheus';
import { TaskQueueTerminusModule } from 'celeriac/terminus';
import { describeBrokerConformance } from 'celeriac/conformance';
import { DataSource } from 'typeorm';

@Injectable()
export class OrderTasks {
  constructor(
    private readonly tasks: TaskClient,
    private readonly dataSource: DataSource,
  ) {}

  @Task('scratch.process')
  async process(orderId: number): Promise<string> {
    return \`order \${orderId}\`;
  }

  async place(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      onCommit(manager, () => this.tasks.get(OrderTasks, 'process').delay(1));
      await this.tasks.get(OrderTasks, 'process').applyAsyncOnCommit([2], { manager });
      // Call options that may be absent (exactOptionalPropertyTypes): undefined means unset.
      const countdown: number | undefined = undefined;
      await this.tasks.get(OrderTasks, 'process').applyAsync([3], { countdown, queue: undefined });
    });
  }
}

export const options = (dataSource: DataSource): TaskQueueOptions => ({
  broker: new RedisBroker('redis://127.0.0.1:6379/0'),
  typeorm: { dataSource, dispatch: 'outbox' },
});
// Module options from the environment (exactOptionalPropertyTypes): undefined takes the default.
export const fromEnv = TaskQueueModule.forRoot({
  broker: process.env.CELERIAC_BROKER,
  resultBackend: process.env.CELERIAC_RESULT_BACKEND,
  worker: { hostname: process.env.CELERIAC_HOSTNAME, http: undefined },
});
export const amqp = (): AmqpBroker => new AmqpBroker('amqp://127.0.0.1');
export const entities = [TaskOutbox, TaskResult];
export const testing = TaskQueueTestingModule;
export const capture = captureOnCommitCallbacks;
export const protocol = { createBroker, createTaskMessage };
export const observability = [OpenTelemetryTaskInstrumentation, TaskQueueMetricsModule, TaskQueueTerminusModule];
export const conformance = describeBrokerConformance;
`;

/**
 * The consumer set-ups a Nest project may have, each type-checking ENTRIES_TS: CommonJS with
 * `moduleResolution: node` (node10, which ignores the exports map: the subpaths need
 * typesVersions), node16 and bundler, with the strictest optional flags.
 */
const CONSUMER_SETUPS: Record<string, object> = {
  'commonjs + node10': {
    module: 'CommonJS',
    moduleResolution: 'node10',
    ignoreDeprecations: '6.0',
  },
  'node16 + node16': { module: 'Node16', moduleResolution: 'Node16' },
  'esnext + bundler': { module: 'ESNext', moduleResolution: 'Bundler' },
  'preserve + bundler': { module: 'Preserve', moduleResolution: 'Bundler' },
};
const STRICTEST = {
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
  noEmit: true,
};

/** A scratch Nest app in its own temporary directory (outside `work`, whose node_modules is the repo's). */
function scratchApp(dependencies: Record<string, string>, extra: object = {}): string {
  const dir = mkdtempSync(join(tmpdir(), 'celeriac-scratch-'));
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module', dependencies, ...extra }),
  );
  mkdirSync(join(dir, 'src'));
  writeFileSync(join(dir, 'src/run.ts'), RUN_TS);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: ['src/run.ts'] }));
  return dir;
}

const NEST = {
  '@nestjs/common': '^12.0.0',
  '@nestjs/core': '^12.0.0',
  'reflect-metadata': '^0.2.2',
  rxjs: '^7.8.0',
  '@types/node': '^20.19.0',
};
const apps: string[] = [];

afterAll(async () => {
  const redis = new Redis(REDIS, { lazyConnect: true });
  try {
    const keys = [
      ...(await redis.keys(`${PREFIX}*`)),
      ...taskIds.map((id) => `celery-task-meta-${id}`),
    ];
    if (keys.length) await redis.del(...keys);
  } finally {
    redis.disconnect();
  }
  for (const dir of [work, ...apps]) rmSync(dir, { recursive: true, force: true });
});

describe('the packed celeriac package', () => {
  it('npm pack of an unbuilt checkout builds first and ships dist with the Lua scripts, bin, README, LICENSE and CHANGELOG', async () => {
    // An unbuilt checkout as a fresh clone after `npm ci` has it: the package without dist/,
    // in the libs/<name> layout (tsconfig.lib.json extends ../../tsconfig.base.json), next to
    // the repository's node_modules (for tsc and the libraries' types).
    const lib = join(work, 'libs/task-queue');
    cpSync(join(ROOT, 'libs/task-queue'), lib, {
      recursive: true,
      filter: (source) => !/[/\\](dist|node_modules)$/.test(source),
    });
    cpSync(join(ROOT, 'tsconfig.base.json'), join(work, 'tsconfig.base.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'));
    await sh('npm', ['pack', '--pack-destination', work, '--loglevel=error'], lib);
    const { stdout } = await sh('tar', ['-tzf', tarball], work);
    const files = stdout.split('\n').filter(Boolean);

    expect(files).toEqual(
      expect.arrayContaining([
        'package/package.json',
        'package/README.md',
        'package/LICENSE',
        'package/CHANGELOG.md',
        'package/bin/celeriac.js',
        'package/dist/index.js',
        'package/dist/index.d.ts',
        'package/dist/redis.js',
        'package/dist/amqp.js',
        'package/dist/typeorm.js',
        'package/dist/testing/index.js',
        'package/dist/conformance.js',
        'package/dist/protocol.js',
        'package/dist/cli/main.js',
        'package/dist/transports/redis/commands/fetch-2.lua',
        'package/dist/transports/redis/commands/store-n.lua',
        'package/dist/transports/redis/commands/reserveSlot-1.lua',
      ]),
    );
    expect(files.filter((file) => file.endsWith('.lua')).length).toBeGreaterThanOrEqual(16);
    expect(
      files.filter((file) => /\.map$|\.tsbuildinfo$|\.spec\.|__fixtures__/.test(file)),
    ).toEqual([]);
  }, 180_000);

  it('installs with its required peers only: the main entry type-checks without typeorm, amqplib or ioredis, runs a task on memory:// from an ES module and from a CommonJS app that also imports celeriac/testing, and names the package a redis:// broker needs', async () => {
    const app = scratchApp({ celeriac: `file:${tarball}`, ...NEST });
    apps.push(app);
    await sh('npm', ['install', ...NPM_FLAGS], app);

    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    const memory = await node(app, ['out/run.js', 'memory://', 'memory://']);
    expect(memory.output).toMatch(/RESULT \S+ 5/);
    // A consumer whose runtime or bundler sets the common `source` condition gets dist too
    // (the package ships no sources for it to point at).
    const source = await node(app, ['--conditions=source', 'out/run.js', 'memory://', 'memory://']);
    expect(source.output).toMatch(/RESULT \S+ 5/);

    // A CommonJS app: Node.js 20.19+ loads the ES module package with require().
    writeFileSync(join(app, 'src/run-cjs.cts'), RUN_CTS);
    const cjsConfig = { ...TSCONFIG, files: ['src/run-cjs.cts'] };
    writeFileSync(join(app, 'tsconfig.cjs.json'), JSON.stringify(cjsConfig));
    const compiled = await node(app, [TSC, '-p', 'tsconfig.cjs.json']);
    expect(compiled.output).toBe('');
    const cjs = await node(app, ['out/run-cjs.cjs']);
    expect(cjs.output).toContain('CJS function 5');

    const redis = await node(app, ['out/run.js', REDIS, REDIS]);
    expect(redis.code).toBe(2);
    expect(redis.output).toContain('MissingPeerDependencyError');
    expect(redis.output).toContain('npm install ioredis');
    expect(redis.output).not.toContain('ERR_MODULE_NOT_FOUND');
  }, 180_000);

  it('installs next to typeorm, ioredis 5, amqplib and the observability peers without ERESOLVE, type-checks every entry point (and module options from the environment) with skipLibCheck false under CommonJS (node10), node16 and bundler resolution, and runs a task over Redis', async () => {
    const app = scratchApp({
      celeriac: `file:${tarball}`,
      ...NEST,
      typeorm: '^1.1.1',
      ioredis: '^5.4.0',
      amqplib: '^2.3.1',
      'prom-client': '^15.1.3',
      '@nestjs/terminus': '^12.0.0',
      '@opentelemetry/api': '~1.9.0',
      vitest: '~4.1.12',
    });
    apps.push(app);
    writeFileSync(join(app, 'src/entries.ts'), ENTRIES_TS);
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, include: ['src'] }));
    await sh('npm', ['install', ...NPM_FLAGS], app);

    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    for (const [setup, options] of Object.entries(CONSUMER_SETUPS)) {
      const file = `tsconfig.${setup.replace(/\W+/g, '-')}.json`;
      const compilerOptions = { ...TSCONFIG.compilerOptions, ...STRICTEST, ...options };
      writeFileSync(
        join(app, file),
        JSON.stringify({ compilerOptions, files: ['src/entries.ts'] }),
      );
      const checked = await node(app, [TSC, '-p', file]);
      expect(`${setup}: ${checked.output}`).toBe(`${setup}: `);
    }
    const broker = `${REDIS}?global_keyprefix=${PREFIX}`;
    const redis = await node(app, ['out/run.js', broker, REDIS, QUEUE]);
    const [, id, sum] = /RESULT (\S+) (\d+)/.exec(redis.output) ?? [];
    if (id) taskIds.push(id);
    expect(redis.output).toMatch(/RESULT \S+ 5/);
    expect(sum).toBe('5');
  }, 180_000);

  it('with ioredis 6 and typeorm, the overrides entry that docs/getting-started.md gives resolves the install, and a task runs over Redis', async () => {
    const app = scratchApp(
      { celeriac: `file:${tarball}`, ...NEST, typeorm: '^1.1.1', ioredis: '^6.0.0' },
      { overrides: { typeorm: { ioredis: '$ioredis' } } },
    );
    apps.push(app);
    await sh('npm', ['install', ...NPM_FLAGS], app);
    const { stdout } = await sh('npm', ['ls', 'ioredis', '--all', '--parseable', '--long'], app);
    expect(stdout).toMatch(/ioredis@6\./);
    expect(stdout).not.toMatch(/ioredis@5\./);

    await sh(process.execPath, [TSC, '-p', 'tsconfig.json'], app);
    const broker = `${REDIS}?global_keyprefix=${PREFIX}`;
    const redis = await node(app, ['out/run.js', broker, REDIS, QUEUE]);
    const [, id] = /RESULT (\S+) 5/.exec(redis.output) ?? [];
    if (id) taskIds.push(id);
    expect(redis.output).toMatch(/RESULT \S+ 5/);
  }, 180_000);
});
