import { Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModuleRef } from '@nestjs/core';
import { BEAT_CONFIG, PERIODIC_METADATA } from './beat.constants.js';

/**
 * Part of `TaskQueueModule`: `@Periodic()` schedules fire only when `TaskQueueBeatModule` is
 * imported too. Without it they would silently never fire: say so at boot, naming them.
 */
@Injectable()
export class PeriodicWithoutBeatCheck implements OnApplicationBootstrap {
  private readonly logger = new Logger('TaskQueue');

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    if (this.hasBeat()) return;
    const found = this.periodicMethods();
    if (found.length === 0) return;
    this.logger.warn(
      `@Periodic on ${found.join(', ')}: TaskQueueBeatModule is not imported, so these ` +
        `schedules never fire. Import TaskQueueBeatModule.forRoot({}) next to TaskQueueModule ` +
        `(see docs/beat.md), in the processes that should run the beat.`,
    );
  }

  private hasBeat(): boolean {
    try {
      this.moduleRef.get(BEAT_CONFIG, { strict: false });
      return true;
    } catch {
      return false;
    }
  }

  /** `Class.method` of every provider method that carries `@Periodic`. */
  private periodicMethods(): string[] {
    const found = new Set<string>();
    for (const wrapper of this.discovery.getProviders()) {
      const prototype = (wrapper.metatype as { prototype?: object } | null)?.prototype;
      if (!prototype || typeof prototype !== 'object') continue;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const fn = (prototype as Record<string, unknown>)[method];
        if (typeof fn === 'function' && Reflect.getMetadata(PERIODIC_METADATA, fn)) {
          found.add(
            `${(prototype.constructor as { name?: string }).name ?? 'Anonymous'}.${method}`,
          );
        }
      }
    }
    return [...found];
  }
}
