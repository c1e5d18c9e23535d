/** DI token of the configured broker instance. */
export function getBrokerToken(): string {
  return 'Celeriac_broker';
}

/** DI token of the configured result backend instance (null when results are off). */
export function getResultBackendToken(): string {
  return 'Celeriac_result_backend';
}

/** DI token of the resolved, validated module options. */
export function getTaskQueueConfigToken(): string {
  return 'Celeriac_config';
}

/** DI token of the revocation store. */
export function getRevocationStoreToken(): string {
  return 'Celeriac_revocation_store';
}

/** DI token of the `RateLimitStoreFactory` the worker opens its global rate-limit store with. */
export function getRateLimitStoreFactoryToken(): string {
  return 'Celeriac_rate_limit_store_factory';
}

/** DI token of the module's `OutboxWriter` (null unless `typeorm.dispatch` is `'outbox'`). */
export function getOutboxWriterToken(): string {
  return 'Celeriac_outbox_writer';
}
