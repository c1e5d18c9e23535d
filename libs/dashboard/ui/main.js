// The dashboard page: Preact + htm, one EventSource for live changes, hash routes.
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { getJson } from './api.js';
import { createLiveStore } from './live.js';
import { useLive } from './hooks.js';
import { WorkersView } from './views/workers.js';
import { QueuesView } from './views/queues.js';
import { TasksView } from './views/tasks.js';
import { TaskDetailView } from './views/task-detail.js';
import { ChartsView } from './views/charts.js';
import { SchedulesView } from './views/schedules.js';

const VIEWS = [
  ['tasks', 'Tasks'],
  ['workers', 'Workers'],
  ['queues', 'Queues'],
  ['schedules', 'Schedules'],
  ['charts', 'Charts'],
];

function useHash() {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return hash.replace(/^#\/?/, '') || 'tasks';
}

function App({ store, session }) {
  useLive(store);
  const route = useHash();
  const [notice, setNotice] = useState(null);
  const notify = (text, error = false) => setNotice({ text, error });
  const [view, id] = route.split('/');
  const props = { store, session, notify };
  let page;
  if (view === 'tasks' && id)
    page = html`<${TaskDetailView} id=${decodeURIComponent(id)} ...${props} />`;
  else if (view === 'workers') page = html`<${WorkersView} ...${props} />`;
  else if (view === 'queues') page = html`<${QueuesView} ...${props} />`;
  else if (view === 'schedules') page = html`<${SchedulesView} ...${props} />`;
  else if (view === 'charts') page = html`<${ChartsView} ...${props} />`;
  else page = html`<${TasksView} ...${props} />`;
  return html`
    <header>
      <h1>${session.title}</h1>
      <nav aria-label="Views">
        <ul>
          ${VIEWS.map(
            ([key, label]) =>
              html`<li>
                <a href=${`#/${key}`} aria-current=${view === key ? 'page' : undefined}>${label}</a>
              </li>`,
          )}
        </ul>
      </nav>
      <p class="status" aria-live="polite">
        <span class=${`dot ${store.status}`} aria-hidden="true"></span> ${store.status}
        ${session.readOnly && html` · read-only`}
      </p>
    </header>
    <main>
      ${
        notice &&
        html`<p role="status" class=${notice.error ? 'notice error' : 'notice'}>
          ${notice.text}
          <button type="button" onClick=${() => setNotice(null)} aria-label="Dismiss">×</button>
        </p>`
      }
      ${page}
    </main>
  `;
}

async function start() {
  const root = document.getElementById('app');
  try {
    const [session, workers, tasks] = await Promise.all([
      getJson('api/session'),
      getJson('api/workers'),
      getJson('api/tasks?limit=200'),
    ]);
    const store = createLiveStore();
    store.seedWorkers(workers);
    store.seedTasks(tasks.items);
    document.title = session.title;
    root.textContent = '';
    render(html`<${App} store=${store} session=${session} />`, root);
  } catch (error) {
    root.textContent = `The dashboard could not load: ${error.message}`;
  }
}

void start();
