import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const INCLUDE = /^--- @include "([\w-]+)"\s*$/gm;
const scripts = new Map<string, LuaScript>();

/**
 * The script of a `<command>-<numKeys>.lua` file (`n`: any number of keys, passed first), its
 * `--- @include "<name>"` lines inlined from `includes/<name>.lua` next to it. Read, inlined
 * and hashed once per file.
 */
function scriptFor(dir: URL, file: string): LuaScript {
  const url = new URL(file, dir);
  const cached = scripts.get(url.href);
  if (cached) return cached;
  const match = /^(\w+)-(\d+|n)\.lua$/.exec(file);
  if (!match) throw new Error(`Lua file "${file}" is not named <command>-<numKeys>.lua`);
  const [, name, keys] = match as unknown as [string, string, string];
  const source = inlineIncludes(readFileSync(url, 'utf8'), dir, new Set());
  const script = new LuaScript(name, source, keys === 'n' ? null : Number(keys));
  scripts.set(url.href, script);
  return script;
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

/** A Lua command: keys first, then arguments (`-n` scripts: the number of keys first). */
export type LuaCommand = (...args: (string | number)[]) => Promise<unknown>;

/**
 * Turn every `<command>-<numKeys>.lua` of `files` into a {@link LuaCommand} on `client`, by
 * command name, with its variant that replies with Buffers as `<command>Buffer`. A
 * `<command>-n.lua` script takes any number of keys: its callers pass that number first.
 *
 * Each call is an EVALSHA; when Redis does not hold the script (the first call, or after a
 * restart or SCRIPT FLUSH) the NOSCRIPT reply is answered with an EVAL, which runs the script
 * and caches it. NOSCRIPT means the script did not run, so the retry cannot run it twice.
 *
 * Not ioredis `defineCommand`: its script commands go through a command subclass that wraps
 * every call in closures of its own, and with it a Redis drain of 50,000 tasks promoted about
 * twice as much short-lived garbage to the old generation while the worker warmed up, so the
 * worker's peak RSS was 138–155 MB, against 122–124 MB with plain EVALSHA commands.
 */
export function defineLuaCommands(
  client: Redis,
  dir: URL,
  files: readonly string[],
): Record<string, LuaCommand> {
  const commands: Record<string, LuaCommand> = {};
  for (const file of files) {
    const script = scriptFor(dir, file);
    commands[script.name] = (...args) => script.run(client, args, false);
    commands[`${script.name}Buffer`] = (...args) => script.run(client, args, true);
  }
  return commands;
}

/** One script's command name, source, digest and key count. */
class LuaScript {
  private readonly sha: string;

  /** @param numberOfKeys null: callers pass it first. */
  constructor(
    readonly name: string,
    private readonly source: string,
    private readonly numberOfKeys: number | null,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  run(client: Redis, args: (string | number)[], buffers: boolean): Promise<unknown> {
    return this.send(client, 'evalsha', this.sha, args, buffers).catch((error: Error) => {
      if (!error.message.startsWith('NOSCRIPT')) throw error;
      return this.send(client, 'eval', this.source, args, buffers);
    });
  }

  private send(
    client: Redis,
    command: 'evalsha' | 'eval',
    script: string,
    args: (string | number)[],
    buffers: boolean,
  ): Promise<unknown> {
    const full =
      this.numberOfKeys === null ? [script, ...args] : [script, this.numberOfKeys, ...args];
    return buffers ? client.callBuffer(command, full) : client.call(command, full);
  }
}
