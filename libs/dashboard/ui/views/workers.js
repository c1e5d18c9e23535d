import { html } from '../html.js';
import { age, getJson, runAction } from '../api.js';
import { useLive, useResource } from '../hooks.js';
import { DataTable, OnOffBadge } from '../components.js';

const COLUMNS = [
  'Worker',
  'Status',
  'Last heartbeat',
  'Active',
  'Processed',
  'Load',
  'Software',
  'Pool',
  'Queues',
];

export function WorkersView({ store, session, notify }) {
  useLive(store);
  const { data: details } = useResource(() => getJson('api/workers/details'), []);
  const workers = [...store.workers.values()].sort((a, b) => a.hostname.localeCompare(b.hostname));
  const act = (path, question) =>
    runAction(path, question).then(
      (result) => result && notify(`Done: ${JSON.stringify(result.replies ?? result)}`),
      (error) => notify(error.message, true),
    );
  return html`
    <section aria-labelledby="workers-title">
      <h2 id="workers-title">Workers</h2>
      <${DataTable}
        caption=${`${workers.filter((w) => w.online).length} online of ${workers.length} seen`}
        columns=${COLUMNS}
        actions=${!session.readOnly}
      >
        ${workers.map(
          (w) =>
            html`<tr key=${w.hostname} data-worker=${w.hostname}>
              <td>${w.hostname}</td>
              <td><${OnOffBadge} on=${w.online} label=${w.online ? 'online' : 'offline'} /></td>
              <td>${age(w.lastHeartbeat)}</td>
              <td>${w.active}</td>
              <td>${w.processed}</td>
              <td>${w.loadavg.join(' ')}</td>
              <td>${w.software ?? '–'}</td>
              <td>
                ${details?.[w.hostname]?.pool ?? '–'}${
                  details?.[w.hostname]?.concurrency ? ` × ${details[w.hostname].concurrency}` : ''
                }
              </td>
              <td data-field="queues">${details?.[w.hostname]?.queues.join(', ') || '–'}</td>
              ${
                !session.readOnly &&
                html`<td class="actions">
                  <button
                    type="button"
                    onClick=${() => act(`api/workers/${encodeURIComponent(w.hostname)}/ping`, `Ping ${w.hostname}?`)}
                  >
                    Ping
                  </button>
                  <button
                    type="button"
                    class="danger"
                    onClick=${() => act(`api/workers/${encodeURIComponent(w.hostname)}/shutdown`, `Shut down ${w.hostname}? It stops after its running tasks.`)}
                  >
                    Shut down
                  </button>
                </td>`
              }
            </tr>`,
        )}
      </${DataTable}>
      ${workers.length === 0 && html`<p>No worker has sent an event yet. Workers send <code>worker-heartbeat</code> every 2 s.</p>`}
    </section>
  `;
}
