import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const INCLUDE = /^--- @include "([\w-]+)"\s*$/gm;
const cache = new Map<string, string>();

/**
 * Read a `<command>-<numKeys>.lua` file (`n`: any number of keys, passed first) and inline its
 * `--- @include "<name>"` lines from `includes/<name>.lua` next to it. Cached per file.
 */
export function loadLua(dir: URL, file: string): string {
  const url = new URL(file, dir);
  const cached = cache.get(url.href);
  if (cached !== undefined) return cached;
  const source = inlineIncludes(readFileSync(url, 'utf8'), dir, new Set());
  cache.set(url.href, source);
  return source;
}

/**
 * `text` with each include line replaced by the file it names, whose own includes come first;
 * a file already inlined (`done`) is not inlined again, so each include states what it needs.
 */
function inlineIncludes(text: string, dir: URL, done: Set<string>): string {
  return text.replace(INCLUDE, (_line, name: string) => {
    if (done.has(name)) return '';
    done.add(name);
    return inlineIncludes(readFileSync(new URL(`includes/${name}.lua`, dir), 'utf8'), dir, done);
  });
}

/** A Lua command as ioredis runs it: keys first, then arguments. */
export type LuaCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Define every `<command>-<numKeys>.lua` of `files` on a client with ioredis `defineCommand`
 * (EVALSHA with an automatic EVAL fallback, so scripts survive a Redis restart), and return
 * them by command name, and each one's variant with Buffer replies as `<command>Buffer`. A
 * `<command>-n.lua` script takes any number of keys: its callers pass that number first.
 */
export function defineLuaCommands(
  client: Redis,
  dir: URL,
  files: readonly string[],
): Record<string, LuaCommand> {
  const commands: Record<string, LuaCommand> = {};
  const callable = client as unknown as Record<string, LuaCommand>;
  for (const file of files) {
    const match = /^(\w+)-(\d+|n)\.lua$/.exec(file);
    if (!match) throw new Error(`Lua file "${file}" is not named <command>-<numKeys>.lua`);
    const [, name, keys] = match as unknown as [string, string, string];
    const commandName = `celeriac_${name}`;
    if (typeof callable[commandName] !== 'function') {
      const numberOfKeys = keys === 'n' ? undefined : Number(keys);
      client.defineCommand(commandName, { lua: loadLua(dir, file), numberOfKeys });
    }
    commands[name] = (...args) => callable[commandName]!.apply(client, args);
    commands[`${name}Buffer`] = (...args) => callable[`${commandName}Buffer`]!.apply(client, args);
  }
  return commands;
}
