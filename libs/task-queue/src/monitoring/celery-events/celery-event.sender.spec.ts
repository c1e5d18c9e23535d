import { Logger } from '@nestjs/common';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { BroadcastTransport } from '../../contracts/broadcast-transport.interface.js';
import { BrokerConnectionError } from '../../errors/broker-connection.error.js';
import { CeleryEventSender } from './celery-event.sender.js';

describe('CeleryEventSender', () => {
  afterEach(() => vi.restoreAllMocks());

  it('logs a failed publish once, as one sentence per clause (no ".." after the cause)', async () => {
    const warnings: string[] = [];
    vi.spyOn(Logger.prototype, 'warn').mockImplementation(
      (line: unknown) => void warnings.push(String(line)),
    );
    const transport = {
      publish: () =>
        Promise.reject(new BrokerConnectionError('No RabbitMQ connection within 10 ms.')),
    } as unknown as BroadcastTransport;
    const sender = new CeleryEventSender(transport, 'w@h');
    await sender.send({ type: 'worker-heartbeat' } as never);
    await sender.send({ type: 'worker-heartbeat' } as never);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain('within 10 ms. Monitors');
    expect(warnings[0]).not.toContain('..');
  });
});
