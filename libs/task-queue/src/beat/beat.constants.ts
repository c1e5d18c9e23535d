/** Metadata key `@Periodic()` writes on a method (a list: the decorator stacks). */
export const PERIODIC_METADATA = 'celeriac:periodic';

/** Header naming the schedule of a beat message (django-celery-beat's convention). */
export const PERIODIC_TASK_NAME_HEADER = 'periodic_task_name';

/** DI token of the schedule store. */
export const SCHEDULE_STORE = 'Celeriac_schedule_store';

/** DI token of the resolved beat options. */
export const BEAT_CONFIG = 'Celeriac_beat_config';
