import { pingRedis } from './redis-ping.js';
import type { ConnectionOptions } from 'node:tls';
import { Logger } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { ResultBackendError } from '../../errors/result-backend.error.js';
import type {
  ResultBackend,
  TaskMeta,
  WaitOptions,
} from '../../contracts/result-backend.interface.js';
import { isReadyState } from '../../results/task-states.js';
import {
  closeClient,
  createRedisClient,
  duplicateClient,
  redactUrl,
  unreachableCause,
} from './redis.connection.js';
import { notReadyReason, waitUntilReady } from './redis-ready.js';
import { bootFailure } from './redis-boot-failures.js';
import { withTimeout } from '../../utils/with-timeout.js';

import { defineLuaCommands, type LuaCommand } from './redis-lua.loader.js';
import { PIPELINED_BATCH, TickBatcher } from '../../utils/tick-batcher.js';
import { waitForEvent } from '../../results/wait-for-event.js';
import { chordJoinError, joinSavedGroup } from './redis-chord.join.js';
import {
  chordFailure,
  chordMember,
  decodeChordMembers,
  type ChordPartOutcome,
  type ResultTuple,
  type SavedGroup,
} from '../../results/chord-parts.js';
import { decodeMeta, encodeMeta, groupKey, taskKey } from './redis-result.codec.js';
import { RedisResultSubscriber } from './redis-result.subscriber.js';
import { decodeSavedGroup, encodeSavedGroup } from '../../results/saved-group.codec.js';

import { withSentinelOptions, type SentinelOptions } from './redis-sentinel-url.js';

const DIR = new URL('./commands/', import.meta.url);

/**
 * Options of {@link RedisResultBackend}; with a `sentinel://` URL, `masterName` and the
 * sentinels' credentials (Celery's `result_backend_transport_options`).
 * @publicApi
 */
export interface RedisResultBackendOptions extends SentinelOptions {
  /** Seconds results are kept (Celery `result_expires`); 0 keeps them forever. Default 86 400. */
  expires?: number;
  /** Milliseconds an operation waits for an unreachable Redis before failing; default 10 000. */
  timeout?: number;
  /** TLS settings for `rediss://` (Node's `tls.connect` options); win over the URL's `ssl_*`. */
  tls?: ConnectionOptions;
}

/**
 * Celery's Redis result backend (docs/protocol.md#redis-result-backend, #chord-join-on-redis): `celery-task-meta-<id>`
 * written with SETEX and PUBLISHed on the same name, group results, and the chord join used
 * by Python producers. Waiters share one subscriber connection.
 * @publicApi
 */
export class RedisResultBackend implements ResultBackend {
  readonly kind = 'redis';
  private readonly logger = new Logger('RedisResultBackend');
  private readonly client: Redis;
  private readonly subscriberClient: Redis;
  private readonly subscriber: RedisResultSubscriber;
  private readonly scripts: Record<string, LuaCommand>;
  private readonly stores: TickBatcher<StoreCall>;
  private readonly expires: number;
  private readonly timeout: number;
  private readonly url: string;

  /** @param url `redis://host:port/db` or `sentinel://host:26379/0;…` (Celery's `result_backend`). */
  constructor(url: string, options: RedisResultBackendOptions = {}) {
    this.url = withSentinelOptions(url, options);
    this.expires = Math.max(0, Math.trunc(options.expires ?? 86_400));
    this.timeout = options.timeout ?? 10_000;
    this.client = createRedisClient(this.url, 'result backend', this.logger, options.tls);
    this.scripts = defineLuaCommands(this.client, DIR, ['store-n.lua', 'chordPartReturn-4.lua']);
    this.stores = new TickBatcher(
      (batch) =>
        this.run(
          batch.length === 1 ? 'store a task result' : `store ${batch.length} task results`,
          () => this.storeBatch(batch),
        ),
      PIPELINED_BATCH,
    );
    this.subscriberClient = duplicateClient(
      this.client,
      'result subscriber',
      'celeriac-result-subscriber',
    );
    this.subscriber = new RedisResultSubscriber(this.subscriberClient, (channel) =>
      this.resync(channel),
    );
  }

  async connect(): Promise<void> {
    await this.run('connect', async () => undefined);
  }

  /**
   * SETEX + PUBLISH, never replacing a ready state with a non-ready one (atomic, store-n.lua).
   * Stores issued in the same event-loop turn share script calls (PIPELINED_BATCH each).
   */
  store(meta: TaskMeta): Promise<void> {
    // Not `async` (one promise layer less per result); a throw still becomes a rejection.
    try {
      const ready = isReadyState(meta.status) ? '1' : '0';
      return this.stores.add({ key: taskKey(meta.task_id), meta: encodeMeta(meta), ready });
    } catch (error) {
      return Promise.reject(error);
    }
  }

  async get(taskId: string): Promise<TaskMeta | null> {
    const raw = await this.run(`read the result of task ${taskId}`, () =>
      this.client.get(taskKey(taskId)),
    );
    return raw === null ? null : decodeMeta(taskId, raw);
  }

  /** Subscribe to `celery-task-meta-<id>`, then GET, then wait for a ready state (like Python). */
  waitForReady(taskId: string, options: WaitOptions = {}): Promise<TaskMeta> {
    const channel = taskKey(taskId);
    return waitForEvent(taskId, options, {
      current: () => this.get(taskId),
      subscribe: (onMeta) =>
        this.subscriber.listen(channel, (raw) => {
          try {
            onMeta(decodeMeta(taskId, raw));
          } catch (error) {
            this.logger.warn((error as Error).message);
          }
        }),
    });
  }

