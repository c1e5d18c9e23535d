/** The columns of `GET /api/queues/<vhost>` the statistics need, and no others. */
export const MANAGEMENT_COLUMNS =
  'name,messages_ready,messages_unacknowledged,consumers,head_message_timestamp';

/** The API refuses a larger `page_size` (`invalid_pagination_parameters`). */
export const MANAGEMENT_PAGE_SIZE = 500;

/**
 * The longest request path sent with a name filter: the management API's web server answers
 * 414 past a request line of about 10,000 bytes; longer lists go unfiltered.
 */
export const MANAGEMENT_MAX_PATH = 8_000;

/**
 * The path of the one `GET` a scrape sends: the vhost's queues, only the needed columns, and,
 * when the queues and their dead-letter queues fit one page and a request line, only those:
 * a filter the API applies before it gathers each queue's statistics, so queues of the vhost
 * that are not exported (reply queues, other applications') cost the scrape almost nothing.
 * `paged` says whether the answer is a page (`{ items, filtered_count }`) or the plain list.
 */
export function managementQueuesPath(
  vhost: string,
  queues: readonly string[],
  deadLetterQueueOf: (queue: string) => string,
): { path: string; paged: boolean } {
  const all = `/api/queues/${encodeURIComponent(vhost)}?columns=${MANAGEMENT_COLUMNS}`;
  if (queues.length === 0 || 2 * queues.length > MANAGEMENT_PAGE_SIZE) {
    return { path: all, paged: false };
  }
  const filter = new URLSearchParams({
    page: '1',
    page_size: String(MANAGEMENT_PAGE_SIZE),
    pagination: 'true',
    use_regex: 'true',
    name: exactNamesRegex(queues, deadLetterQueueOf),
  });
  const path = `${all}&${filter.toString()}`;
  return path.length <= MANAGEMENT_MAX_PATH ? { path, paged: true } : { path: all, paged: false };
}

/**
 * A regular expression (PCRE, as RabbitMQ's `re` reads it) matching exactly `queues` and their
 * dead-letter queues, as short as it can be made simply: RabbitMQ compiles it again for every
 * queue of the vhost, so its length costs the API CPU per queue. The common prefix is written
 * once, and the dead-letter suffix once when every dead-letter queue is its queue's name and
 * one suffix (`.dlq`); otherwise every name is an alternative of its own.
 */
export function exactNamesRegex(
  queues: readonly string[],
  deadLetterQueueOf: (queue: string) => string,
): string {
  const suffixes = new Set(
    queues.map((queue) => {
      const dlq = deadLetterQueueOf(queue);
      return dlq.startsWith(queue) ? dlq.slice(queue.length) : undefined;
    }),
  );
  const [suffix] = suffixes;
  const shared = suffixes.size === 1 && suffix ? suffix : undefined;
  const names = shared ? queues : queues.flatMap((queue) => [queue, deadLetterQueueOf(queue)]);
  const unique = [...new Set(names)];
  let prefix = unique[0]!;
  for (const name of unique) {
    let i = 0;
    while (i < prefix.length && i < name.length && prefix[i] === name[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const rests = unique.map((name) => escapeRegex(name.slice(prefix.length)));
  const tail = shared ? `(?:${escapeRegex(shared)})?` : '';
  return `^${escapeRegex(prefix)}(?:${rests.join('|')})${tail}$`;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}
