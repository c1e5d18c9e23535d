import { randomUUID } from 'node:crypto';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import {
  chordSignature,
  definedOptions,
  extendListOption,
  isRecord,
  mergeSignature,
  toSignature,
  toSignatureList,
  type ApplyCall,
} from './signature.js';

/**
 * One thing to do to apply a signature: publish a plain task (its signature fully merged, ready
 * to become a message), or record a chord's size before its last header task is sent.
 */
export type CanvasStep =
  | { kind: 'send'; signature: SignatureDict }
  | {
      kind: 'chord-size';
      groupId: string;
      size: number;
      /** The chord body (frozen) and the header's result ids, for `celery.chord_unlock`. */
      body: SignatureDict;
      resultIds: string[];
    };

/**
 * Celery's `apply_async` for any signature dict, as a list of steps: plain tasks are one
 * `send`; `celery.chain`, `celery.group` and `celery.chord` dicts are expanded the way
 * celery/canvas.py does (chain → first task carrying the rest reversed in `chain`; group →
 * each member with a shared `group_id`; chord → `.s` size, then each header member with
 * `group_id` / `group_index` / `chord` = the frozen body). See docs/protocol.md#how-canvases-travel.
 */
export function expandSignature(sig: SignatureDict, call: ApplyCall = {}): CanvasStep[] {
  switch (sig.subtask_type) {
    case 'chain':
      return expandChain(sig, call);
    case 'group':
      return expandGroup(sig, call);
    case 'chord':
      return expandChord(sig, call);
    default:
      return [{ kind: 'send', signature: mergeSignature(sig, call) }];
  }
}

/** A composite's partial args, kwargs and merged options (`dict(self.options, **options)`). */
function composite(sig: SignatureDict, call: ApplyCall) {
  const args = sig.immutable ? [...sig.args] : [...(call.args ?? []), ...sig.args];
  const options: Record<string, unknown> = { ...sig.options, ...definedOptions(call.options) };
  return { args, kwargs: call.kwargs ?? {}, options };
}

/** Tasks of a group signature (or a plain list), nested groups unrolled like `group._prepared`. */
function groupMembers(value: unknown): SignatureDict[] {
  const group = toSignature(value);
  const list = group?.subtask_type === 'group' ? group.kwargs.tasks : value;
  return toSignatureList(list).flatMap((member) =>
    member.subtask_type === 'group' ? groupMembers(member) : [member],
  );
}

/** `chain.run`: link on the last step, link_error on all, the first one published. */
function expandChain(sig: SignatureDict, call: ApplyCall): CanvasStep[] {
  const { args, kwargs, options } = composite(sig, call);
  const steps = upgradeGroups(toSignatureList(sig.kwargs.tasks));
  if (steps.length === 0) return [];
  const {
    task_id: taskId,
    link,
    link_error: linkError,
    group_id: groupId,
    group_index: groupIndex,
    chord,
    chain: outerChain,
    ...rest
  } = options;
  const last = steps[steps.length - 1]!;
  if (taskId != null) last.options.task_id = taskId;
  if (groupId != null) last.options.group_id = groupId;
  if (groupIndex != null) last.options.group_index = groupIndex;
  if (chord != null) last.options.chord = chord;
  extendListOption(last, 'link', link);
  for (const step of steps) {
    extendListOption(step, 'link_error', linkError);
    if (step.subtask_type == null && step.options.task_id == null) {
      step.options.task_id = randomUUID();
    }
  }
  const remaining = [...toSignatureList(outerChain), ...steps.slice(1).reverse()];
  return expandSignature(steps[0]!, {
    args,
    kwargs,
    options: { ...rest, chain: remaining.length > 0 ? remaining : undefined },
  });
}

/** `chain.prepare_steps`: a group followed by another step becomes chord(group, next). */
function upgradeGroups(tasks: SignatureDict[]): SignatureDict[] {
  const steps: SignatureDict[] = [];
  for (let i = 0; i < tasks.length; i++) {
    const task = tasks[i]!;
    const next = tasks[i + 1];
    if (task.subtask_type === 'group' && next) {
      steps.push(chordSignature(groupMembers(task), next));
      i++;
    } else {
      steps.push(task);
    }
  }
  return steps;
}

/** `group.apply_async`: one `group_id` (the group's task_id, or new), each member sent. */
function expandGroup(sig: SignatureDict, call: ApplyCall): CanvasStep[] {
  const { args, kwargs, options } = composite(sig, call);
  const { task_id: taskId, ...rest } = options;
  const groupId = typeof taskId === 'string' ? taskId : randomUUID();
  return groupMembers(sig).flatMap((member) =>
    expandSignature(member, { args, kwargs, options: { ...rest, group_id: groupId } }),
  );
}

/** `chord.run`: body frozen with the options, `.s` set, header members joined to the body. */
function expandChord(sig: SignatureDict, call: ApplyCall): CanvasStep[] {
  const { args, kwargs, options } = composite(sig, call);
  const body = toSignature(sig.kwargs.body);
  if (!body) return [];
  const innerKwargs = isRecord(sig.kwargs.kwargs) ? sig.kwargs.kwargs : {};
  const header = toSignature(sig.kwargs.header);
  const groupId =
    typeof header?.options.task_id === 'string' ? header.options.task_id : randomUUID();
  const { task_id: taskId, ...bodyOptions } = options;
  body.options = { ...body.options, ...bodyOptions };
  // `body.freeze(task_id)`: a frozen body keeps its id (the chord's own task_id is its group's);
  // a chain body gives the id to its last step, and only when that step has none.
  const last = body.subtask_type === 'chain' ? toSignatureList(body.kwargs.tasks).at(-1) : body;
  if (last && last.subtask_type !== 'chain' && last.options.task_id == null) {
    last.options.task_id = taskId ?? randomUUID();
    if (last !== body) body.kwargs = { ...body.kwargs, tasks: replaceLast(body, last) };
  }
  const members = groupMembers(sig.kwargs.header);
  if (members.length === 0) return expandSignature(body, { args: [[]] });
  const {
    chain: _chain,
    chord: _chord,
    link: _link,
    link_error: _linkError,
    ...headerOptions
  } = bodyOptions;
  const steps: CanvasStep[] = [];
  const resultIds = members.map(ensureResultId);
  members.forEach((member, index) => {
    if (index === members.length - 1) {
      steps.push({ kind: 'chord-size', groupId, size: members.length, body, resultIds });
    }
    steps.push(
      ...expandSignature(member, {
        args,
        kwargs: { ...innerKwargs, ...kwargs },
        options: { ...headerOptions, group_id: groupId, group_index: index, chord: body },
      }),
    );
  });
  return steps;
}

/** The tasks of a chain dict with the last one replaced. */
function replaceLast(chain: SignatureDict, last: SignatureDict): SignatureDict[] {
  return [...toSignatureList(chain.kwargs.tasks).slice(0, -1), last];
}

/** Give a header member (a chain's last step) its task id if it has none; returns it. */
function ensureResultId(member: SignatureDict): string {
  const last =
    member.subtask_type === 'chain' ? toSignatureList(member.kwargs.tasks).at(-1) : member;
  const target = last ?? member;
  if (typeof target.options.task_id !== 'string') target.options.task_id = randomUUID();
  if (target !== member) member.kwargs = { ...member.kwargs, tasks: replaceLast(member, target) };
  return target.options.task_id as string;
}
