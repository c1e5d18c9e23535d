import { describe, expect, it } from 'vitest';
import { MaxRetriesExceededError } from '../errors/max-retries-exceeded.error.js';
import { TaskArgumentsError } from '../errors/task-arguments.error.js';
import { TaskQueueError } from '../errors/task-queue.error.js';
import { Ignore, Reject, Retry, UnrecoverableError } from '../errors/task-signals.js';
import { TimeLimitExceededError } from '../errors/time-limit.error.js';
import { WorkerLostError } from '../errors/worker-lost.error.js';
import { decideFailure } from './failure-decision.js';

class Flaky extends Error {}
const request = (retries: number) => ({ id: 'id-1', name: 'demo.task', retries });

describe('decideFailure', () => {
  it('ignores Ignore and passes Reject on', () => {
    expect(decideFailure(new Ignore(), {}, request(0), true)).toEqual({ kind: 'ignore' });
    const reject = new Reject('bad input', true);
    expect(decideFailure(reject, {}, request(0), true)).toEqual({ kind: 'reject', signal: reject });
  });

  it('requeues a lost isolate only with acksLate and rejectOnWorkerLost', () => {
    const lost = new WorkerLostError('killed');
    expect(decideFailure(lost, { rejectOnWorkerLost: true }, request(0), true).kind).toBe(
      'requeue-lost',
    );
    expect(decideFailure(lost, { rejectOnWorkerLost: true }, request(0), false).kind).toBe('fail');
    expect(decideFailure(lost, {}, request(0), true).kind).toBe('fail');
  });

  it('retries Retry and autoretryFor errors while retries are left, with the cause', () => {
    const retry = new Retry({ countdown: 5 });
    expect(decideFailure(retry, {}, request(2), false)).toEqual({
      kind: 'retry',
      options: { countdown: 5 },
      cause: retry,
    });
    const flaky = new Flaky('again');
    expect(decideFailure(flaky, { autoretryFor: [Flaky] }, request(0), false)).toEqual({
      kind: 'retry',
      options: { error: flaky },
      cause: flaky,
    });
    expect(decideFailure(flaky, {}, request(0), false)).toEqual({ kind: 'fail', error: flaky });
  });

  it('never autoretries UnrecoverableError or bad arguments', () => {
    const options = { autoretryFor: [Error] };
    expect(decideFailure(new UnrecoverableError('no'), options, request(0), false).kind).toBe(
      'fail',
    );
    expect(decideFailure(new TaskArgumentsError('x'), options, request(0), false).kind).toBe(
      'fail',
    );
  });

  it('never autoretries what the worker decides, not the handler: a lost isolate, a hard limit', () => {
    // Celery's autoretry_for wraps the task body; WorkerLostError and TimeLimitExceeded come
    // from the parent, so a crash or a hard limit stores FAILURE instead of running it again.
    const options = { autoretryFor: [Error] };
    expect(decideFailure(new WorkerLostError('killed'), options, request(0), true).kind).toBe(
      'fail',
    );
    expect(decideFailure(new TimeLimitExceededError(1), options, request(0), true).kind).toBe(
      'fail',
    );
  });

  it('is exhausted at maxRetries: the retry error if given, else MaxRetriesExceededError', () => {
    const flaky = new Flaky('third');
    expect(
      decideFailure(flaky, { autoretryFor: [Flaky], maxRetries: 3 }, request(3), false),
    ).toEqual({ kind: 'exhausted', error: flaky, max: 3 });
    const bare = decideFailure(new Retry(), { maxRetries: 1 }, request(1), false);
    expect(bare.kind).toBe('exhausted');
    expect(bare.kind === 'exhausted' && bare.error).toBeInstanceOf(MaxRetriesExceededError);
    expect(decideFailure(new Retry({ maxRetries: null }), {}, request(99), false).kind).toBe(
      'retry',
    );
  });
  it.each([
    [{ countdown: Infinity }, 'countdown must be a finite number of seconds; got Infinity'],
    [{ countdown: Number.NaN }, 'countdown must be a finite number of seconds; got NaN'],
    [
      { countdown: 'soon' as unknown as number },
      'countdown must be a finite number of seconds; got "soon"',
    ],
    [{ countdown: 1e20 }, 'a countdown of 100000000000000000000 s ends past the last date'],
    [{ eta: new Date(Number.NaN) }, 'eta must be a valid Date; got an invalid Date'],
    [{ maxRetries: Number.NaN }, 'maxRetries must be a number or null; got NaN'],
  ])('fails a Retry whose options cannot be honoured (%o), saying why', (options, why) => {
    const decision = decideFailure(new Retry(options), {}, request(0), true);
    expect(decision.kind).toBe('fail');
    const error = (decision as { error: Error }).error;
    expect(error).toBeInstanceOf(TaskQueueError);
    expect(error.message).toContain(`Cannot retry demo.task[id-1]: ${why}`);
  });

  it('still retries with a negative countdown (due at once, as in Celery) or a valid eta', () => {
    expect(decideFailure(new Retry({ countdown: -5 }), {}, request(0), true).kind).toBe('retry');
    const eta = new Date(Date.now() + 60_000);
    expect(decideFailure(new Retry({ eta }), {}, request(0), true).kind).toBe('retry');
  });
});
