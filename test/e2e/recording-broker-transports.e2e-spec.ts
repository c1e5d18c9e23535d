import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { ControlClient, TaskQueueModule } from 'celeriac';
import { RedisBroker } from 'celeriac/redis';
import { RecordingBroker } from 'celeriac/testing';
import { uniqueName } from '../support/interop-processes.js';
import { REDIS_URL } from '../support/redis-test-server.js';

// celeriac/testing's RecordingBroker around a real broker, in a module the test builds itself
// (docs/testing.md): Celery events and remote control run over the wrapped broker's transport.

describe('RecordingBroker around a RedisBroker', () => {
  let app: INestApplicationContext | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('boots with events and remote control on, and the worker answers ping', async () => {
    const queue = uniqueName('recording');
    const hostname = `${queue}@test`;
    const broker = new RecordingBroker(new RedisBroker(REDIS_URL));
    const moduleRef = await Test.createTestingModule({
      imports: [
        TaskQueueModule.forRoot({
          broker,
          resultBackend: false,
          defaultQueue: queue,
          worker: { queues: [queue], hostname, banner: false },
        }),
      ],
    }).compile();
    app = await moduleRef.init();
    const pongs = await app.get(ControlClient).ping({ destination: [hostname], timeout: 5_000 });
    expect(pongs).toEqual({ [hostname]: { ok: 'pong' } });
  });
});
