import { type DynamicModule, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TaskClient } from './producer/task.client.js';
import { TaskDispatcher } from './producer/task.dispatcher.js';
import { CanvasApplier } from './producer/canvas/canvas.applier.js';
import { SignaturePublisher } from './producer/canvas/signature.publisher.js';
import { TaskExplorer } from './tasks/task.explorer.js';
import { TaskMetadataAccessor } from './tasks/task-metadata.accessor.js';
import { TaskRegistry } from './tasks/task.registry.js';
import { TaskRouter } from './producer/task.router.js';
import {
  ConfigurableTaskQueueModule,
  type TASK_QUEUE_OPTIONS_TYPE,
} from './task-queue.module-definition.js';
import { CORE_TOKENS, createCoreProviders } from './task-queue.providers.js';
import { DeadLetters } from './worker/dead-letters.js';
import { ResultRecorder } from './worker/result-recorder.js';
import { RevokedTasks } from './revocation/revoked-tasks.js';
import { REVOKE_BROADCAST, TaskRevoker } from './revocation/task-revoker.js';
import { TaskContext } from './tasks/task-context.js';
import { TaskEvents } from './tasks/task-events.js';
import { TaskExecutor } from './worker/task-executor.js';
import { TaskOutcomes } from './worker/task-outcomes.js';
import { TaskPools } from './worker/pool/task-pools.js';
import { TransportConnections } from './task-queue.connections.js';
import { WorkerService } from './worker/worker.service.js';
import { TypeOrmIntegration } from './transaction/typeorm.integration.js';
import { outboxWriterProvider } from './transaction/outbox/outbox-writer.provider.js';
import { ON_COMMIT_DISPATCH } from './producer/on-commit-dispatch.strategy.js';
import { WorkflowService } from './canvas/workflow.service.js';
import { CeleryBuiltinTasks } from './canvas/celery-builtins.tasks.js';
import { ControlClient } from './monitoring/remote-control/control.client.js';
import { WorkerMingle } from './monitoring/remote-control/worker-mingle.js';
import { WORKER_START_SYNC } from './worker/worker-start-sync.js';
import { ControlServer } from './monitoring/remote-control/control.server.js';
import { BroadcastTransportHost } from './transports/broadcast-transport.host.js';
import { CeleryEventsPublisher } from './monitoring/celery-events/celery-events.publisher.js';
import { LamportClock } from './monitoring/celery-events/lamport-clock.js';
import { TaskQueueHealth } from './observability/health/task-queue-health.service.js';
import { WorkerHttpServer } from './observability/http/worker-http.server.js';
import { CeleryEventsReceiver } from './monitoring/celery-events/celery-events.receiver.js';
import { PeriodicWithoutBeatCheck } from './beat/periodic-without-beat.check.js';

const exported = [
  TaskClient,
  TaskContext,
  TaskEvents,
  WorkerService,
  TaskRegistry,
  DeadLetters,
  RevokedTasks,
  ControlClient,
  TaskQueueHealth,
  WorkerHttpServer,
  CeleryEventsReceiver,
];

/**
 * Celeriac's root module, global: `TaskQueueModule.forRoot({ broker, resultBackend, worker })`
 * or `forRootAsync({ imports, inject, useFactory })`. `@Task()` methods of every provider in
 * the application are discovered; `TaskClient` sends them.
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    ...createCoreProviders(),
    TaskMetadataAccessor,
    TaskExplorer,
    TaskRouter,
    TaskDispatcher,
    SignaturePublisher,
    CanvasApplier,
    ResultRecorder,
    TaskExecutor,
    TaskOutcomes,
    TaskPools,
    WorkerMingle,
    { provide: WORKER_START_SYNC, useExisting: WorkerMingle },
    TransportConnections,
    outboxWriterProvider,
    TypeOrmIntegration,
    { provide: ON_COMMIT_DISPATCH, useExisting: TypeOrmIntegration },
    WorkflowService,
    CeleryBuiltinTasks,
    BroadcastTransportHost,
    LamportClock,
    CeleryEventsPublisher,
    ControlServer,
    TaskRevoker,
    { provide: REVOKE_BROADCAST, useExisting: ControlClient },
    PeriodicWithoutBeatCheck,
    ...exported,
  ],
  exports: [...exported, ...CORE_TOKENS],
})
export class TaskQueueModule extends ConfigurableTaskQueueModule {
  /**
   * The module with these options; `forRoot()` without any is `forRoot({})`: the in-memory
   * broker and result backend, and a worker inside the app.
   */
  static override forRoot(options: typeof TASK_QUEUE_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
