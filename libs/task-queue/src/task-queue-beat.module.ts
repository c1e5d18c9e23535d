import { type DynamicModule, Logger, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import type { ResolvedTaskQueueOptions } from './config/resolved-options.js';
import { BEAT_CONFIG, SCHEDULE_STORE } from './beat/beat.constants.js';
import { BeatEvents } from './beat/beat-events.js';
import {
  resolveBeatOptions,
  type BeatOptions,
  type ResolvedBeatOptions,
} from './beat/beat-options.js';
import { BeatPublisher } from './beat/beat-publisher.js';
import { BeatService } from './beat/beat.service.js';
import { OverlapGuard } from './beat/overlap-guard.js';
import { PeriodicExplorer } from './beat/periodic.explorer.js';
import { Schedules } from './beat/schedules.service.js';
import {
  BEAT_MODULE_OPTIONS,
  type BEAT_OPTIONS_TYPE,
  ConfigurableBeatModule,
} from './task-queue-beat.module-definition.js';
import { createScheduleStore } from './transports/schedule-store.factory.js';
import { MemoryScheduleStore } from './transports/memory/memory.schedule-store.js';
import { getTaskQueueConfigToken } from './utils/tokens.js';

const exported = [Schedules, BeatService, BeatEvents];

/**
 * Periodic tasks: `@Periodic()` schedules, the `Schedules` service and a cluster-safe beat
 * (one leader among all instances, fenced lease). Import next to `TaskQueueModule.forRoot()`:
 * `TaskQueueBeatModule.forRoot({ store: 'redis://...' })`. See docs/beat.md.
 * @publicApi
 */
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: BEAT_CONFIG,
      inject: [BEAT_MODULE_OPTIONS],
      useFactory: (options: BeatOptions) => resolveBeatOptions(options),
    },
    {
      provide: SCHEDULE_STORE,
      inject: [BEAT_CONFIG, getTaskQueueConfigToken()],
      useFactory: async (beat: ResolvedBeatOptions, queue: ResolvedTaskQueueOptions) => {
        const store = await createScheduleStore(
          beat.store,
          queue.broker,
          queue.resultBackend,
          beat.keyPrefix,
        );
        // An explicit `memory://` store is a choice (one process, a test); the warning is for
        // the fallback, when no store was given at all.
        const fellBack = beat.store === undefined && store instanceof MemoryScheduleStore;
        if (fellBack && !String(queue.broker).startsWith('memory:')) {
          new Logger('Beat').warn(
            'Beat keeps schedules in process memory (neither broker nor result backend is Redis ' +
              'and no store was given): every process runs its own beat. Give every process ' +
              "the same store: TaskQueueBeatModule.forRoot({ store: 'redis://host:6379/0' }), or " +
              '{ store: new TypeOrmScheduleStore(dataSource) } (see Stores in docs/beat.md).',
          );
        }
        await store.connect();
        return store;
      },
    },
    PeriodicExplorer,
    BeatPublisher,
    OverlapGuard,
    ...exported,
  ],
  exports: [...exported, SCHEDULE_STORE],
})
export class TaskQueueBeatModule extends ConfigurableBeatModule {
  /** The beat with these options; `forRoot()` without any is `forRoot({})`. */
  static override forRoot(options: typeof BEAT_OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
