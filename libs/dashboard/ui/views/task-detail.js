import { html } from '../html.js';
import { getJson, runAction, time } from '../api.js';
import { useLive, useResource } from '../hooks.js';

const LONG = [
  ['args', 'Args'],
  ['kwargs', 'Kwargs'],
  ['result', 'Result'],
  ['exception', 'Exception'],
  ['traceback', 'Traceback'],
];

/** The marker under a field the server cut: its full size and where to get all of it. */
function Truncated({ href, shown, size }) {
  // One string per text run: htm drops the whitespace between lines.
  const what = `Truncated: the first ${shown.toLocaleString('en')} characters of ${size.toLocaleString('en')} bytes. `;
  return html`<p class="truncated">
    ${what}<a href=${href} download>Download all</a>${' · '}<a
      href=${href}
      target="_blank"
      rel="noopener"
      >Open as text</a
    >
  </p>`;
}

export function TaskDetailView({ id, store, session, notify }) {
  useLive(store);
  const live = store.tasks.get(id);
  const { data, error, reload } = useResource(
    () => getJson(`api/tasks/${encodeURIComponent(id)}`),
    [id, live?.state],
  );
  if (error)
    return html`<section>
      <h2>Task ${id}</h2>
      <p role="alert" class="error">${error}</p>
    </section>`;
  if (!data)
    return html`<section>
      <h2>Task ${id}</h2>
      <p>Loading…</p>
    </section>`;
  const t = data;
  const act = (path, question, extra) =>
    runAction(path, question, extra).then(
      (result) => {
        if (!result) return;
        notify(result.taskId && result.taskId !== id ? `Sent again as ${result.taskId}` : 'Done.');
        reload();
      },
      (e) => notify(e.message, true),
    );
  const base = `api/tasks/${encodeURIComponent(id)}`;
  const finished = ['SUCCESS', 'FAILURE', 'REVOKED', 'REJECTED'].includes(t.state);
  const link = (other) =>
    other ? html`<a href=${`#/tasks/${other}`}><code>${other}</code></a>` : '–';
  return html`
    <section aria-labelledby="task-title">
      <h2 id="task-title">
        ${t.name ?? 'Task'} <span class=${`badge s-${t.state}`}>${t.state}</span>
      </h2>
      ${
        !session.readOnly &&
        html`<div class="actions" role="group" aria-label="Task actions">
          ${!finished && html`<button type="button" onClick=${() => act(`${base}/revoke`, `Revoke task ${id}?`)}>Revoke</button>`}
          ${!finished && html`<button type="button" class="danger" onClick=${() => act(`${base}/revoke`, `Terminate task ${id} (stop it while it runs)?`, { terminate: true })}>Terminate</button>`}
          ${(t.state === 'FAILURE' || t.state === 'REVOKED') && html`<button type="button" onClick=${() => act(`${base}/retry`, `Send task ${id} again with the same arguments?`)}>Retry</button>`}
        </div>`
      }
      <dl class="detail">
        <dt>Id</dt>
        <dd><code>${t.uuid}</code></dd>
        <dt>Worker</dt>
        <dd>${t.worker ?? '–'}</dd>
        <dt>Queue</dt>
        <dd>${t.queue ?? '–'}</dd>
        ${LONG.map(
          ([field, label]) => html`
            <dt>${label}</dt>
            <dd data-field=${field}>
              <pre class=${field}>${t[field] || '–'}</pre>
              ${t.truncated?.[field] != null && html`<${Truncated} href=${`${base}/fields/${field}`} shown=${t[field].length} size=${t.truncated[field]} />`}
            </dd>
          `,
        )}
        <dt>Retries</dt>
        <dd>${t.retries}</dd>
        <dt>ETA / expires</dt>
        <dd>${t.eta ?? '–'} / ${t.expires ?? '–'}</dd>
        <dt>Sent / received / started / finished</dt>
        <dd>${time(t.sent)} / ${time(t.received)} / ${time(t.started)} / ${time(t.finished)}</dd>
        <dt>Runtime</dt>
        <dd>${t.runtime != null ? `${(t.runtime * 1000).toFixed(1)} ms` : '–'}</dd>
        <dt>Parent</dt>
        <dd>${link(t.parentId)}</dd>
        <dt>Root</dt>
        <dd>${link(t.rootId)}</dd>
        <dt>Children</dt>
        <dd>
          ${
            t.children.length
              ? html`<ul>
                  ${t.children.map((c) => html`<li>${link(c)}</li>`)}
                </ul>`
              : '–'
          }
        </dd>
      </dl>
    </section>
  `;
}
