import { readFileSync } from 'node:fs';

/**
 * Reads a Lua script shipped next to this module (src/store/lua in development, dist/store/lua after
 * `npm run build`, which copies them). Read once per store instance, never at import time.
 */
export function loadLua(name: string): string {
  return readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
}
