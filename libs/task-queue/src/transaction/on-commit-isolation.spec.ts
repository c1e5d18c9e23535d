import { DataSource } from 'typeorm';
import { describe, expect, it } from 'vitest';
import { createApp } from '../__fixtures__/create-app.js';
import { drainOnCommit } from './commit-hooks.runner.js';
import { NoActiveTransactionError } from '../errors/no-active-transaction.error.js';
import { onCommit } from './on-commit.js';

/** A promise with its resolve function, to hold an after-commit callback open. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

async function appWithDataSource(): Promise<{
  dataSource: DataSource;
  close: () => Promise<void>;
}> {
  const dataSource = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
  const app = await createApp({ typeorm: { dataSource }, worker: { enabled: false } }, []);
  return { dataSource, close: () => app.close() };
}

describe('two Nest apps in one process: onCommit state is per app', () => {
  it("an app's shutdown drains its own after-commit callbacks, not the other app's", async () => {
    const a = await appWithDataSource();
    const b = await appWithDataSource();
    const held = gate();
    const events: string[] = [];
    await a.dataSource.transaction(() =>
      onCommit(async () => {
        events.push('a started');
        await held.opened;
        events.push('a finished');
      }),
    );
    await b.dataSource.transaction(() => onCommit(() => void events.push('b ran')));

    // B's shutdown waits for B's callback only: A's is still blocked on the gate.
    await b.close();
    expect(events).toEqual(['a started', 'b ran']);

    // A's shutdown waits for A's callback.
    const closingA = a.close().then(() => events.push('a closed'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(events).not.toContain('a closed');
    held.open();
    await closingA;
    expect(events).toEqual(['a started', 'b ran', 'a finished', 'a closed']);
    await Promise.all([a.dataSource.destroy(), b.dataSource.destroy()]);
  });

  it('drainOnCommit() without a DataSource still waits for every callback (outside Nest)', async () => {
    const a = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
    const held = gate();
    let finished = false;
    await a.transaction((manager) =>
      onCommit(manager, async () => {
        await held.opened;
        finished = true;
      }),
    );
    const drained = drainOnCommit().then(() => finished);
    held.open();
    expect(await drained).toBe(true);
    await a.destroy();
  });
});

describe('two Nest apps in one process: strict is per app', () => {
  it("one app's typeorm.strict does not make the other app's DataSource strict", async () => {
    const strictSource = await new DataSource({ type: 'sqljs', entities: [] }).initialize();
    const strictApp = await createApp(
      { typeorm: { dataSource: strictSource, strict: true }, worker: { enabled: false } },
      [],
    );
    const lax = await appWithDataSource();
    let ran = false;
    await onCommit(() => void (ran = true), { dataSource: lax.dataSource });
    expect(ran).toBe(true);
    await expect(onCommit(() => undefined, { dataSource: strictSource })).rejects.toBeInstanceOf(
      NoActiveTransactionError,
    );
    // A call that names no DataSource: strict when any module asks for it.
    await expect(onCommit(() => undefined)).rejects.toBeInstanceOf(NoActiveTransactionError);
    await Promise.all([strictApp.close(), lax.close()]);
    await Promise.all([strictSource.destroy(), lax.dataSource.destroy()]);
  });
});
