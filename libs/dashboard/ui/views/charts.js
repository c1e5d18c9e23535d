import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import { html } from '../html.js';
import { getJson } from '../api.js';

const WINDOW = 300;

function chart(target, title, series, data) {
  return new uPlot(
    {
      title,
      width: Math.max(320, Math.min(900, target.clientWidth || 800)),
      height: 220,
      scales: { x: { time: true } },
      series: [{}, ...series],
      axes: [{}, { size: 60 }],
    },
    data,
    target,
  );
}

/** Throughput, failures and queue wait per second, live from the stream's per-batch counts. */
export function ChartsView({ store }) {
  const throughputRef = useRef(null);
  const waitRef = useRef(null);
  useEffect(() => {
    let throughput;
    let wait;
    let data;
    let unsubscribe = () => {};
    getJson(`api/series?seconds=${WINDOW}`).then((series) => {
      data = series;
      throughput = chart(
        throughputRef.current,
        'Tasks per second',
        [
          { label: 'succeeded', stroke: '#1a7f37', width: 2 },
          { label: 'failed', stroke: '#b42318', width: 2 },
        ],
        [data.t, data.succeeded, data.failed],
      );
      wait = chart(
        waitRef.current,
        'Queue wait (ms, mean per second)',
        [{ label: 'wait', stroke: '#1f4fd1', width: 2 }],
        [data.t, data.wait],
      );
      unsubscribe = store.onBatch((deltas) => {
        const now = Math.floor(Date.now() / 1000);
        while (data.t[data.t.length - 1] < now) {
          data.t.push(data.t[data.t.length - 1] + 1);
          data.succeeded.push(0);
          data.failed.push(0);
          data.received.push(0);
          data.wait.push(null);
        }
        while (data.t.length > WINDOW) for (const key of Object.keys(data)) data[key].shift();
        const last = data.t.length - 1;
        for (const delta of deltas) {
          data.succeeded[last] += delta.counts['task-succeeded'] ?? 0;
          data.failed[last] += delta.counts['task-failed'] ?? 0;
        }
        throughput.setData([data.t, data.succeeded, data.failed]);
      });
    });
    return () => {
      unsubscribe();
      throughput?.destroy();
      wait?.destroy();
    };
  }, [store]);
  return html`
    <section aria-labelledby="charts-title">
      <h2 id="charts-title">Charts</h2>
      <p>The last ${WINDOW / 60} minutes, one point per second.</p>
      <figure>
        <div
          ref=${throughputRef}
          role="img"
          aria-label="Tasks succeeded and failed per second"
        ></div>
      </figure>
      <figure>
        <div
          ref=${waitRef}
          role="img"
          aria-label="Mean queue wait per second in milliseconds"
        ></div>
      </figure>
    </section>
  `;
}
