import { describe, expect, it } from 'vitest';
import { RemoteTaskError } from '../errors/remote-task.error.js';
import { deserializeError } from './celery-error.codec.js';

/** A stored FAILURE another program wrote: always a RemoteTaskError that says what is there. */
describe('deserializeError with garbage', () => {
  it.each([
    [{ exc_type: 'X', exc_message: { toString: 1 } }, 'X', '{"toString":1}'],
    [{ exc_type: { toString: 1 }, exc_message: ['m'] }, '{"toString":1}', 'm'],
    [{ exc_type: 5, exc_message: { x: 1 } }, '5', '{"x":1}'],
    [{ exc_type: 'Y', exc_message: [[1, 2], 3] }, 'Y', '[1,2], 3'],
    [{ toString: 1 }, 'Error', '{"toString":1}'],
  ])('%j', (stored, name, message) => {
    const error = deserializeError('t1', stored, null);
    expect(error).toBeInstanceOf(RemoteTaskError);
    expect(error).toMatchObject({ name, message });
  });
});
