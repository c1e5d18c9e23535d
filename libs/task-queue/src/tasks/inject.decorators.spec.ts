import { Injectable, Module } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import type { Broker } from '../contracts/broker.interface.js';
import type { ResultBackend } from '../contracts/result-backend.interface.js';
import { InjectBroker } from './inject-broker.decorator.js';
import { InjectResultBackend } from './inject-result-backend.decorator.js';

@Injectable()
class QueueAdmin {
  constructor(
    @InjectBroker() readonly broker: Broker,
    @InjectResultBackend() readonly results: ResultBackend | null,
  ) {}
}

@Module({ providers: [QueueAdmin] })
class AdminModule {}

describe('@InjectBroker / @InjectResultBackend', () => {
  it('inject the configured broker and result backend', async () => {
    const app = await createApp({ worker: { enabled: false } }, [AdminModule]);
    const admin = app.get(QueueAdmin);
    expect(admin.broker.transport).toBe('memory');
    expect(admin.results?.kind).toBe('memory');
    await app.close();
  });
});
