import { useEffect, useState } from 'preact/hooks';
import { html } from '../html.js';
import { getJson, time } from '../api.js';
import { useLive } from '../hooks.js';
import { DataTable, ErrorAlert } from '../components.js';

const STATES = [
  '',
  'PENDING',
  'RECEIVED',
  'STARTED',
  'RETRY',
  'SUCCESS',
  'FAILURE',
  'REVOKED',
  'REJECTED',
];
const PAGE = 100;
const COLUMNS = ['Task', 'Name', 'State', 'Args', 'Worker', 'Received', 'Runtime'];

function matches(task, filter) {
  const has = (value, part) => value != null && value.toLowerCase().includes(part.toLowerCase());
  return (
    (!filter.state || task.state === filter.state) &&
    (!filter.name || has(task.name, filter.name)) &&
    (!filter.worker || has(task.worker, filter.worker)) &&
    (!filter.q ||
      task.uuid.includes(filter.q) ||
      [task.name, task.args, task.result, task.exception, task.worker].some((v) =>
        has(v, filter.q),
      ))
  );
}

export function TasksView({ store }) {
  useLive(store);
  const blank = { q: '', state: '', name: '', worker: '', from: '' };
  const [filter, setFilter] = useState(blank);
  // What the form shows: its own state, so live re-renders never reset what the user types.
  const [draft, setDraft] = useState(blank);
  const field = (key) => ({
    name: key,
    value: draft[key],
    onInput: (event) => setDraft((d) => ({ ...d, [key]: event.currentTarget.value })),
  });
  const [found, setFound] = useState(null);
  const [error, setError] = useState(null);

  const search = (next) => {
    setFilter(next);
    const params = new URLSearchParams({ limit: String(PAGE) });
    for (const [key, value] of Object.entries(next))
      if (value) params.set(key, key === 'from' ? String(Date.parse(value)) : value);
    getJson(`api/tasks?${params}`).then(
      (page) => {
        setError(null);
        setFound(page);
      },
      (e) => setError(e.message),
    );
  };
  useEffect(() => search(filter), []);

  // The server's page, with live changes merged in: changed rows update, new matches go on top.
  const rows = (() => {
    const byId = new Map((found?.items ?? []).map((t) => [t.uuid, t]));
    for (const task of store.tasks.values()) {
      if (byId.has(task.uuid) || (matches(task, filter) && !filter.from)) byId.set(task.uuid, task);
    }
    return [...byId.values()].sort((a, b) => b.updated - a.updated).slice(0, PAGE);
  })();

  const submit = (event) => {
    event.preventDefault();
    search(Object.fromEntries(Object.entries(draft).map(([k, v]) => [k, v.trim()])));
  };

  return html`
    <section aria-labelledby="tasks-title">
      <h2 id="tasks-title">Tasks</h2>
      <form class="filters" role="search" onSubmit=${submit}>
        <label
          >Search <input type="search" placeholder="id, args, result…" ...${field('q')}
        /></label>
        <label
          >State
          <select ...${field('state')} onChange=${field('state').onInput}>
            ${STATES.map((s) => html`<option value=${s}>${s || 'any'}</option>`)}
          </select>
        </label>
        <label>Name <input ...${field('name')} /></label>
        <label>Worker <input ...${field('worker')} /></label>
        <label>Since <input type="datetime-local" ...${field('from')} /></label>
        <button type="submit">Search</button>
      </form>
      <${ErrorAlert} error=${error} />
      <${DataTable}
        className="tasks"
        caption=${found ? `${found.total} matching in the dashboard's history; newest first` : 'Loading…'}
        columns=${COLUMNS}
      >
        ${rows.map(
          (t) =>
            html`<tr key=${t.uuid} data-task-id=${t.uuid} data-state=${t.state}>
              <td>
                <a href=${`#/tasks/${t.uuid}`}><code>${t.uuid.slice(0, 8)}</code></a>
              </td>
              <td>${t.name ?? '–'}</td>
              <td><span class=${`badge s-${t.state}`}>${t.state}</span></td>
              <td class="args"><code>${t.args ?? ''}</code></td>
              <td>${t.worker ?? '–'}</td>
              <td>${time(t.received ?? t.sent)}</td>
              <td>${t.runtime != null ? `${(t.runtime * 1000).toFixed(1)} ms` : '–'}</td>
            </tr>`,
        )}
      </${DataTable}>
    </section>
  `;
}
