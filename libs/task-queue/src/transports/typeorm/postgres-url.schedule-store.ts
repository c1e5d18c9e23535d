import { DataSource } from 'typeorm';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { maskUrl } from '../../utils/mask-url.js';
import { TypeOrmScheduleStore } from './typeorm.schedule-store.js';

/** The `pg` module, as TypeORM's postgres driver takes it. */
export type PgModule = object;

/** Query parameters of a store URL that Celeriac reads (not passed to the driver). */
const OWN_PARAMS = ['schema', 'channel', 'lease'] as const;

/**
 * The PostgreSQL schedule store named by a `postgres://` / `postgresql://` URL, on a DataSource
 * of its own that it opens at `connect()` and destroys at `close()` (what the CLI, or a module
 * given a store URL, needs). `?schema=` names the schema of the beat tables (default: the
 * connection's search_path), `?channel=` the NOTIFY channel, `?lease=` the lease row; the rest of
 * the URL goes to `pg` as it is. The tables come from the `CreateBeatTables…` migration.
 */
export class PostgresUrlScheduleStore extends TypeOrmScheduleStore {
  private readonly source: DataSource;

  constructor(url: string, pg: PgModule) {
    const parsed = parseStoreUrl(url);
    const source = new DataSource({
      type: 'postgres',
      url: parsed.url,
      driver: pg,
      ...(parsed.schema ? { schema: parsed.schema } : {}),
      extra: { max: 4, application_name: `celeriac-beat-${process.pid}` },
    });
    super(source, { channel: parsed.channel, leaseName: parsed.lease });
    this.source = source;
  }

  override async connect(): Promise<void> {
    if (!this.source.isInitialized) await this.source.initialize();
    await super.connect();
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      if (this.source.isInitialized) await this.source.destroy();
    }
  }
}

function parseStoreUrl(text: string): {
  url: string;
  schema?: string;
  channel?: string;
  lease?: string;
} {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ConfigurationError(`Beat store URL "${maskUrl(text)}" is not a valid URL.`);
  }
  const [schema, channel, lease] = OWN_PARAMS.map(
    (name) => url.searchParams.get(name) ?? undefined,
  );
  for (const name of OWN_PARAMS) url.searchParams.delete(name);
  return { url: url.toString(), schema, channel, lease };
}
