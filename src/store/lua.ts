import { readdirSync, readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

/**
 * src/store/lua in development, dist/store/lua after `npm run build` (which copies it): resolved next to this
 * module so both layouts work.
 */
const LUA_DIR = new URL('./lua/', import.meta.url);

/** `<name>-<numKeys>.lua`: the file name is the one place a script's key count is written down. */
const FILE_NAME = /^([a-z][a-z0-9-]*)-(\d+)\.lua$/;

export type LuaArg = string | number;
export type LuaCommand = (...keysThenArgs: LuaArg[]) => Promise<unknown>;

export interface LuaScriptFile {
  name: string;
  numberOfKeys: number;
  file: string;
}

/** Every script in the folder, by name; a file that does not follow the naming rule is an error, not skipped. */
export function listLuaScripts(): Map<string, LuaScriptFile> {
  const out = new Map<string, LuaScriptFile>();
  for (const file of readdirSync(LUA_DIR)) {
    const m = FILE_NAME.exec(file);
    if (!m?.[1] || !m[2]) throw new Error(`src/store/lua/${file}: name it <name>-<numKeys>.lua`);
    if (out.has(m[1])) throw new Error(`src/store/lua: two scripts called ${m[1]}`);
    out.set(m[1], { name: m[1], numberOfKeys: Number(m[2]), file });
  }
  return out;
}

export function readLuaScript(script: LuaScriptFile): string {
  return readFileSync(new URL(script.file, LUA_DIR), 'utf8');
}

/**
 * Defines the named scripts on `redis` as custom commands, read once per store instance (never at import
 * time). ioredis sends a script's body once per connection and EVALSHA after that, reloading it itself when
 * Redis answers NOSCRIPT (after a restart or SCRIPT FLUSH).
 */
export class LuaCommands<N extends string> {
  private readonly scripts = new Map<N, LuaScriptFile>();

  constructor(
    private readonly redis: Redis,
    names: readonly N[],
  ) {
    const all = listLuaScripts();
    for (const name of names) {
      const script = all.get(name);
      if (!script) throw new Error(`src/store/lua: no script called ${name}`);
      redis.defineCommand(commandName(name), {
        numberOfKeys: script.numberOfKeys,
        lua: readLuaScript(script),
      });
      this.scripts.set(name, script);
    }
  }

  /**
   * The command for `name`, checked against the key count in its file name. A mismatch is a bug, thrown here
   * so that callers which wrap the call itself never report it as an outage.
   */
  command(name: N, keys: readonly string[]): (args: readonly LuaArg[]) => Promise<unknown> {
    const script = this.scripts.get(name);
    if (!script) throw new Error(`lua script ${name} was not defined on this store`);
    if (keys.length !== script.numberOfKeys) {
      throw new Error(`${script.file} takes ${script.numberOfKeys} keys, called with ${keys.length}`);
    }
    const fn = (this.redis as unknown as Record<string, LuaCommand>)[commandName(name)] as LuaCommand;
    return (args) => fn.call(this.redis, ...keys, ...args);
  }

  call(name: N, keys: readonly string[], args: readonly LuaArg[]): Promise<unknown> {
    return this.command(name, keys)(args);
  }
}

/** Namespaced, because a bare script name can be a Redis command too: `expire` would replace redis.expire(). */
function commandName(name: string): string {
  return `lua:${name}`;
}
