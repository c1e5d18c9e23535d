import { Logger } from '@nestjs/common';
import { describe, expect, it, vi } from 'vitest';
import { TaskEvents, type TaskEvent, type TaskEventType } from './task-events.js';

const event = (type: TaskEventType): TaskEvent => ({
  type,
  taskId: 'id-1',
  name: 'app.add',
  hostname: 'w1',
  timestamp: 1,
});

describe('TaskEvents', () => {
  it('builds events only for types someone listens to', () => {
    const events = new TaskEvents();
    expect(events.listens('task-started')).toBe(false);
    const sub = events.on('task-started').subscribe(() => undefined);
    expect(events.listens('task-started')).toBe(true);
    expect(events.listens('task-received')).toBe(false);
    sub.unsubscribe();
    expect(events.listens('task-started')).toBe(false);
    const untap = events.tap(['task-received'], () => undefined);
    expect(events.listens('task-received')).toBe(true);
    expect(events.listens('task-started')).toBe(false);
    untap();
    expect(events.listens('task-received')).toBe(false);
  });

  it('calls taps with their types only, next to RxJS subscribers', () => {
    const events = new TaskEvents();
    const tapped: string[] = [];
    const observed: string[] = [];
    events.tap(['task-started', 'task-failed'], (e) => tapped.push(e.type));
    events.events$.subscribe((e) => observed.push(e.type));
    for (const type of ['task-received', 'task-started', 'task-failed'] as const) {
      events.emit(event(type));
    }
    expect(tapped).toEqual(['task-started', 'task-failed']);
    expect(observed).toEqual(['task-received', 'task-started', 'task-failed']);
  });

  it('logs a throwing tap with the task, and still delivers the event to everyone else', () => {
    const error = vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
    try {
      const events = new TaskEvents();
      const seen: string[] = [];
      events.tap(['task-started'], () => {
        throw new Error('counter broke');
      });
      events.tap(['task-started'], (e) => seen.push(`tap:${e.taskId}`));
      events.events$.subscribe((e) => seen.push(`rx:${e.taskId}`));
      events.emit(event('task-started'));
      expect(seen).toEqual(['tap:id-1', 'rx:id-1']);
      expect(error).toHaveBeenCalledTimes(1);
      expect(String(error.mock.calls[0]![0])).toMatch(
        /task-started of app\.add\[id-1\].*counter broke/,
      );
    } finally {
      error.mockRestore();
    }
  });
});
