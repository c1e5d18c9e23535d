import type { TaskProducer } from './task-producer.js';

/** Method names of `T` that are functions (candidates for `@Task()`). @publicApi */
export type TaskMethodName<T> = {
  [K in keyof T]-?: T[K] extends (...args: never[]) => unknown ? K : never;
}[keyof T] &
  string;

/** Parameters of the handler `T[K]`. @publicApi */
export type TaskArgs<T, K extends keyof T> = T[K] extends (...args: infer A) => unknown ? A : never;

/** Resolved return type of the handler `T[K]`. @publicApi */
export type TaskReturn<T, K extends keyof T> = T[K] extends (...args: never[]) => infer R
  ? Awaited<R>
  : never;

/** The producer type of `T[K]`, for fields: `private readonly process: ProducerOf<OrderTasks, 'process'>`. @publicApi */
export type ProducerOf<T, K extends TaskMethodName<T>> = TaskProducer<
  TaskArgs<T, K>,
  TaskReturn<T, K>
>;
