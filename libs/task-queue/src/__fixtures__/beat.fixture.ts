import { Injectable, Module } from '@nestjs/common';
import { Periodic } from '../beat/periodic.decorator.js';
import { Task } from '../tasks/task.decorator.js';
import { TaskContext } from '../tasks/task-context.js';

/** What the beat fixture's tasks saw, shared by every app of a test process. */
export const beatRuns: { task: string; id: string; header: unknown; at: number }[] = [];

@Injectable()
export class BeatFixtureTasks {
  constructor(private readonly context: TaskContext) {}

  @Periodic({ every: 0.2 }, { name: 'fixture.tick' })
  @Task('fixture.tick')
  tick(): void {
    this.record('fixture.tick');
  }

  @Task('fixture.adhoc')
  adhoc(): void {
    this.record('fixture.adhoc');
  }

  @Task('fixture.quiet', { ignoreResult: true })
  quiet(): void {
    this.record('fixture.quiet');
  }

  @Task('fixture.slow')
  async slow(): Promise<void> {
    this.record('fixture.slow');
    await new Promise((resolve) => setTimeout(resolve, 500));
  }

  @Task('fixture.failing')
  failing(): void {
    this.record('fixture.failing');
    throw new Error('fixture failure');
  }

  private record(task: string): void {
    beatRuns.push({
      task,
      id: this.context.id,
      header: this.context.headers.periodic_task_name,
      at: Date.now(),
    });
  }
}

@Module({ providers: [BeatFixtureTasks] })
export class BeatFixtureModule {}

/** Resolves once `check()` holds; rejects after `ms`. */
export async function until(check: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
