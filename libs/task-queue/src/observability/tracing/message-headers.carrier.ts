import type { TextMapGetter, TextMapSetter } from '@opentelemetry/api';

/**
 * Header carrying the previous attempt's span context (propagation fields as JSON) on a retry
 * message, so the next attempt's span links to it.
 */
export const PREVIOUS_ATTEMPT_HEADER = 'x-celeriac-previous-attempt';

type Headers = Record<string, unknown>;

/**
 * Reads propagation fields from protocol v2 message headers: top-level `traceparent` /
 * `tracestate`, where Python's CeleryInstrumentor writes them (`inject(headers)` in
 * `before_task_publish`) and reads them back (`task.request`, whose attributes are the headers).
 * AMQP may deliver a header as bytes.
 */
export const headersGetter: TextMapGetter<Headers> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    if (typeof value === 'string') return value;
    if (value instanceof Uint8Array) return Buffer.from(value).toString('utf8');
    return undefined;
  },
};

/** Writes propagation fields as top-level message headers. */
export const headersSetter: TextMapSetter<Headers> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};
