import { readdirSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LuaCommands, listLuaScripts, readLuaScript } from '../../src/store/lua.js';

const scripts = [...listLuaScripts().values()];

describe('src/store/lua', () => {
  it('holds every script as <name>-<numKeys>.lua', () => {
    const files = readdirSync(new URL('../../src/store/lua/', import.meta.url));
    expect(scripts.map((s) => s.file).sort()).toEqual(files.sort());
    expect(scripts.length).toBeGreaterThan(0);
  });

  it.each(scripts.map((s) => [s.file, s] as const))(
    '%s: a header that states KEYS, ARGV and the return value, with as many keys as its name says',
    (_file, script) => {
      const lua = readLuaScript(script);
      const m = /^--\[\[\n([\s\S]*?)\n\]\]\n/.exec(lua);
      expect(m, 'starts with a --[[ … ]] header').not.toBeNull();
      const header = m?.[1] ?? '';
      const body = lua.slice(m?.[0].length ?? 0);
      const keysInHeader = [...header.matchAll(/^\s*KEYS\[(\d+)\]/gm)].map((k) => Number(k[1]));
      const want = Array.from({ length: script.numberOfKeys }, (_, i) => i + 1);
      expect(keysInHeader).toEqual(want);
      const keysUsed = new Set([...body.matchAll(/KEYS\[(\d+)\]/g)].map((k) => Number(k[1])));
      expect([...keysUsed].sort()).toEqual(want);
      expect(header).toMatch(/^\s*ARGV\[1\]/m);
      expect(header).toMatch(/^\s*Returns: \S/m);
    },
  );
});

describe('LuaCommands', () => {
  // defineCommand never touches the network, so no server is needed here.
  const redis = new Redis({ lazyConnect: true });
  afterAll(() => redis.disconnect());

  it("refuses a call whose key count disagrees with the script's file name, before anything is sent", () => {
    const lua = new LuaCommands(redis, ['take']);
    expect(() => lua.command('take', ['only-one'])).toThrow('take-2.lua takes 2 keys, called with 1');
  });

  it('does not shadow the Redis command of the same name', () => {
    const expire = redis.expire;
    new LuaCommands(redis, ['expire']);
    expect(redis.expire).toBe(expire);
  });

  it('names a missing script', () => {
    expect(() => new LuaCommands(redis, ['no-such-script'])).toThrow('no script called no-such-script');
  });
});
