import { describe, expect, it } from 'vitest';
import { useCanvasApp } from '../support/canvas-harness.js';
import { REDIS } from '../support/canvas-transports.js';
import { PYTHON, runProcess } from '../support/interop-processes.js';

/**
 * Python ints beyond 2^53 sent by a real Celery 5.2.6 client to a Node task: they arrive as
 * BigInt (never rounded), a BigInt result goes back as the exact int, and mixing one with a
 * number fails loudly (TypeError, which Python re-raises as its own TypeError).
 */
const SEND = `
import os, sys
from celery import Celery
app = Celery('big', broker=os.environ['INTEROP_BROKER'], backend=os.environ['INTEROP_BACKEND'])
app.conf.task_routes = {'interop.*': {'queue': os.environ['CANVAS_NODE_QUEUE']}}
res = app.send_task('interop.add', (2**70, int(sys.argv[1])))
try:
    value = res.get(timeout=20)
    print('ok', value == 2**70 + int(sys.argv[1]), repr(value))
except Exception as exc:
    print('error', type(exc).__name__, exc)
finally:
    res.forget()
`;

describe('big integers from Python', () => {
  const h = useCanvasApp(REDIS);
  const send = async (y: string): Promise<string> => {
    const run = await runProcess(PYTHON, ['-c', SEND, y], {
      env: h.pythonEnv(),
      timeoutMs: 60_000,
    });
    expect(run.code, run.stderr).toBe(0);
    return run.stdout.trim();
  };

  it('arrive as BigInt and go back exact', async () => {
    expect(await send(String(2n ** 70n))).toBe(`ok True ${2n ** 71n}`);
  });

  it('fail with TypeError when mixed with a number, not rounded', async () => {
    expect(await send('1')).toMatch(/^error TypeError Cannot mix BigInt and other types/);
  });
});
