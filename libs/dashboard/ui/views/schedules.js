import { html } from '../html.js';
import { age, getJson, runAction } from '../api.js';
import { useResource } from '../hooks.js';
import { DataTable, OnOffBadge, RefreshBar } from '../components.js';

const COLUMNS = ['Schedule', 'Task', 'When', 'State', 'Next', 'Late by', 'Last run', 'Runs'];

export function SchedulesView({ session, notify }) {
  const { data, error, loading, reload } = useResource(() => getJson('api/schedules'), []);
  const act = (name, action, question) =>
    runAction(`api/schedules/${encodeURIComponent(name)}/${action}`, question).then(
      (result) => {
        if (!result) return;
        notify(result.taskId ? `Sent as ${result.taskId}` : 'Done.');
        reload();
      },
      (e) => notify(e.message, true),
    );
  if (data && !data.available) {
    return html`<section aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      <p>
        This app does not import <code>TaskQueueBeatModule</code>: there are no schedules to show.
      </p>
    </section>`;
  }
  return html`
    <section aria-labelledby="schedules-title">
      <h2 id="schedules-title">Schedules</h2>
      <${RefreshBar} reload=${reload} loading=${loading} error=${error} />
      <${DataTable}
        caption="Periodic tasks of the beat, with their next and last runs"
        columns=${COLUMNS}
        actions=${!session.readOnly}
      >
        ${(data?.items ?? []).map(
          (s) =>
            html`<tr key=${s.name} data-schedule=${s.name}>
              <td>${s.name}</td>
              <td>${s.task}</td>
              <td><code>${s.schedule}</code></td>
              <td><${OnOffBadge} on=${s.enabled} label=${s.enabled ? 'active' : 'paused'} /></td>
              <td>${s.nextFireAt ? new Date(s.nextFireAt).toLocaleString() : '–'}</td>
              <td>${s.lateness > 1000 ? age(Date.now() - s.lateness) : '–'}</td>
              <td>
                ${s.lastTaskId ? html`<a href=${`#/tasks/${s.lastTaskId}`}>${new Date(s.lastRunAt).toLocaleString()}</a>` : '–'}
              </td>
              <td>${s.totalRuns}</td>
              ${
                !session.readOnly &&
                html`<td class="actions">
                  ${
                    s.enabled
                      ? html`<button
                          type="button"
                          onClick=${() => act(s.name, 'pause', `Pause schedule ${s.name}?`)}
                        >
                          Pause
                        </button>`
                      : html`<button
                          type="button"
                          onClick=${() => act(s.name, 'resume', `Resume schedule ${s.name}?`)}
                        >
                          Resume
                        </button>`
                  }
                  <button
                    type="button"
                    onClick=${() => act(s.name, 'trigger', `Run ${s.task} of ${s.name} now?`)}
                  >
                    Trigger now
                  </button>
                </td>`
              }
            </tr>`,
        )}
      </${DataTable}>
    </section>
  `;
}
