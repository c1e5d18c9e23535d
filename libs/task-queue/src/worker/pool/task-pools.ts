import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import type { PoolKind } from '../../contracts/task-options.interface.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import type { TaskDefinition } from '../../tasks/task-definition.js';
import { TaskRegistry } from '../../tasks/task.registry.js';
import { getTaskQueueConfigToken } from '../../utils/tokens.js';
import { isolateEntryFile } from './entry-file.js';
import { IsolatePool } from './isolate-pool.js';
import type { PoolStats, TaskPool } from './task-pool.js';

/**
 * The worker's isolate pools, one per kind its tasks use (`@Task({ pool })`, else
 * `worker.pool`). None when every task runs inline: then `enabled` is false and the executor
 * does no pool work at all.
 */
@Injectable()
export class TaskPools {
  private readonly pools = new Map<PoolKind, TaskPool>();
  /** True once a pool runs: the executor asks `poolFor()` only then. */
  enabled = false;

  constructor(
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    private readonly registry: TaskRegistry,
  ) {}

  /** Boot the pools the registered tasks need (their isolates are ready when it resolves). */
  async start(): Promise<void> {
    if (this.pools.size) return;
    const fallback = this.config.worker.pool;
    const kinds = new Set(this.registry.all().map((d) => d.options.pool ?? fallback));
    kinds.delete('inline');
    if (!kinds.size) return;
    const isolates = this.config.worker.isolates;
    if (!isolates) {
      throw new ConfigurationError(
        `Tasks use the ${[...kinds].join(' and ')} pool, but worker.isolates (the module isolates boot) is not set.`,
      );
    }
    const moduleUrl = isolates.module.startsWith('file:')
      ? isolates.module
      : pathToFileURL(isAbsolute(isolates.module) ? isolates.module : resolve(isolates.module))
          .href;
    for (const kind of kinds as Set<'threads' | 'processes'>) {
      this.pools.set(kind, new IsolatePool(kind, isolates, isolateEntryFile(), moduleUrl));
    }
    try {
      await Promise.all([...this.pools.values()].map((pool) => pool.start()));
    } catch (error) {
      await this.close();
      throw error;
    }
    this.enabled = true;
  }

  /** The pool running `definition`'s handler, or undefined for inline. */
  poolFor(definition: TaskDefinition): TaskPool | undefined {
    return this.pools.get(definition.options.pool ?? this.config.worker.pool);
  }

  /** The thread id or pid running a task, when it runs in an isolate. */
  isolateOf(taskId: string): number | undefined {
    for (const pool of this.pools.values()) {
      const id = pool.isolateOf(taskId);
      if (id !== undefined) return id;
    }
    return undefined;
  }

  /** True while a pool task waits for a free isolate: admitted, but not started. */
  isWaiting(taskId: string): boolean {
    for (const pool of this.pools.values()) if (pool.isWaiting(taskId)) return true;
    return false;
  }

  stats(): Record<string, PoolStats> {
    return Object.fromEntries([...this.pools].map(([kind, pool]) => [kind, pool.stats()]));
  }

  /** Cold shutdown: stop every isolate now; a busy child process would outlive its worker. */
  kill(): void {
    this.enabled = false;
    for (const pool of this.pools.values()) pool.kill();
    this.pools.clear();
  }

  async close(): Promise<void> {
    this.enabled = false;
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((pool) => pool.close()));
  }
}
