import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TaskClient } from './core/task.client.js';
import { TaskDispatcher } from './core/task.dispatcher.js';
import { TaskExplorer } from './core/task.explorer.js';
import { TaskMetadataAccessor } from './core/task-metadata.accessor.js';
import { TaskRegistry } from './core/task.registry.js';
import { TaskRouter } from './core/task.router.js';
import { ConfigurableTaskQueueModule } from './task-queue.module-definition.js';
import { CORE_TOKENS, createCoreProviders } from './task-queue.providers.js';
import { DeadLetters } from './worker/dead-letter.service.js';
import { ResultRecorder } from './worker/result-recorder.js';
import { RevokedTasks } from './worker/revoked-tasks.js';
import { TaskContext } from './worker/task-context.js';
import { TaskEvents } from './worker/task-events.js';
import { TaskExecutor } from './worker/task-executor.js';
import { WorkerConnections } from './worker/worker-connections.js';
import { WorkerService } from './worker/worker.service.js';
import { TypeOrmIntegration } from './transaction/typeorm-integration.service.js';
import { ON_COMMIT_DISPATCH } from './core/on-commit-dispatch.strategy.js';
import { WorkflowService } from './workflow/workflow.service.js';
import { ControlClient } from './control/control.client.js';
import { ControlServer } from './control/control.server.js';
import { BroadcastTransportHost } from './control/transport/broadcast-transport.host.js';
import { CeleryEventsPublisher } from './events/celery-events.publisher.js';
import { LamportClock } from './events/lamport-clock.js';

const exported = [
  TaskClient,
  TaskContext,
  TaskEvents,
  WorkerService,
  TaskRegistry,
  DeadLetters,
  RevokedTasks,
  ControlClient,
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
    ResultRecorder,
    TaskExecutor,
    WorkerConnections,
    TypeOrmIntegration,
    { provide: ON_COMMIT_DISPATCH, useExisting: TypeOrmIntegration },
    WorkflowService,
    BroadcastTransportHost,
    LamportClock,
    CeleryEventsPublisher,
    ControlServer,
    ...exported,
  ],
  exports: [...exported, ...CORE_TOKENS],
})
export class TaskQueueModule extends ConfigurableTaskQueueModule {}
