import type { SignatureLike } from '../../contracts/apply-options.interface.js';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { Canvas, Chain, Chord, Group, Signature } from './canvas-signature.js';
import type {
  AnyArgs,
  AnyCanvas,
  CanvasLike,
  CanvasRunner,
  ResultOf,
  ResultsOf,
  StepAccepting,
} from './canvas-types.js';
import { celeryOptions, toDict, type SignatureOptions } from './signature-options.js';
import { emptyChain, pipe } from './canvas-pipe.js';

/** The runner of the first member built through a producer (composites borrow it). */
function runnerOf(members: readonly unknown[]): CanvasRunner | null {
  for (const member of members) {
    const runner =
      member instanceof Canvas
        ? (member as unknown as { runner: CanvasRunner | null }).runner
        : null;
    if (runner) return runner;
  }
  return null;
}

function composite(task: string, kwargs: Record<string, unknown>, type: string): SignatureDict {
  return { task, args: [], kwargs, options: {}, subtask_type: type, immutable: false };
}

/**
 * A signature of a task known only by name (Celery's `signature('proj.add', args, kwargs,
 * options)`). Unbound: apply it inside a canvas with a producer-built step, or build it with
 * `TaskClient.signature()` to apply it alone.
 * @publicApi
 */
export function signature<R = unknown, A extends AnyArgs = AnyArgs>(
  name: string,
  args: readonly unknown[] = [],
  kwargs: Record<string, unknown> = {},
  options: SignatureOptions & { immutable?: boolean } = {},
  runner: CanvasRunner | null = null,
): Signature<A, R> {
  const { immutable, ...rest } = options;
  return new Signature<A, R>(
    {
      task: name,
      args: [...args],
      kwargs: { ...kwargs },
      options: celeryOptions(rest),
      subtask_type: null,
      immutable: immutable === true,
    },
    runner,
  );
}

/**
 * Steps run one after the other, each getting the previous result as its first argument
 * (`.si()` steps do not). The handle is the last step's AsyncResult; `parent` walks back.
 * @publicApi
 */
export function chain<A extends AnyArgs, R1, R2>(
  s1: CanvasLike<A, R1>,
  s2: StepAccepting<R1, R2>,
): Chain<A, R2>;
export function chain<A extends AnyArgs, R1, R2, R3>(
  s1: CanvasLike<A, R1>,
  s2: StepAccepting<R1, R2>,
  s3: StepAccepting<R2, R3>,
): Chain<A, R3>;
export function chain<A extends AnyArgs, R1, R2, R3, R4>(
  s1: CanvasLike<A, R1>,
  s2: StepAccepting<R1, R2>,
  s3: StepAccepting<R2, R3>,
  s4: StepAccepting<R3, R4>,
): Chain<A, R4>;
export function chain<A extends AnyArgs, R1, R2, R3, R4, R5>(
  s1: CanvasLike<A, R1>,
  s2: StepAccepting<R1, R2>,
  s3: StepAccepting<R2, R3>,
  s4: StepAccepting<R3, R4>,
  s5: StepAccepting<R4, R5>,
): Chain<A, R5>;
export function chain<A extends AnyArgs, R1, R2, R3, R4, R5, R6>(
  s1: CanvasLike<A, R1>,
  s2: StepAccepting<R1, R2>,
  s3: StepAccepting<R2, R3>,
  s4: StepAccepting<R3, R4>,
  s5: StepAccepting<R4, R5>,
  s6: StepAccepting<R5, R6>,
): Chain<A, R6>;
export function chain<A extends AnyArgs, R>(s1: CanvasLike<A, R>): Chain<A, R>;
/** Untyped: signature dicts (or longer chains, built from dicts with `toJSON()`). */
export function chain(...steps: SignatureDict[]): Chain<AnyArgs, unknown>;
export function chain(...steps: SignatureLike[]): Chain<AnyArgs, unknown> {
  // Like Python's chain(a, b, c) == a | b | c: a group followed by a step becomes a chord, a
  // step after a chord joins its body (see canvas-pipe.ts).
  const dict = steps.map(toDict).reduce(pipe, emptyChain());
  const runner = runnerOf(steps);
  if (dict.subtask_type === 'chord') return new Chord(dict, runner);
  // chain(group) alone is that group, as in Python.
  if (dict.subtask_type === 'group') return new Group(dict, runner) as unknown as Chain;
  return new Chain(dict, runner);
}

