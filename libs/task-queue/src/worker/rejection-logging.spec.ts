import { randomUUID } from 'node:crypto';
import { type INestApplicationContext, Logger, type LoggerService } from '@nestjs/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { createTaskMessage } from '../protocol/task-message.factory.js';
import { MemoryBroker } from '../transports/memory/memory.broker.js';
import { DeadLetters } from './dead-letters.js';

/**
 * A rejected message is logged on exactly one line that names it and says why (a hostile
 * producer can send hundreds: two lines each, or a megabyte task name quoted whole, floods the
 * log).
 */
const lines: string[] = [];
const capture =
  (level: string) =>
  (message: unknown): void => {
    lines.push(`${level} ${String(message)}`);
  };
const logger: LoggerService = {
  log: () => undefined,
  warn: capture('warn'),
  error: capture('error'),
};

let app: INestApplicationContext | undefined;
let name: string;
beforeEach(async () => {
  lines.length = 0;
  name = `reject-log-${randomUUID()}`;
  app = await createApp({ broker: `memory://${name}` });
  Logger.overrideLogger(logger); // after compile(), which installs the testing logger
});
afterEach(async () => {
  await app?.close();
  Logger.overrideLogger(false);
});

async function publish(task: string, body: string): Promise<string> {
  const message = createTaskMessage({ name: task, args: [1] });
  await new MemoryBroker(name).publish({ ...message, body }, { queue: 'celery' });
  await expect.poll(() => app!.get(DeadLetters).count('celery')).toBe(1);
  return message.headers.id;
}

describe('rejection log lines', () => {
  it('a malformed message: one error line with the id and the reason', async () => {
    const id = await publish('orders.process', '{not json');
    const named = lines.filter((l) => l.includes(id));
    expect(named).toEqual([
      expect.stringMatching(
        /^error Moved message .* malformed message: The message body is not valid JSON/,
      ),
    ]);
  });

  it('an unknown task: one error line, the name cut short, what to check', async () => {
    const id = await publish(`no.such.${'x'.repeat(5000)}`, '[[1], {}, {}]');
    const named = lines.filter((l) => l.includes(id));
    expect(named).toHaveLength(1);
    expect(named[0]).toMatch(/^error Moved message .*: unknown task "no\.such\.x+\.\.\."/);
    expect(named[0]).toContain('is not registered on this worker');
    expect(named[0]!.length).toBeLessThan(1000);
  });
});
