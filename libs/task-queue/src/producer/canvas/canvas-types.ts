import type { SignatureDict } from '../../contracts/task-message.interface.js';
import type { EntityManager } from '../../contracts/typeorm-peer.types.js';
import type { ResultHandle } from '../../results/group-result.js';
import type { ApplyCall } from './signature.js';

/** Arguments of a handler, as a tuple. */
export type AnyArgs = readonly unknown[];

type Tail<A extends AnyArgs> = A extends readonly [unknown?, ...infer T] ? T : [];
type DropLast<A extends AnyArgs> = A extends readonly [...infer I, unknown] ? I : [];

/**
 * The trailing arguments one can bind in `producer.s(...)`: `[]`, `[y]`, `[x, y]` ... (Celery
 * prepends the previous step's result, so what `.s()` binds are the last parameters).
 * @publicApi
 */
export type SuffixOf<A extends AnyArgs> = number extends A['length']
  ? AnyArgs
  : A extends readonly []
    ? []
    : [...A] | SuffixOf<Tail<A>>;

/** The leading arguments still free once the suffix `P` is bound. @publicApi */
export type DropSuffix<A extends AnyArgs, P extends AnyArgs> = number extends A['length']
  ? A
  : P extends readonly []
    ? A
    : P extends readonly [unknown, ...infer PT]
      ? DropSuffix<DropLast<A>, PT>
      : A;

/**
 * Any canvas: what it takes when applied (`A`, the free arguments) and what it produces
 * (`R`). Only types: `__call` never exists at run time.
 * @publicApi
 */
export interface CanvasLike<A extends AnyArgs = AnyArgs, R = unknown> {
  readonly __call?: (...args: A) => R;
  toJSON(): SignatureDict;
}

/** Any canvas, whatever it takes. @publicApi */
export interface AnyCanvas {
  readonly __call?: (...args: never) => unknown;
  toJSON(): SignatureDict;
}

/** A canvas that accepts `In` as its first argument (the previous step's result). @publicApi */
export interface StepAccepting<In, R = unknown> {
  readonly __call?: (first: In) => R;
  toJSON(): SignatureDict;
}

/** The value a canvas produces. @publicApi */
export type ResultOf<C> = C extends { readonly __call?: (...args: never) => infer R } ? R : unknown;

/** The values of a list of canvases, as a tuple. @publicApi */
export type ResultsOf<C extends readonly unknown[]> = { -readonly [K in keyof C]: ResultOf<C[K]> };

/** Which transaction an on-commit apply waits for (default: the current one). */
export interface CanvasCommitTarget {
  manager?: EntityManager;
}

/** What applies canvases for the signature objects (the CanvasApplier of the module). */
export interface CanvasRunner {
  apply(dict: SignatureDict, call: ApplyCall): Promise<ResultHandle>;
  applyOnCommit(
    dict: SignatureDict,
    call: ApplyCall,
    target: CanvasCommitTarget,
  ): Promise<ResultHandle>;
}
