import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { FILE_DURATIONS } from './file-durations.js';

/**
 * Longest first within each group (`sequence.groupOrder`), across its projects, so that no long
 * file starts last: by Vitest's own timing of the previous run when it has one, else by
 * FILE_DURATIONS (a clean clone, as in CI). Files known to neither follow, per project, largest
 * first, as Vitest's own sequencer orders them. A file that failed last time still goes first.
 */
export default class DurationSequencer extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const known = new Map(files.map((spec) => [spec, this.estimate(spec)]));
    const size = (spec: TestSpecification): number =>
      this.ctx.cache.getFileStats(this.key(spec))?.size ?? 0;
    return Promise.resolve(
      [...files].sort((a, b) => {
        const group = a.project.config.sequence.groupOrder - b.project.config.sequence.groupOrder;
        if (group !== 0) return group;
        const [ka, kb] = [known.get(a)!, known.get(b)!];
        if (ka.failed !== kb.failed) return ka.failed ? -1 : 1;
        if (ka.ms !== undefined && kb.ms !== undefined) return kb.ms - ka.ms;
        if (ka.ms !== undefined || kb.ms !== undefined) return ka.ms !== undefined ? -1 : 1;
        if (a.project.name !== b.project.name) return a.project.name < b.project.name ? -1 : 1;
        return size(b) - size(a);
      }),
    );
  }

  private key(spec: TestSpecification): string {
    return `${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`;
  }

  private estimate(spec: TestSpecification): { ms: number | undefined; failed: boolean } {
    const cached = this.ctx.cache.getFileTestResults(this.key(spec));
    if (cached) return { ms: cached.duration, failed: cached.failed };
    const seconds = FILE_DURATIONS[this.key(spec)];
    return { ms: seconds === undefined ? undefined : seconds * 1000, failed: false };
  }
}
