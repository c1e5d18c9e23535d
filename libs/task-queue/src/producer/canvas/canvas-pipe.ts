import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { chordSignature, extendListOption, toSignature, toSignatureList } from './signature.js';

/**
 * Celery's `a | b` on signature dicts, which `chain(a, b, c)` reduces over (from an empty
 * chain), so that Node builds the same canvas as Python for the same call:
 * - task | task, task | group, task | chain → a chain;
 * - chain | task → the chain extended; but a last step that is a group becomes
 *   `chord(group, task)`, and a last chord gets the task chained to its body;
 * - group | task → `chord(group, task)`; chord | task → the task chained to the body;
 * - a group of one member is unrolled to that member.
 */
export function pipe(left: SignatureDict, right: SignatureDict): SignatureDict {
  switch (left.subtask_type) {
    case 'chain':
      return pipeChain(left, right);
    case 'group':
      return chordSignature(left, right);
    case 'chord':
      if (right.subtask_type !== 'group' && right.subtask_type !== 'chain') {
        return withBody(left, pipe(bodyOf(left), right));
      }
      return pipeTask(left, right);
    default:
      return pipeTask(left, right);
  }
}

/** An empty `celery.chain` dict (what `chain()` reduces from). */
export function emptyChain(): SignatureDict {
  return chainOf([]);
}

function pipeTask(left: SignatureDict, right: SignatureDict): SignatureDict {
  if (right.subtask_type === 'chain') return chainOf([left, ...unchainTasks(right)]);
  if (right.subtask_type === 'group') return chainOf([left, unrollGroup(right)]);
  return chainOf([left, right]);
}

function pipeChain(left: SignatureDict, right: SignatureDict): SignatureDict {
  const tasks = unchainTasks(left);
  if (right.subtask_type === 'group') {
    const group = unrollGroup(right);
    return tasks.length === 0 ? group : chainOf([...tasks, group]);
  }
  if (right.subtask_type === 'chain') return chainOf([...tasks, ...unchainTasks(right)]);
  const last = toSignatureList(left.kwargs.tasks).at(-1);
  if (last?.subtask_type === 'group') {
    return {
      ...left,
      kwargs: { ...left.kwargs, tasks: [...tasks.slice(0, -1), chordSignature(last, right)] },
    };
  }
  if (last?.subtask_type === 'chord') {
    const chord = withBody(last, pipe(bodyOf(last), right));
    return { ...left, kwargs: { ...left.kwargs, tasks: [...tasks.slice(0, -1), chord] } };
  }
  return chainOf([...tasks, right]);
}

/** `chain.unchain_tasks`: the steps, each given the chain's own `link_error`. */
function unchainTasks(chain: SignatureDict): SignatureDict[] {
  const tasks = toSignatureList(chain.kwargs.tasks);
  for (const task of tasks) extendListOption(task, 'link_error', chain.options.link_error);
  return tasks;
}

/** `maybe_unroll_group`: a group of one member is that member. */
function unrollGroup(group: SignatureDict): SignatureDict {
  const members = toSignatureList(group.kwargs.tasks);
  return members.length === 1 ? members[0]! : group;
}

function chainOf(tasks: SignatureDict[]): SignatureDict {
  return {
    task: 'celery.chain',
    args: [],
    kwargs: { tasks },
    options: {},
    subtask_type: 'chain',
    immutable: false,
  };
}

function bodyOf(chord: SignatureDict): SignatureDict {
  const body = toSignature(chord.kwargs.body);
  if (!body) throw new TypeError('A chord needs a body.');
  return body;
}

function withBody(chord: SignatureDict, body: SignatureDict): SignatureDict {
  return { ...chord, kwargs: { ...chord.kwargs, body } };
}
