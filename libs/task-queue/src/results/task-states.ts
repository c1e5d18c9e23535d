/**
 * Celery's task states. Custom states (PROGRESS, ...) are plain strings.
 * @publicApi
 */
export const TaskStates = {
  PENDING: 'PENDING',
  RECEIVED: 'RECEIVED',
  STARTED: 'STARTED',
  RETRY: 'RETRY',
  SUCCESS: 'SUCCESS',
  FAILURE: 'FAILURE',
  REVOKED: 'REVOKED',
  REJECTED: 'REJECTED',
} as const;

export type BuiltinTaskState = (typeof TaskStates)[keyof typeof TaskStates];
/** A built-in state or a custom one such as `PROGRESS`. */
export type TaskState = BuiltinTaskState | (string & {});

/** Ready states: the task will not change any more. */
export const READY_STATES: ReadonlySet<string> = new Set(['SUCCESS', 'FAILURE', 'REVOKED']);

// Celery's `states.PRECEDENCE`: earlier wins; custom states sit where `None` is.
const PRECEDENCE = [
  'SUCCESS',
  'FAILURE',
  null,
  'REVOKED',
  'STARTED',
  'RECEIVED',
  'REJECTED',
  'RETRY',
  'PENDING',
];
const CUSTOM_INDEX = PRECEDENCE.indexOf(null);

/** Celery's precedence index of a state: lower means "more final". */
export function statePrecedence(state: string): number {
  const index = PRECEDENCE.indexOf(state);
  return index === -1 ? CUSTOM_INDEX : index;
}

export function isReadyState(state: string): boolean {
  return READY_STATES.has(state);
}
