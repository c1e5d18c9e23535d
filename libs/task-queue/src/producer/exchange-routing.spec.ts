import { Injectable } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { createProducerApp } from '../__fixtures__/create-app.js';
import { RecordingBroker } from '../__fixtures__/recording-broker.js';
import { Task } from '../tasks/task.decorator.js';
import { TaskClient } from './task.client.js';
import { ConfigurationError } from '../errors/configuration.error.js';

@Injectable()
class Tasks {
  @Task('routing.add')
  add(a: number, b: number): number {
    return a + b;
  }
}

// Celery's send_task_message publishes to the exchange with the routing key only when both
// are set; otherwise to the anonymous exchange, that is, the queue.
describe('exchange / routingKey (apply_async(exchange=..., routing_key=...))', () => {
  it('reach the broker together, from a send and from a canvas step; one alone is ignored', async () => {
    const broker = new RecordingBroker();
    await broker.bindDirect('bound', 'reports', 'daily');
    await broker.bindDirect('bound', 'x', 'k');
    const moduleRef = await createProducerApp(broker, [Tasks]);
    const client = moduleRef.get(TaskClient);
    const add = client.get(Tasks, 'add');
    await add.applyAsync([1, 2], { exchange: 'reports', routingKey: 'daily' });
    await add.applyAsync([1, 2], { exchange: 'reports' });
    await client.signature('routing.add', [1, 2], {}, { exchange: 'x', routingKey: 'k' }).delay();
    await moduleRef.close();
    expect(broker.options[0]).toMatchObject({ exchange: 'reports', routingKey: 'daily' });
    expect(broker.options[1]).not.toHaveProperty('exchange');
    expect(broker.options[1]).not.toHaveProperty('routingKey');
    expect(broker.options[2]).toMatchObject({ exchange: 'x', routingKey: 'k' });
  });
});

// Celery's task_routes entry {'queue': 'q', 'exchange': 'x', 'routing_key': 'rk'}, or just
// exchange and routing key.
describe('routes with an exchange and routing key (task_routes)', () => {
  it('publish to the exchange with the key unless the call names its own queue or exchange', async () => {
    const broker = new RecordingBroker();
    await broker.bindDirect('bound', 'rx', 'rk');
    await broker.bindDirect('bound', 'other', 'ok');
    const moduleRef = await createProducerApp(broker, [Tasks], {
      routes: { 'routing.*': { queue: 'reports', exchange: 'rx', routingKey: 'rk' } },
    });
    const client = moduleRef.get(TaskClient);
    const add = client.get(Tasks, 'add');
    await add.delay(1, 2);
    await client.signature('routing.add', [1, 2]).delay();
    await add.applyAsync([1, 2], { queue: 'elsewhere' });
    await add.applyAsync([1, 2], { exchange: 'other', routingKey: 'ok' });
    await moduleRef.close();
    const rx = { queue: 'reports', exchange: 'rx', routingKey: 'rk' };
    expect(broker.options[0]).toMatchObject(rx);
    expect(broker.options[1]).toMatchObject(rx);
    expect(broker.options[2]).toMatchObject({ queue: 'elsewhere' });
    expect(broker.options[2]).not.toHaveProperty('exchange');
    expect(broker.options[3]).toMatchObject({ exchange: 'other', routingKey: 'ok' });
  });

  it('refuse an exchange without a routing key (and the reverse) at boot', async () => {
    const broker = new RecordingBroker();
    for (const route of [
      { exchange: 'rx' },
      { routingKey: 'rk' },
      { exchange: '', routingKey: 'rk' },
    ]) {
      const error = await createProducerApp(broker, [Tasks], {
        routes: { 'routing.*': route },
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as Error).message).toContain("routes['routing.*']");
    }
  });
});
