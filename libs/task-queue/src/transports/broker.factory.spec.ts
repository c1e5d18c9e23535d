import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration.error.js';
import { createBroker } from './broker.factory.js';
import { createResultBackend } from './result-backend.factory.js';

/** The factories behind the CLI's --broker / --backend name what a Celery URL is here. */
describe('createBroker / createResultBackend refusals', () => {
  it("say that Celery's pyamqp:// broker is amqp:// here", async () => {
    const attempt = createBroker('pyamqp://guest@127.0.0.1//');
    await expect(attempt).rejects.toThrow(ConfigurationError);
    await expect(createBroker('pyamqp://guest@127.0.0.1//')).rejects.toThrow(
      'Unsupported broker URL "pyamqp://": use memory://, redis://, rediss://, sentinel://, amqp:// or amqps:// (Celery\'s pyamqp:// is amqp:// here',
    );
  });

  it("say that Celery's db+ result backend is 'typeorm' here", async () => {
    await expect(
      createResultBackend('db+postgresql://u@127.0.0.1/app', { expires: 60 }),
    ).rejects.toThrow("resultBackend: 'typeorm' with typeorm: { dataSource }");
  });
});
