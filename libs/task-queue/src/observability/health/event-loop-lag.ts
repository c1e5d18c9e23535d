import { type IntervalHistogram, monitorEventLoopDelay } from 'node:perf_hooks';

/**
 * The longest event-loop delay since the previous reading, from Node's own sampler. Started
 * on the first reading, so a process that never checks its health pays nothing.
 */
export class EventLoopLag {
  private histogram?: IntervalHistogram;

  /** Milliseconds: the longest delay seen since the last call (0 on the first). */
  read(): number {
    if (!this.histogram) {
      this.histogram = monitorEventLoopDelay({ resolution: 20 });
      this.histogram.enable();
      return 0;
    }
    const max = this.histogram.max / 1e6;
    this.histogram.reset();
    return Number.isFinite(max) ? Math.round(max) : 0;
  }

  stop(): void {
    this.histogram?.disable();
    this.histogram = undefined;
  }
}
