import { Injectable, Module } from '@nestjs/common';
import { Task, TaskContext } from 'celeriac';
import { z } from 'zod';

/** `[[[...]]]` nested `depth` levels (built iteratively: no recursion to build it). */
export function deepList(depth: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** The JSON text of {@link deepList} (what a producer in another language could send). */
export function deepListJson(depth: number): string {
  return `${'['.repeat(depth + 1)}${']'.repeat(depth + 1)}`;
}

/** An error whose every description throws: `name`, `message`, `stack` and `toString`. */
function hostileError(): Error {
  const error = new Error('hidden');
  for (const key of ['stack', 'name', 'message']) {
    Object.defineProperty(error, key, {
      get() {
        throw new Error(`no ${key} for you`);
      },
    });
  }
  return error;
}

/** What `rob.throw` throws, by kind. */
const THROWN: Record<string, () => unknown> = {
  string: () => 'plain string',
  number: () => 42,
  object: () => ({ code: 'E42', detail: { field: 'x' } }),
  null: () => null,
  undefined: () => undefined,
  nullProto: () => Object.assign(Object.create(null) as object, { reason: 'no prototype' }),
  hostileToString: () => ({
    toString() {
      throw new Error('toString says no');
    },
  }),
  hostileError,
  huge: () => new Error(`upstream said: ${'x'.repeat(1_000_000)}`),
  revokedProxy: () => {
    const { proxy, revoke } = Proxy.revocable({}, {});
    revoke();
    return proxy;
  },
};

/** Tasks that return, receive or throw what JSON, reprs and error codecs find hard. */
@Injectable()
export class RobustnessTasks {
  constructor(private readonly ctx: TaskContext) {}

  @Task('rob.deep')
  deep(depth: number): unknown {
    return deepList(depth);
  }

  @Task('rob.circular')
  circular(): unknown {
    const node: Record<string, unknown> = { name: 'loop', items: [1, 2] };
    (node.items as unknown[]).push({ parent: node });
    return node;
  }

  @Task('rob.nan')
  nan(): number {
    return Number.NaN;
  }

  /** A Map in the result: JSON.stringify would store `{}`. */
  @Task('rob.map')
  map(): unknown {
    return { total: 3, byCountry: new Map([['fr', 2]]) };
  }

  /** A result whose getter throws (an ORM entity whose lazy relation is not loaded). */
  @Task('rob.getter')
  getter(): unknown {
    return {
      id: 1,
      get customer(): never {
        throw new Error('relation customer not loaded');
      },
    };
  }

  /** Returns the error it caught instead of throwing it (JSON.stringify writes `{}`). */
  @Task('rob.returnsError')
  returnsError(): unknown {
    try {
      JSON.parse('{');
      return 'parsed';
    } catch (error) {
      return error;
    }
  }

  /** Receives anything; answers how deep its first argument is nested. */
  @Task('rob.depth')
  depth(value: unknown): number {
    let levels = 0;
    let current = value;
    while (Array.isArray(current)) {
      levels++;
      current = current[0];
    }
    return levels;
  }

  @Task('rob.throw')
  throwKind(kind: string): never {
    throw THROWN[kind]!();
  }

  /** Exact arithmetic on integers beyond 2^53 (BigInt when the value does not fit a double). */
  @Task('rob.plusOne', { params: ['n'] })
  plusOne(n: number | bigint): number | bigint {
    return typeof n === 'bigint' ? n + 1n : n + 1;
  }

  @Task('rob.add', { params: ['x', 'y'] })
  add(x: number, y: number): number {
    return x + y;
  }

  /** No `params`: the arity comes from the declared parameters. */
  @Task('rob.mul')
  mul(x: number, y: number): number {
    return x * y;
  }

  @Task('rob.greet')
  greet(name: string, greeting = 'hello'): string {
    return `${greeting} ${name}`;
  }

  @Task('rob.sum')
  sum(...nums: number[]): number {
    return nums.reduce((a, b) => a + b, 0);
  }

  @Task('rob.typedAdd', {
    params: ['x', 'y'],
    schema: z.tuple([z.number(), z.number()]),
    autoretryFor: [Error],
  })
  typedAdd(x: number, y: number): number {
    return x + y;
  }

  /** Coerces (the schema's output is what the handler gets). */
  @Task('rob.coerced', { schema: z.tuple([z.coerce.number()]) })
  coerced(n: number): string {
    return typeof n;
  }

  /** Ignores its AbortSignal: finishes after `ms` whatever happens. */
  @Task('rob.stubborn', { params: ['ms'] })
  async stubborn(ms: number): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, ms));
    return 'finished anyway';
  }

  /** Lets the soft time limit's error propagate (a Python task that does not catch it). */
  @Task('rob.soft', { params: ['seconds'] })
  async soft(seconds: number): Promise<number> {
    const signal = this.ctx.signal;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, seconds * 1000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      });
    });
    return seconds;
  }

  /** Ignores the time limits: only the hard limit ends it. */
  @Task('rob.hang', { params: ['seconds'] })
  async hang(seconds: number): Promise<number> {
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    return seconds;
  }

  @Task('rob.name')
  name(): string {
    return this.ctx.name;
  }
}

@Module({ providers: [RobustnessTasks] })
export class RobustnessModule {}
