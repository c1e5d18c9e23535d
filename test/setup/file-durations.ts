/**
 * Rough durations in seconds of the longest test files, per `project:path`, measured on a
 * shared 2-core host (vitest's JSON reporter; only their order matters). The sequencer
 * (duration-sequencer.ts) starts these first on a clean clone, where Vitest has no timings of
 * its own yet and would go by file size: a long small file started last is the run's tail.
 * A file missing here runs after them, largest first; a wrong figure only costs order.
 */
export const FILE_DURATIONS: Readonly<Record<string, number>> = {
  // The image suite first: it waits for the image build started with the run.
  'image:test/slow/container-image.slow-spec.ts': 300,
  // Mostly waiting (a Python survivor restores the message after ~100 s).
  'slow:test/slow/redis-shared-queue-kill.slow-spec.ts': 130,
  'slow:test/slow/pools-misbehaving.slow-spec.ts': 109,
  'slow:test/slow/pools-stopping.slow-spec.ts': 96,
  'slow:test/slow/pools-orphans.slow-spec.ts': 65,
  'slow:test/slow/autoscaling-rabbitmq.slow-spec.ts': 52,
  'slow:test/slow/rpc-failure-too-large.slow-spec.ts': 40,
  'slow:test/slow/pools-amqp-outage.slow-spec.ts': 32,
  'slow:test/slow/result-too-long-for-json.slow-spec.ts': 32,
  'slow:test/slow/redis-failure-too-large.slow-spec.ts': 32,
  'e2e:test/e2e/package-install.e2e-spec.ts': 156,
  'e2e:test/e2e/amqp-worker-resilience.e2e-spec.ts': 71,
  'e2e:test/e2e/interop-compression.e2e-spec.ts': 46,
  'e2e:test/e2e/redis-worker-resilience.e2e-spec.ts': 45,
  'e2e:test/e2e/outbox-isolation.e2e-spec.ts': 41,
  'e2e:test/e2e/control-redis.e2e-spec.ts': 40,
  'e2e:test/e2e/amqp-broker.e2e-spec.ts': 39,
  'e2e:test/e2e/amqp-python-headers.e2e-spec.ts': 39,
  'e2e:test/e2e/cli.e2e-spec.ts': 37,
  'e2e:test/e2e/beat-django-exchange.e2e-spec.ts': 36,
  'e2e:test/e2e/interop-bad-input.e2e-spec.ts': 34,
  'e2e:test/e2e/interop-redis.e2e-spec.ts': 34,
  'e2e:test/e2e/boot-failure.e2e-spec.ts': 32,
  'e2e:test/e2e/worker-robustness.e2e-spec.ts': 31,
  'e2e:test/e2e/redis-sentinel.e2e-spec.ts': 30,
  'e2e:test/e2e/canvas-python.e2e-spec.ts': 29,
  'e2e:test/e2e/interop-worker-direct.e2e-spec.ts': 29,
  'e2e:test/e2e/pools-revoke-signal.e2e-spec.ts': 27,
  'e2e:test/e2e/health-cli.e2e-spec.ts': 26,
  'e2e:test/e2e/amqp-consumer-timeout.e2e-spec.ts': 26,
  'e2e:test/e2e/typeorm-timezones.e2e-spec.ts': 25,
  'e2e:test/e2e/beat-django-mariadb.e2e-spec.ts': 25,
  'e2e:test/e2e/outbox-mariadb.e2e-spec.ts': 25,
  'e2e:test/e2e/beat-django.e2e-spec.ts': 24,
  'e2e:test/e2e/canvas-interop.e2e-spec.ts': 24,
  'e2e:test/e2e/interop-amqp.e2e-spec.ts': 24,
  'e2e:test/e2e/interop-time-limit-header.e2e-spec.ts': 23,
  'e2e:test/e2e/interop-protocol-v1.e2e-spec.ts': 23,
  'e2e:test/e2e/tracing.e2e-spec.ts': 22,
  'e2e:test/e2e/cli-unreachable.e2e-spec.ts': 22,
  'e2e:test/e2e/amqp-broker-refusals.e2e-spec.ts': 21,
  'e2e:test/e2e/canvas-follow-parents.e2e-spec.ts': 21,
};
