import { Gauge, type Registry } from 'prom-client';
import type { WorkerService } from '../../worker/worker.service.js';

/**
 * This process's worker: busy and free slots (the saturation signal: scale when busy slots
 * stay at the total), running tasks and whether it consumes. Only exported when the worker
 * is enabled in this process.
 */
export class WorkerMetrics {
  constructor(registry: Registry, worker: WorkerService) {
    const hostname = worker.hostname;
    new Gauge({
      name: 'celeriac_worker_slots',
      help: 'Concurrency slots of this worker, by state (busy: running a task).',
      labelNames: ['hostname', 'state'],
      registers: [registry],
      collect() {
        const busy = worker.running ? worker.busySlots : 0;
        const total = worker.running ? worker.concurrency : 0;
        this.set({ hostname, state: 'busy' }, busy);
        this.set({ hostname, state: 'free' }, Math.max(0, total - busy));
      },
    });
    new Gauge({
      name: 'celery_worker_tasks_active',
      help: 'Tasks this worker runs now (celery-exporter name).',
      labelNames: ['hostname'],
      registers: [registry],
      collect() {
        this.set({ hostname }, worker.busySlots);
      },
    });
    new Gauge({
      name: 'celeriac_worker_consuming',
      help:
        '1 while this worker consumes, 0 before start, while RabbitMQ refuses to let it ' +
        'subscribe again, and from shutdown on.',
      labelNames: ['hostname'],
      registers: [registry],
      collect() {
        const consuming = worker.running && !worker.shuttingDown && !worker.consumerStalled;
        this.set({ hostname }, consuming ? 1 : 0);
      },
    });
  }
}
