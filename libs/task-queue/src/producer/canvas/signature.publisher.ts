import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import type { ResolvedTaskQueueOptions } from '../../config/resolved-options.js';
import { TaskRegistry } from '../../tasks/task.registry.js';
import { TaskRouter } from '../task.router.js';
import type { Broker, PublishOptions } from '../../contracts/broker.interface.js';
import type { ResultBackend } from '../../contracts/result-backend.interface.js';
import type { SignatureDict } from '../../contracts/task-message.interface.js';
import { createTaskMessage } from '../../protocol/task-message.factory.js';
import type { PreparedTask } from '../on-commit-dispatch.strategy.js';
import { expandSignature, type CanvasStep } from './canvas.expander.js';
import { ConfigurationError } from '../../errors/configuration.error.js';
import { resultTuple, type ResultTuple } from '../../results/chord-parts.js';
import type { ChordJoinCapable } from '../../contracts/chord-join.interface.js';
import { signatureMessage } from './signature-message.js';
import type { ApplyCall, ParentTask } from './signature.js';
import { NO_INSTRUMENTATION, type TaskInstrumentation } from '../../tasks/task-instrumentation.js';
import { PUBLISH_INSTRUMENTATION } from '../../tasks/sent-reporting.instrumentation.js';
import {
  getBrokerToken,
  getResultBackendToken,
  getTaskQueueConfigToken,
} from '../../utils/tokens.js';
import { resolveChordJoin } from './chord-join.resolver.js';

/** Takes the messages of a canvas instead of the broker (on-commit dispatch). */
export type MessageSink = (prepared: PreparedTask) => Promise<void>;

/**
 * Applies a signature dict from inside a worker (Celery's `signature(d).apply_async(...)`):
 * expands canvases, builds each message with createTaskMessage, routes it (the signature's
 * `queue` / `priority`, else the task's options, routes and the default queue, via
 * TaskRouter) and publishes it on the broker. One per module: the producer's canvases
 * (CanvasApplier) and the worker's callbacks and chains (WorkflowService) share it.
 */
@Injectable()
export class SignaturePublisher {
  private readonly logger = new Logger('TaskQueue');
  /** The chord join of the configured backend (null: chords cannot complete). */
  readonly chordJoin: ChordJoinCapable | null;
  private readonly instrumentation: TaskInstrumentation;

  constructor(
    @Inject(getBrokerToken()) private readonly broker: Broker,
    @Inject(getResultBackendToken()) private readonly backend: ResultBackend | null,
    @Inject(getTaskQueueConfigToken()) private readonly config: ResolvedTaskQueueOptions,
    private readonly router: TaskRouter,
    private readonly registry: TaskRegistry,
    @Optional() @Inject(PUBLISH_INSTRUMENTATION) instrumentation?: TaskInstrumentation,
  ) {
    this.chordJoin = resolveChordJoin(backend, config.resultExpires);
    this.instrumentation = instrumentation ?? NO_INSTRUMENTATION;
  }

  /**
   * Apply `sig` with `call` on behalf of `parent` (whose id and root become the defaults for
   * `parent_id` / `root_id`). Resolves the ids of the published messages, in order.
   */
  async apply(
    sig: SignatureDict,
    call: ApplyCall,
    parent: ParentTask | null,
    sink?: MessageSink,
  ): Promise<string[]> {
    return (await this.run(sig, call, parent, sink)).ids;
  }

  /**
   * `apply`, resolving Celery's result tuple of what was applied (what a worker records in
   * `children`): a task, or a group (a chord's header group).
   */
  async applyForResult(
    sig: SignatureDict,
    call: ApplyCall,
    parent: ParentTask | null,
  ): Promise<ResultTuple | null> {
    const { ids, chord, groupId } = await this.run(sig, call, parent);
    // A chord records its header group, as Celery's group.apply_async adds it to the trail.
    if (chord) return [[chord.groupId, null], chord.resultIds.map((id) => resultTuple(id))];
    if (groupId) return [[groupId, null], ids.map((id) => resultTuple(id))];
    return ids.length > 0 ? resultTuple(ids[ids.length - 1]!) : null;
  }

