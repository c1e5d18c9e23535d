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
 * when the names fit one page and a request line, only the named queues: a filter the API
 * applies before it gathers each queue's statistics, so queues of the vhost that are not
 * exported (reply queues, other applications') cost the scrape nothing. `paged` says whether
 * the answer is a page (`{ items, filtered_count }`) or the plain list.
 */
export function managementQueuesPath(
  vhost: string,
  names: readonly string[],
): { path: string; paged: boolean } {
  const all = `/api/queues/${encodeURIComponent(vhost)}?columns=${MANAGEMENT_COLUMNS}`;
  if (names.length === 0 || names.length > MANAGEMENT_PAGE_SIZE) return { path: all, paged: false };
  const filter = new URLSearchParams({
    page: '1',
    page_size: String(MANAGEMENT_PAGE_SIZE),
    pagination: 'true',
    use_regex: 'true',
    name: exactNamesRegex(names),
  });
  const path = `${all}&${filter.toString()}`;
  return path.length <= MANAGEMENT_MAX_PATH ? { path, paged: true } : { path: all, paged: false };
}

/**
 * A regular expression (PCRE, as RabbitMQ's `re` reads it) matching exactly `names`: their
 * common prefix once, then the alternatives, anchored at both ends.
 */
export function exactNamesRegex(names: readonly string[]): string {
  const unique = [...new Set(names)];
  let prefix = unique[0]!;
  for (const name of unique) {
    let i = 0;
    while (i < prefix.length && i < name.length && prefix[i] === name[i]) i++;
    prefix = prefix.slice(0, i);
  }
  const rests = unique.map((name) => escapeRegex(name.slice(prefix.length)));
  return `^${escapeRegex(prefix)}(?:${rests.join('|')})$`;
}

function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&');
}
