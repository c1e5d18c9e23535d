import { ConfigurableModuleBuilder, Module } from '@nestjs/common';
import { DJANGO_BEAT_CONFIG, DjangoBeatMirror } from './django-beat.mirror.js';
import { type DjangoBeatOptions, resolveDjangoBeatOptions } from './django-beat.options.js';

const { ConfigurableModuleClass, MODULE_OPTIONS_TOKEN } =
  new ConfigurableModuleBuilder<DjangoBeatOptions>({ moduleName: 'TaskQueueDjangoBeat' })
    .setClassMethodName('forRoot')
    .setFactoryMethodName('createDjangoBeatOptions')
    .build();

/**
 * Schedules from django-celery-beat's tables: Django admin edits them, the Celeriac beat
 * fires them (see "django-celery-beat" in docs/beat.md). Import next to
 * `TaskQueueBeatModule.forRoot()`, in any number of instances:
 * `TaskQueueDjangoBeatModule.forRootAsync({ inject: [DataSource], useFactory: (dataSource) => ({ dataSource }) })`.
 * @publicApi
 */
@Module({
  providers: [
    {
      provide: DJANGO_BEAT_CONFIG,
      inject: [MODULE_OPTIONS_TOKEN],
      useFactory: (options: DjangoBeatOptions) => resolveDjangoBeatOptions(options),
    },
    DjangoBeatMirror,
  ],
})
export class TaskQueueDjangoBeatModule extends ConfigurableModuleClass {}
