import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TaskMetadataAccessor } from './task-metadata.accessor.js';
import { Task } from './task.decorator.js';
import { OnTaskEvent } from './on-task-event.decorator.js';
import { Periodic } from '../beat/periodic.decorator.js';

/** Decorate `member` of a fresh class with `@Task('probe.task')` and return the thrown error. */
function decorationError(define: () => unknown): Error | undefined {
  try {
    define();
    return undefined;
  } catch (error) {
    return error as Error;
  }
}

describe('@Task()', () => {
  it('attaches the task metadata to an instance method', () => {
    class Tasks {
      @Task('probe.run', { maxRetries: 2 })
      run(): number {
        return 1;
      }
    }
    expect(TaskMetadataAccessor.read(Tasks.prototype.run)).toEqual({
      name: 'probe.run',
      options: { maxRetries: 2 },
    });
  });

  it('on a getter fails at once with a ConfigurationError that names the member and the fix', () => {
    const error = decorationError(() => {
      class Tasks {
        @Task('probe.getter')
        get value(): number {
          return 1;
        }
      }
      return Tasks;
    });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toContain('Tasks.value');
    expect(error?.message).toContain('@Task() goes on an instance method');
  });

  it('on a static method fails at once, instead of a task no worker ever registers', () => {
    const error = decorationError(() => {
      class Tasks {
        @Task('probe.static')
        static cleanup(): void {}
      }
      return Tasks;
    });
    expect(error).toBeInstanceOf(ConfigurationError);
    expect(error?.message).toContain('Tasks.cleanup');
    expect(error?.message).toContain('static');
    expect(error?.message).toContain('@Task() goes on an instance method');
  });

  it('@OnTaskEvent() and @Periodic() on a static method or a getter fail the same way', () => {
    const errors = [
      decorationError(() => {
        class Listeners {
          @OnTaskEvent('task-succeeded')
          static onSuccess(): void {}
        }
        return Listeners;
      }),
      decorationError(() => {
        class Schedules {
          @Periodic('*/5 * * * *')
          get every(): number {
            return 5;
          }
        }
        return Schedules;
      }),
    ];
    expect(errors[0]).toBeInstanceOf(ConfigurationError);
    expect(errors[0]?.message).toContain(
      '@OnTaskEvent() is on Listeners.onSuccess, which is a static method',
    );
    expect(errors[1]).toBeInstanceOf(ConfigurationError);
    expect(errors[1]?.message).toContain(
      '@Periodic() is on Schedules.every, which is not a method',
    );
  });
});
