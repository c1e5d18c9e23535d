import { useEffect } from 'preact/hooks';
import { html } from '../html.js';
import { age, getJson, runAction } from '../api.js';
import { useResource } from '../hooks.js';
import { DataTable, RefreshBar } from '../components.js';

const COLUMNS = [
  'Queue',
  'Ready',
  'Unacked',
  'Oldest ready',
  'Parked',
  'Next due',
  'Dead letters',
  'Consumers',
];

export function QueuesView({ store, session, notify }) {
  const { data, error, loading, reload } = useResource(() => getJson('api/queues'), []);
  // Lengths are not in the events: read them again when tasks move, at most every 2 s.
  useEffect(() => {
    let last = Date.now();
    return store.onBatch(() => {
      if (Date.now() - last < 2000) return;
      last = Date.now();
      reload();
    });
  }, [store]);
  const act = (path, question) =>
    runAction(path, question).then(
      (result) => {
        if (!result) return;
        notify(`Done: ${result.count ?? 0} message(s).`);
        reload();
      },
      (e) => notify(e.message, true),
    );
  const q = (name) => `api/queues/${encodeURIComponent(name)}`;
  return html`
    <section aria-labelledby="queues-title">
      <h2 id="queues-title">Queues</h2>
      <${RefreshBar} reload=${reload} loading=${loading} error=${error} />
      <${DataTable}
        caption="Ready, parked (ETA / countdown) and dead-lettered messages per queue"
        columns=${COLUMNS}
        actions=${!session.readOnly}
      >
        ${(data ?? []).map(
          (queue) =>
            html`<tr key=${queue.name} data-queue=${queue.name}>
              <td>${queue.name}</td>
              <td data-field="ready">${queue.ready}</td>
              <td>${queue.unacked ?? 'n/a'}</td>
              <td data-field="oldest">
                ${queue.oldestAge === null ? '–' : age(Date.now() - queue.oldestAge)}
              </td>
              <td>${queue.parked ?? 'n/a'}</td>
              <td>${queue.nextDue ? new Date(queue.nextDue).toLocaleString() : '–'}</td>
              <td data-field="dead-letters">${queue.deadLetters}</td>
              <td>${queue.consumers.join(', ') || '–'}</td>
              ${
                !session.readOnly &&
                html`<td class="actions">
                  <button
                    type="button"
                    class="danger"
                    onClick=${() => act(`${q(queue.name)}/purge`, `Purge queue ${queue.name}? Its ${queue.ready} ready message(s) are deleted.`)}
                  >
                    Purge
                  </button>
                  <button
                    type="button"
                    disabled=${!queue.deadLetters}
                    onClick=${() => act(`${q(queue.name)}/dead-letters/redrive`, `Redrive ${queue.deadLetters} dead letter(s) back to ${queue.name}?`)}
                  >
                    Redrive dead letters
                  </button>
                  <button
                    type="button"
                    class="danger"
                    disabled=${!queue.deadLetters}
                    onClick=${() => act(`${q(queue.name)}/dead-letters/purge`, `Delete the ${queue.deadLetters} dead letter(s) of ${queue.name}?`)}
                  >
                    Purge dead letters
                  </button>
                </td>`
              }
            </tr>`,
        )}
      </${DataTable}>
    </section>
  `;
}
