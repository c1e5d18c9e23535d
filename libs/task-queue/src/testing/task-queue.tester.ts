import { Inject, Injectable } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../config/resolved-options.js';
import { getTaskQueueConfigToken } from '../utils/tokens.js';
import { DEAD_LETTER_HEADERS } from '../worker/dead-letters.js';
import { WorkerService } from '../worker/worker.service.js';
import { type RecordedPublish, RecordingBroker } from './recording.broker.js';

/** Inspect and run what a test dispatched. @publicApi */
@Injectable()
export class TaskQueueTester {
  constructor(
    private readonly broker: RecordingBroker,
    private readonly worker: WorkerService,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
  ) {}

  /** Every publish so far, or those of one task name. */
  sent(name?: string): RecordedPublish[] {
    return name ? this.broker.published.filter((p) => p.name === name) : [...this.broker.published];
  }

  /** Forget the recorded publishes (not the queued messages). */
  clear(): void {
    this.broker.published.length = 0;
  }

  /**
   * Run queued tasks, and the tasks they send, through the real worker pipeline until no ready
   * message is left on any queue that was published to. Delayed tasks (countdown, ETA,
   * retries) run once due: advance fake timers and call again.
   */
  async runUntilIdle(): Promise<void> {
    let current = '';
    try {
      for (;;) {
        const queues = this.queues();
        if (queues.join('\n') !== current) {
          await this.worker.stop();
          await this.worker.start(queues);
          current = queues.join('\n');
        }
        await this.worker.onIdle();
        await new Promise((resolve) => setImmediate(resolve));
        let pending = 0;
        for (const queue of queues) pending += await this.broker.queueLength(queue);
        if (pending === 0 && this.worker.idle && this.queues().join('\n') === current) return;
      }
    } finally {
      await this.worker.stop();
    }
  }

  /**
   * The queues to run: the worker's, and those tasks were sent to. Not dead-letter queues: a
   * dead letter run again would be dead-lettered again, to `<queue>.dlq.dlq`, without end.
   */
  private queues(): string[] {
    const all = new Set([
      ...this.config.worker.queues,
      ...this.broker.published
        .filter((p) => !(DEAD_LETTER_HEADERS.reason in p.message.headers))
        .map((p) => p.options.queue),
    ]);
    return [...all].sort();
  }
}
