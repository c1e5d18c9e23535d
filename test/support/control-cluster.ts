import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { ChildProcess } from 'node:child_process';
import type { INestApplicationContext } from '@nestjs/common';
import { expect } from 'vitest';
import { ControlClient } from 'celeriac';
import { createControlApp } from './control-app.js';
import { eventually, killChild, PythonEventReceiver, startPythonWorker } from './control-python.js';

/** Node and Python nodenames and queues, unique to one spec file. */
export interface ControlNames {
  readonly suffix: string;
  readonly node: string;
  readonly py: string;
  readonly nodeQueue: string;
  readonly pyQueue: string;
}

export function controlNames(): ControlNames {
  const suffix = randomUUID().slice(0, 8);
  return {
    suffix,
    node: `node-${suffix}@${hostname()}`,
    py: `py-${suffix}@${hostname()}`,
    nodeQueue: `control-node-${suffix}`,
    pyQueue: `control-py-${suffix}`,
  };
}

/**
 * What the remote-control specs run against, on one broker: a Python Celery worker, a Python
 * events receiver, a Celeriac worker app and a standalone {@link ControlClient}.
 */
export class ControlCluster {
  app!: INestApplicationContext;
  client!: ControlClient;
  receiver!: PythonEventReceiver;
  private python?: ChildProcess;

  private constructor(readonly names: ControlNames) {}

  /**
   * Start everything and wait until the Python worker answers ping. `pythonBackend`: the
   * Python worker's result backend. On failure, what was started is stopped again.
   */
  static async start(
    brokerUrl: string,
    names: ControlNames,
    pythonBackend?: string,
  ): Promise<ControlCluster> {
    const cluster = new ControlCluster(names);
    try {
      cluster.python = startPythonWorker(brokerUrl, names.pyQueue, names.py, pythonBackend);
      cluster.receiver = new PythonEventReceiver(brokerUrl);
      cluster.app = await createControlApp(brokerUrl, names.nodeQueue, names.node);
      cluster.client = await ControlClient.connect(brokerUrl);
      await eventually(
        async () =>
          names.py in (await cluster.client.ping({ destination: [names.py], timeout: 500 })),
        30_000,
        'the Python worker to answer ping',
      );
      return cluster;
    } catch (error) {
      await cluster.close();
      throw error;
    }
  }

  async close(): Promise<void> {
    await this.client?.close();
    await this.app?.close();
    await Promise.all([killChild(this.python), this.receiver?.stop()]);
  }
}

/** The cluster's Python and Node workers both answer `ping` and `stats`. */
export async function expectBothAnswerPingAndStats(cluster: ControlCluster): Promise<void> {
  const { py, node } = cluster.names;
  // A broadcast that ends when both have answered (a loaded machine's Python worker can take
  // more than a second); the timeout only bounds a missing reply.
  const pongs = await cluster.client.ping({ limit: 2, timeout: 10_000 });
  expect(pongs[py]).toEqual({ ok: 'pong' });
  expect(pongs[node]).toEqual({ ok: 'pong' });
  const stats = await cluster.client.stats({ destination: [py, node], timeout: 10_000 });
  expect(stats[py]).toHaveProperty('broker');
  expect(stats[node]).toHaveProperty('total');
}