  async forget(taskId: string): Promise<void> {
    await this.run(`forget task ${taskId}`, () => this.client.del(taskKey(taskId)));
  }

  /** `GroupResult.save()`: `celery-taskset-meta-<gid>` = `{"result": [[gid, null], children]}`. */
  async saveGroup(groupId: string, children: ResultTuple[]): Promise<void> {
    const key = groupKey(groupId);
    const value = encodeSavedGroup(groupId, children);
    await this.run(`save group ${groupId}`, () => this.setAndPublish(key, value));
  }

  /** `GroupResult.restore(gid)`, or null when the group was not saved (or expired). */
  async restoreGroup(groupId: string): Promise<SavedGroup | null> {
    const raw = await this.run(`restore group ${groupId}`, () =>
      this.client.get(groupKey(groupId)),
    );
    return raw === null ? null : decodeSavedGroup(groupId, raw, `key ${groupKey(groupId)}`);
  }

  async forgetGroup(groupId: string): Promise<void> {
    await this.run(`forget group ${groupId}`, () => this.client.del(groupKey(groupId)));
  }

  /** Producer side of a chord: `celery-taskset-meta-<gid>.s` = size (before the last header task). */
  async setChordSize(groupId: string, size: number): Promise<void> {
    await this.run(`set the size of chord ${groupId}`, () =>
      this.setAndPublish(groupKey(groupId, '.s'), String(size)),
    );
  }

  /**
   * Celery's `on_chord_part_return` for Redis: record this header task's result (`meta`, as
   * stored) in the chord's `.j` zset at `groupIndex` and report whether the chord is
   * complete. See {@link ChordPartOutcome} for what the worker must do with the answer.
   * Call it after storing the header task's own result, for tasks whose `embed.chord` is set
   * and whose `group` header is `groupId`.
   */
  async onChordPartReturn(
    groupId: string,
    groupIndex: number | null,
    meta: TaskMeta,
  ): Promise<ChordPartOutcome> {
    const keys = [
      groupKey(groupId, '.j'),
      groupKey(groupId, '.s'),
      groupKey(groupId, '.t'),
      groupKey(groupId),
    ];
    const score = groupIndex ?? '+inf';
    const reply = (await this.run(`join chord ${groupId}`, () =>
      this.scripts.chordPartReturn!(...keys, chordMember(meta), score, this.expires),
    )) as [number, number | string[] | string, string | null];
    const release = async (): Promise<void> => {
      await this.run(`clean up chord ${groupId}`, () =>
        this.client.del(keys[0]!, keys[1]!, keys[2]!),
      );
    };
    const joinError = chordJoinError(reply, keys[1]!);
    if (joinError) return { state: 'failed', taskId: meta.task_id, ...joinError, release };
    if (Number(reply[0]) !== 1) return { state: 'pending', count: Number(reply[1]) };
    const saved = reply[2] ? decodeSavedGroup(groupId, reply[2], `key ${groupKey(groupId)}`) : null;
    const parts = saved
      ? await joinSavedGroup(saved, (id) => this.get(id))
      : decodeChordMembers(reply[1] as string[]);
    const failure = chordFailure(parts);
    if (failure) return { state: 'failed', ...failure, release };
    return { state: 'ready', results: parts.map((p) => p.result), release };
  }

  /** PING on the command connection (1 s at most); rejects at once while it is not ready. */
  async ping(): Promise<void> {
    await pingRedis(this.client, this.url, (message) => new ResultBackendError(message));
  }

  async close(): Promise<void> {
    await this.stores.flush();
    await closeClient(this.subscriberClient);
    await closeClient(this.client);
  }

  private async storeBatch(batch: StoreCall[]): Promise<void> {
    const args: (string | number)[] = [batch.length];
    for (const call of batch) args.push(call.key);
    args.push(this.expires);
    for (const call of batch) args.push(call.meta, call.ready);
    await this.scripts.store!(...args);
  }

  private async setAndPublish(key: string, value: string): Promise<void> {
    const multi = this.client.multi();
    if (this.expires > 0) multi.setex(key, this.expires, value);
    else multi.set(key, value);
    multi.publish(key, value);
    await multi.exec();
  }

  /** After a reconnect: re-read a watched result in case its PUBLISH was missed. */
  private resync(channel: string): void {
    void this.client
      .get(channel)
      .then((raw) => raw && this.subscriberClient.emit('message', channel, raw))
      .catch(() => undefined);
  }

  private async run<T>(what: string, operation: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const unreachable = () =>
      new ResultBackendError(
        `Could not ${what}: Redis at ${redactUrl(this.url)} ` +
          (bootFailure(this.client)
            ? `cannot be used${notReadyReason(this.client, this.timeout, '')}`
            : `did not answer within ${this.timeout} ms` +
              unreachableCause(this.client, 'or raise the timeout option')),
      );
    if (!(await waitUntilReady(this.client, this.timeout))) throw unreachable();
    return withTimeout(operation(), this.timeout - (Date.now() - started), unreachable);
  }
}

/** One pending store-n.lua entry. */
interface StoreCall {
  key: string;
  meta: string;
  ready: '1' | '0';
}