/**
 * Members run in parallel, each getting the same leading arguments; the handle is a
 * GroupResult whose `get()` resolves the members' values in order.
 * @publicApi
 */
export function group<const S extends readonly AnyCanvas[]>(
  ...tasks: S
): Group<AnyArgs, ResultsOf<S>>;
export function group(...tasks: SignatureLike[]): Group<AnyArgs, unknown[]>;
export function group(...tasks: SignatureLike[]): Group<AnyArgs, unknown[]> {
  return new Group(
    composite('celery.group', { tasks: tasks.map(toDict) }, 'group'),
    runnerOf(tasks),
  );
}

/**
 * The header runs as a group; once every member succeeded, the body runs with the list of
 * their values (in header order) as its first argument. The handle is the body's AsyncResult,
 * whose `parent` is the header's GroupResult.
 * @publicApi
 */
export function chord<G extends readonly unknown[], R>(
  header: Group<AnyArgs, G>,
  body: StepAccepting<G, R>,
): Chord<AnyArgs, R>;
export function chord<const S extends readonly AnyCanvas[], R>(
  header: S | Group<AnyArgs, ResultsOf<S>>,
  body: StepAccepting<ResultsOf<S>, R>,
): Chord<AnyArgs, R>;
export function chord(
  header: readonly SignatureDict[],
  body: SignatureDict,
): Chord<AnyArgs, unknown>;
export function chord(
  header: readonly SignatureLike[] | Group,
  body: SignatureLike,
): Chord<AnyArgs, unknown> {
  const members: readonly SignatureLike[] = Array.isArray(header) ? header : [];
  const headerDict = header instanceof Group ? header.toJSON() : members.map(toDict);
  return new Chord(
    composite('celery.chord', { kwargs: {}, header: headerDict, body: toDict(body) }, 'chord'),
    runnerOf([header, ...members, body]),
  );
}

/** `task.map(it)`: one `celery.map` task calling `task(item)` for each item, in order. @publicApi */
export function xmap<T extends AnyCanvas>(
  task: T,
  items: readonly unknown[],
): Signature<[], Array<ResultOf<T>>> {
  return builtin('celery.map', task, { it: [...items] });
}

/** `task.starmap(it)`: one `celery.starmap` task calling `task(...args)` per args list. @publicApi */
export function xstarmap<T extends AnyCanvas>(
  task: T,
  items: readonly (readonly unknown[])[],
): Signature<[], Array<ResultOf<T>>> {
  return builtin('celery.starmap', task, { it: items.map((args) => [...args]) });
}

/**
 * `task.chunks(it, n)`: the argument lists split into chunks of `n`, each chunk one
 * `celery.starmap` task of a group (what Celery sends for `chunks(...).apply_async()`); the
 * GroupResult resolves one list of values per chunk.
 * @publicApi
 */
export function chunks<T extends AnyCanvas>(
  task: T,
  items: readonly (readonly unknown[])[],
  size: number,
): Group<[], Array<Array<ResultOf<T>>>> {
  const starmaps: SignatureDict[] = [];
  for (let i = 0; i < items.length; i += size) {
    starmaps.push(xstarmap(task, items.slice(i, i + size)).toJSON());
  }
  return new Group(composite('celery.group', { tasks: starmaps }, 'group'), runnerOf([task]));
}

function builtin<R>(
  name: string,
  task: AnyCanvas,
  kwargs: Record<string, unknown>,
): Signature<[], R> {
  return new Signature<[], R>(
    {
      task: name,
      args: [],
      kwargs: { task: toDict(task), ...kwargs },
      options: {},
      subtask_type: null,
      immutable: true,
    },
    runnerOf([task]),
  );
}
