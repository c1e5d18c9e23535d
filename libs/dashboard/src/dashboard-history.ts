import type { TaskRecord } from 'celeriac';
import type { Redis } from 'ioredis';

/** Where finished tasks are kept across restarts. @publicApi */
export interface DashboardHistoryOptions {
  /** Redis URL (`redis://`, `rediss://` or Celery's `sentinel://`). Default: the broker's, when the broker is Redis. */
  redis?: string;
  /** Key of the capped list. Default `celeriac:dashboard:history`. */
  key?: string;
  /** Finished tasks kept. Default: `maxTasks`. */
  size?: number;
}

/**
 * A capped Redis list of finished tasks (newest first, trimmed to `size` in the same MULTI as
 * each write), read back at start so the dashboard's history survives a restart.
 */
export class RedisDashboardHistory {
  private constructor(
    private readonly client: Redis,
    private readonly key: string,
    private readonly size: number,
  ) {}

  static async open(url: string, key: string, size: number): Promise<RedisDashboardHistory> {
    const { Redis } = await import('ioredis');
    const { isSentinelUrl, sentinelClientOptions } = await import('celeriac/redis');
    const options = { lazyConnect: true, maxRetriesPerRequest: 2 };
    const client = isSentinelUrl(url)
      ? new Redis({ ...options, ...sentinelClientOptions(url) })
      : new Redis(url, options);
    await client.connect();
    return new RedisDashboardHistory(client, key, size);
  }

  /** The kept tasks, oldest first, one record per task (its latest). */
  async load(): Promise<TaskRecord[]> {
    const rows = await this.client.lrange(this.key, 0, this.size - 1);
    const seen = new Set<string>();
    const records: TaskRecord[] = [];
    for (const row of rows) {
      try {
        const record = JSON.parse(row) as TaskRecord;
        if (typeof record.uuid !== 'string' || seen.has(record.uuid)) continue;
        seen.add(record.uuid);
        records.push(record);
      } catch {
        // A row that is not ours: skip it.
      }
    }
    return records.reverse();
  }

  async append(records: readonly TaskRecord[]): Promise<void> {
    if (!records.length) return;
    await this.client
      .multi()
      .lpush(this.key, ...records.map((record) => JSON.stringify(record)))
      .ltrim(this.key, 0, this.size - 1)
      .exec();
  }

  async close(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}
