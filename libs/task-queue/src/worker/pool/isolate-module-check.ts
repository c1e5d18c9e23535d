import { MODULE_METADATA } from '@nestjs/common/constants.js';

/** What a module's `imports` may hold: a class, a dynamic module, a promise of one, a forwardRef. */
type ModuleImport = unknown;

function moduleClassOf(entry: ModuleImport): unknown {
  if (entry && typeof entry === 'object') {
    const ref = entry as { forwardRef?: () => unknown; module?: unknown };
    if (typeof ref.forwardRef === 'function') return ref.forwardRef();
    return ref.module;
  }
  return entry;
}

function importsOf(entry: ModuleImport): ModuleImport[] {
  const declared = moduleClassOf(entry);
  const fromClass =
    typeof declared === 'function'
      ? ((Reflect.getMetadata(MODULE_METADATA.IMPORTS, declared) as ModuleImport[] | undefined) ??
        [])
      : [];
  const dynamic = (entry as { imports?: ModuleImport[] } | null)?.imports;
  return [...fromClass, ...(Array.isArray(dynamic) ? dynamic : [])];
}

/**
 * Whether `root` imports TaskQueueModule, directly or through any module it imports
 * (dynamic modules, promises of them and forwardRefs included). Matched by class name, so a
 * second copy of the package in node_modules still counts.
 */
export async function importsTaskQueueModule(root: unknown): Promise<boolean> {
  const seen = new Set<unknown>();
  const pending: ModuleImport[] = [root];
  while (pending.length) {
    const entry = await pending.pop();
    const declared = moduleClassOf(entry);
    if (!entry || seen.has(entry) || (declared && seen.has(declared))) continue;
    seen.add(entry);
    if (declared) seen.add(declared);
    if (typeof declared === 'function' && declared.name === 'TaskQueueModule') return true;
    pending.push(...importsOf(entry));
  }
  return false;
}
