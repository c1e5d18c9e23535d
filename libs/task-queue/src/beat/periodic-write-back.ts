import type { Logger } from '@nestjs/common';
import type { Observable, Subscription } from 'rxjs';
import type { ScheduleStore } from '../contracts/schedule-store.interface.js';
import { describeThrownLine } from '../protocol/thrown-value.js';
import { freshState } from './fire-planner.js';
import type { PeriodicExplorer } from './periodic.explorer.js';
import { editSchedule } from './schedule-edit.js';
import { scheduleDefinitionJson } from '../protocol/schedule-json.js';

/**
 * Writes the app's `@Periodic` schedules to the store: at boot (new or changed ones), and
 * again after the store's connection came back (only the ones it no longer has: a store that
 * lost its data would otherwise stop every coded schedule until the next boot).
 */
export class PeriodicWriteBack {
  /** The store's "changes may have been missed" signal, while `@Periodic`s are synced. */
  private reconnects?: Subscription;
  private restoreRetry?: NodeJS.Timeout;

  constructor(
    private readonly store: ScheduleStore,
    private readonly explorer: PeriodicExplorer,
    private readonly logger: Logger,
    private readonly retryMs: number,
  ) {}

  /** Write the `@Periodic` schedules, then watch `storeReconnects` to write back lost ones. */
  async start(storeReconnects: Observable<void>): Promise<void> {
    let written = 0;
    for (const coded of this.explorer.definitions) {
      const wrote = await editSchedule(this.store, coded.name, (current) => {
        // `enabled` in the code is the state a schedule is first written with; after that,
        // pause() / resume() (CLI, dashboard) decide, and a boot must not undo them.
        const definition = current ? { ...coded, enabled: current.definition.enabled } : coded;
        if (
          current &&
          scheduleDefinitionJson(current.definition) === scheduleDefinitionJson(definition)
        ) {
          return null;
        }
        return { definition, state: freshState(definition, Date.now(), current?.state) };
      });
      if (wrote) written++;
    }
    if (written) this.logger.log(`Beat wrote ${written} @Periodic schedule(s) to the store.`);
    // A store that lost its data (a Redis restarted without persistence, a database restored
    // from an older backup) would otherwise stop every coded schedule until the next boot.
    if (this.explorer.definitions.length) {
      this.reconnects = storeReconnects.subscribe(() => void this.restoreMissing());
    }
  }

  stop(): void {
    this.reconnects?.unsubscribe();
    this.reconnects = undefined;
    clearTimeout(this.restoreRetry);
  }

  /**
   * After the store's connection came back: write again the `@Periodic` schedules it no longer
   * has. Only missing ones: a stored one (edited, paused, or another version's during a
   * rolling deploy) is left alone, as it was before the reconnect.
   */
  private async restoreMissing(): Promise<void> {
    clearTimeout(this.restoreRetry);
    const restored: string[] = [];
    try {
      for (const coded of this.explorer.definitions) {
        const wrote = await editSchedule(this.store, coded.name, (current) =>
          current ? null : { definition: coded, state: freshState(coded, Date.now()) },
        );
        if (wrote) restored.push(coded.name);
      }
    } catch (error) {
      if (!this.reconnects) return;
      this.logger.warn(
        `Beat could not check the @Periodic schedules after the store reconnected: ` +
          `${describeThrownLine(error)}. Retrying in ${this.retryMs} ms.`,
      );
      this.restoreRetry = setTimeout(() => void this.restoreMissing(), this.retryMs);
      this.restoreRetry.unref();
    }
    if (restored.length) {
      this.logger.warn(
        `Beat wrote back ${restored.length} @Periodic schedule(s) missing from the store after ` +
          `its connection came back (${restored.join(', ')}): the store lost them, e.g. a ` +
          `Redis restarted without persistence. Their run counts start again at 0.`,
      );
    }
  }
}