  private async run(
    sig: SignatureDict,
    call: ApplyCall,
    parent: ParentTask | null,
    sink?: MessageSink,
  ) {
    const ids: string[] = [];
    let chord: Extract<CanvasStep, { kind: 'chord-size' }> | undefined;
    let groupId: string | undefined;
    for (const step of expandSignature(sig, call)) {
      if (step.kind === 'chord-size') {
        chord = step;
        if (this.chordJoin) await this.chordJoin.setChordSize(step.groupId, step.size);
        else await this.sendChordUnlock(step, parent, sink);
      } else {
        if (sig.subtask_type === 'group') groupId ??= step.signature.options.group_id as string;
        ids.push(await this.send(step.signature, parent, sink));
      }
    }
    return { ids, chord, groupId };
  }

  /**
   * Backends without a chord join (database): Celery's `fallback_chord_unlock`, a
   * `celery.chord_unlock` task polling the header every second, routed like the body.
   */
  private async sendChordUnlock(
    step: Extract<CanvasStep, { kind: 'chord-size' }>,
    parent: ParentTask | null,
    sink?: MessageSink,
  ): Promise<void> {
    const backend = this.backend;
    if (!backend || backend.kind === 'rpc') {
      throw new ConfigurationError(
        `Cannot start chord ${step.groupId}: the ${backend?.kind ?? 'disabled'} result ` +
          `backend cannot complete chords (as in Celery); use redis, memory or typeorm.`,
      );
    }
    const body = step.body;
    const bodyTask = this.registry.get(body.task)?.options;
    const { queue } = this.router.route(
      body.task,
      { ...this.config.taskDefaults, ...bodyTask },
      { queue: typeof body.options.queue === 'string' ? body.options.queue : undefined },
    );
    const priority = body.options.priority ?? bodyTask?.priority ?? 0;
    await this.send(
      {
        task: 'celery.chord_unlock',
        args: [step.groupId, body],
        kwargs: {
          interval: null,
          max_retries: null,
          result: step.resultIds.map((id) => resultTuple(id)),
        },
        options: { countdown: 1, queue, priority },
        subtask_type: null,
        immutable: false,
      },
      parent,
      sink,
    );
  }

  private async send(
    sig: SignatureDict,
    parent: ParentTask | null,
    sink?: MessageSink,
  ): Promise<string> {
    const { spec, queue, priority, exchange, routingKey } = signatureMessage(sig, parent);
    const taskOptions = {
      ...this.config.taskDefaults,
      ...this.registry.get(sig.task)?.options,
    };
    const destination = this.router.route(routeName(sig), taskOptions, {
      queue,
      priority,
      exchange,
      routingKey,
    });
    const message = createTaskMessage({
      ...spec,
      priority: destination.priority,
      replyTo: spec.replyTo ?? this.backend?.replyTo,
    });
    const options: PublishOptions = { queue: destination.queue, priority: destination.priority };
    if (destination.exchange !== undefined) {
      options.exchange = destination.exchange;
      options.routingKey = destination.routingKey;
    }
    if (sink) {
      await sink({ message, publish: options });
      return message.headers.id;
    }
    await this.instrumentation.wrapPublish({ message, options, via: 'canvas' }, () =>
      this.broker.publish(message, options),
    );
    this.logger.debug(
      `Sent ${sig.task}[${message.headers.id}] to ${destination.queue} (parent ${message.headers.parent_id}).`,
      { taskId: message.headers.id, taskName: sig.task, queue: destination.queue },
    );
    return message.headers.id;
  }
}

/**
 * The name routes are matched against: the task's, or `route_name` (Celery's `map` / `starmap`
 * applied alone go where the task they call goes).
 */
function routeName(sig: SignatureDict): string {
  return typeof sig.options.route_name === 'string' ? sig.options.route_name : sig.task;
}
