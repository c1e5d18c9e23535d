/**
 * What serves `/metrics` on the worker's HTTP server: `TaskQueueMetricsModule`
 * (`celeriac/prometheus`) provides it; without that module the server answers 404 there.
 * @publicApi
 */
export interface MetricsExposition {
  /** The exposition's `Content-Type`. */
  readonly contentType: string;
  /** The exposition text of one scrape. */
  metrics(): Promise<string>;
}

/** Injection token of the {@link MetricsExposition} (global when the metrics module is imported). */
export const METRICS_EXPOSITION = Symbol('celeriac:metrics-exposition');
