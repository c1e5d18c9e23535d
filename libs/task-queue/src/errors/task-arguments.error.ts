import { InvalidMessageError } from './invalid-message.error.js';

/**
 * A task's arguments do not fit its handler: wrong number of positional arguments, an unknown
 * or doubled keyword argument (`excType` TypeError, as Python raises), or a value its `schema`
 * rejected (`excType` ValidationError, with the issues). The task fails without retries.
 * @publicApi
 */
export class TaskArgumentsError extends InvalidMessageError {
  readonly excModule: string;

  constructor(
    message: string,
    readonly excType: 'TypeError' | 'ValidationError' = 'TypeError',
    readonly issues: readonly string[] = [],
  ) {
    super(message);
    this.excModule = excType === 'TypeError' ? 'builtins' : 'celeriac';
  }
}
