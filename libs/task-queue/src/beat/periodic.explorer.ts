import { Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import type { ScheduleDefinition } from '../contracts/schedule-store.interface.js';
import { ConfigurationError } from '../errors/configuration.error.js';
import { TaskMetadataAccessor } from '../tasks/task-metadata.accessor.js';
import { PERIODIC_METADATA } from './beat.constants.js';
import { toScheduleDefinition } from './schedule-definition.js';
import type { PeriodicMetadata } from './periodic.decorator.js';

/**
 * Finds every `@Periodic()` on the app's `@Task()` methods and turns it into a schedule
 * definition (written to the store by `Schedules` at boot).
 */
@Injectable()
export class PeriodicExplorer implements OnModuleInit {
  private found: ScheduleDefinition[] = [];

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
  ) {}

  /** The definitions found, by schedule name. */
  get definitions(): readonly ScheduleDefinition[] {
    return this.found;
  }

  onModuleInit(): void {
    const byName = new Map<string, ScheduleDefinition>();
    for (const wrapper of this.discovery.getProviders()) {
      const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
      if (!prototype || typeof prototype !== 'object') continue;
      const className = (prototype.constructor as { name?: string }).name ?? 'Anonymous';
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (prototype as Record<string, unknown>)[method];
        if (typeof fn !== 'function') continue;
        const periodic = Reflect.getMetadata(PERIODIC_METADATA, fn) as
          PeriodicMetadata[] | undefined;
        if (!periodic?.length) continue;
        const task = TaskMetadataAccessor.read(fn);
        const where = `@Periodic on ${className}.${method}`;
        if (!task) throw new ConfigurationError(`${where}: the method has no @Task().`);
        const taskName = TaskMetadataAccessor.taskName(className, method, task);
        for (const { spec, options } of periodic) {
          const definition = toScheduleDefinition(
            options.name ?? taskName,
            taskName,
            spec,
            options,
            'decorator',
            where,
          );
          if (byName.has(definition.name)) {
            throw new ConfigurationError(
              `${where}: schedule name "${definition.name}" is used twice; give each @Periodic a name.`,
            );
          }
          byName.set(definition.name, definition);
        }
      }
    }
    this.found = [...byName.values()];
  }
}
