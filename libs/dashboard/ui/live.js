// The live store: one EventSource on api/stream, changes applied once per animation frame.

const MAX_TASKS = 500;

export function createLiveStore() {
  const tasks = new Map();
  const workers = new Map();
  const listeners = new Set();
  const batchListeners = new Set();
  let pending = [];
  let frame = 0;
  let status = 'connecting';

  const flush = () => {
    frame = 0;
    const deltas = pending;
    pending = [];
    for (const delta of deltas) {
      for (const task of delta.tasks) {
        tasks.delete(task.uuid);
        tasks.set(task.uuid, task);
      }
      for (const worker of delta.workers) workers.set(worker.hostname, worker);
    }
    while (tasks.size > MAX_TASKS) tasks.delete(tasks.keys().next().value);
    for (const listener of batchListeners) listener(deltas);
    for (const listener of listeners) listener();
  };

  const source = new EventSource('api/stream', { withCredentials: true });
  source.addEventListener('delta', (message) => {
    pending.push(JSON.parse(message.data));
    // A hidden tab gets no animation frames: fall back to a timer.
    frame ||= document.hidden ? setTimeout(flush, 100) : requestAnimationFrame(flush);
  });
  source.addEventListener('open', () => {
    status = 'live';
    for (const listener of listeners) listener();
  });
  source.addEventListener('error', () => {
    status = source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting';
    for (const listener of listeners) listener();
  });

  return {
    tasks,
    workers,
    get status() {
      return status;
    },
    /** Re-render on every applied batch; returns an unsubscribe function. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Raw deltas of each frame (charts). */
    onBatch(listener) {
      batchListeners.add(listener);
      return () => batchListeners.delete(listener);
    },
    /** Seed from the API (newest first). */
    seedTasks(items) {
      for (const task of [...items].reverse())
        if (!tasks.has(task.uuid)) tasks.set(task.uuid, task);
    },
    seedWorkers(items) {
      for (const worker of items) workers.set(worker.hostname, worker);
    },
  };
}
