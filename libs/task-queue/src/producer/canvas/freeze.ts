import { randomUUID } from 'node:crypto';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { chordSignature, toSignature, toSignatureList } from './signature.js';

/**
 * The results a frozen canvas will produce, known before anything is sent: one task, or a
 * group of results; `parent` is the result the value comes from (Celery's `AsyncResult.parent`).
 */
export type ResultNode =
  | { kind: 'task'; id: string; name: string; parent: ResultNode | null }
  | { kind: 'group'; id: string; children: ResultNode[]; parent: ResultNode | null };

/** What Celery's `freeze(_id, group_id, chord, root_id, parent_id, group_index)` takes. */
export interface FreezeOptions {
  id?: string;
  groupId?: string;
  chord?: SignatureDict;
  rootId?: string;
  parentId?: string;
  groupIndex?: number;
}

/**
 * Celery's `freeze` over a signature dict, in place: every task gets its `task_id` (and
 * `reply_to`), groups their id, chords their header group and frozen body, and a chain's
 * `group | next` becomes `chord(group, next)` (`chain.prepare_steps`). Returns the result tree,
 * so `applyAsync()` can hand out results (with `parent`) before the first message is sent.
 */
export function freezeSignature(
  sig: SignatureDict,
  replyTo: string,
  opts: FreezeOptions = {},
): ResultNode {
  switch (sig.subtask_type) {
    case 'chain':
      return freezeChain(sig, replyTo, opts);
    case 'group':
      return freezeGroup(sig, replyTo, opts);
    case 'chord':
      return freezeChord(sig, replyTo, opts);
    default:
      return freezeTask(sig, replyTo, opts);
  }
}

/** `Signature.freeze`: an existing task_id wins; reply_to, group_id only when missing. */
function freezeTask(sig: SignatureDict, replyTo: string, opts: FreezeOptions): ResultNode {
  const o = sig.options;
  if (typeof o.task_id !== 'string') o.task_id = opts.id ?? randomUUID();
  if (opts.rootId) o.root_id = opts.rootId;
  if (opts.parentId) o.parent_id = opts.parentId;
  if (!('reply_to' in o)) o.reply_to = replyTo;
  if (opts.groupId && !('group_id' in o)) o.group_id = opts.groupId;
  if (opts.chord) o.chord = opts.chord;
  if (opts.groupIndex !== undefined) o.group_index = opts.groupIndex;
  return { kind: 'task', id: o.task_id as string, name: sig.task, parent: null };
}

/** `group._freeze_group_tasks`: the group id, then each (unrolled) member with its index. */
function freezeGroup(sig: SignatureDict, replyTo: string, opts: FreezeOptions): ResultNode {
  const o = sig.options;
  if (typeof o.task_id !== 'string') o.task_id = opts.groupId ?? randomUUID();
  if (opts.groupId) o.group_id = opts.groupId;
  if (opts.chord) o.chord = opts.chord;
  if (opts.groupIndex !== undefined) o.group_index = opts.groupIndex;
  if (!('root_id' in o)) o.root_id = opts.rootId ?? null;
  if (!('parent_id' in o)) o.parent_id = opts.parentId ?? null;
  const members = unrollGroup(toSignatureList(sig.kwargs.tasks));
  sig.kwargs = { ...sig.kwargs, tasks: members };
  const children = members.map((member, groupIndex) =>
    freezeSignature(member, replyTo, {
      chord: opts.chord,
      rootId: str(o.root_id),
      parentId: str(o.parent_id),
      groupIndex,
    }),
  );
  return { kind: 'group', id: o.task_id as string, children, parent: null };
}

/** `chord.freeze`: header frozen with the body as its chord, then the body; id = the group's. */
function freezeChord(sig: SignatureDict, replyTo: string, opts: FreezeOptions): ResultNode {
  const header = headerGroup(sig.kwargs.header);
  const body = toSignature(sig.kwargs.body);
  if (!body) throw new TypeError('A chord needs a body.');
  const headerResult = freezeSignature(header, replyTo, {
    parentId: opts.parentId,
    rootId: opts.rootId,
    chord: body,
  });
  const bodyResult = freezeSignature(body, replyTo, {
    id: opts.id,
    rootId: opts.rootId,
    chord: opts.chord,
    groupId: opts.groupId,
    groupIndex: opts.groupIndex,
  });
  sig.kwargs = { ...sig.kwargs, header, body };
  sig.options.task_id = headerResult.id;
  rootOf(bodyResult).parent = headerResult;
  return bodyResult;
}

/**
 * `chain.prepare_steps` (without partial args): steps frozen from the last, nested chains
 * flattened, a group followed by a step upgraded to a chord, each result's parent the step
 * before. Returns the last step's result.
 */
function freezeChain(sig: SignatureDict, replyTo: string, opts: FreezeOptions): ResultNode {
  const pending = [...toSignatureList(sig.kwargs.tasks)];
  const frozen: SignatureDict[] = [];
  const results: ResultNode[] = [];
  let prevTask: SignatureDict | null = null;
  let prevResult: ResultNode | null = null;
  let index = 0;
  while (pending.length > 0) {
    let task = pending.pop()!;
    if (task.subtask_type === 'chain') {
      pending.push(...toSignatureList(task.kwargs.tasks));
      continue;
    }
    if (task.subtask_type === 'group' && prevTask) {
      frozen.pop();
      results.pop();
      task = {
        ...chordSignature([], prevTask),
        kwargs: { kwargs: {}, header: task, body: prevTask },
      };
      prevResult = null;
    }
    const result =
      index === 0
        ? freezeSignature(task, replyTo, {
            id: opts.id,
            rootId: opts.rootId,
            groupId: opts.groupId,
            chord: opts.chord,
            groupIndex: opts.groupIndex,
          })
        : freezeSignature(task, replyTo, { rootId: opts.rootId });
    index++;
    if (prevResult && !prevResult.parent) prevResult.parent = result;
    frozen.push(task);
    results.push(result);
    prevTask = task;
    prevResult = rootOf(result);
  }
  sig.kwargs = { ...sig.kwargs, tasks: frozen.reverse() };
  return results[0]!;
}

/** The header as a `celery.group` dict (a list of signatures is wrapped). */
function headerGroup(value: unknown): SignatureDict {
  const sig = toSignature(value);
  if (sig?.subtask_type === 'group') return sig;
  return {
    task: 'celery.group',
    args: [],
    kwargs: { tasks: toSignatureList(value) },
    options: {},
    subtask_type: 'group',
    immutable: false,
  };
}

/** Nested groups flattened into their parent (`group._freeze_unroll`). */
export function unrollGroup(tasks: SignatureDict[]): SignatureDict[] {
  return tasks.flatMap((task) =>
    task.subtask_type === 'group' ? unrollGroup(toSignatureList(task.kwargs.tasks)) : [task],
  );
}

/** The first result of a chain of results (the one without a parent). */
function rootOf(node: ResultNode): ResultNode {
  let current = node;
  while (current.parent) current = current.parent;
  return current;
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value.length > 0 ? value : undefined;
