import { readFileSync } from 'node:fs';
import type { Redis } from 'ioredis';

const INCLUDE = /^--- @include "([A-Za-z0-9_-]+)"$/gm;

/**
 * The Lua of one script of `scripts/` (`name-<number of keys>.lua`), with its `--- @include "x"`
 * lines replaced by `scripts/includes/x.lua`, as BullMQ assembles its commands: a fragment two
 * transitions share (appending to the change stream) is written once.
 */
export function loadScript(file: string): string {
  const read = (path: string) => readFileSync(new URL(`./scripts/${path}`, import.meta.url), 'utf8');
  // A fragment may include others (applyOps includes appendChange); each goes in once, where first named.
  const included = new Set<string>();
  const expand = (lua: string): string =>
    lua.replace(new RegExp(INCLUDE.source, INCLUDE.flags), (_line, name: string) => {
      if (included.has(name)) return '';
      included.add(name);
      return expand(read(`includes/${name}.lua`));
    });
  return expand(read(file));
}

/**
 * The number of keys a script takes, from its file name (`claimPod-11.lua` → 11); for a script
 * taking a variable number (`reportPodStatus-5+.lua`: 5 and then one per pod), the least.
 */
export function scriptKeyCount(file: string): number {
  const match = /-(\d+)\+?\.lua$/.exec(file);
  if (!match) throw new Error(`script file ${file} does not say its number of keys (name-N.lua)`);
  return Number(match[1]);
}

/** Registers `file` on the connection as the command `name` (once per connection; ioredis runs it by EVALSHA). */
export function defineScript(redis: Redis, name: string, file: string): void {
  // A variable key count (`-5+.lua`): the command's first argument is the number of keys.
  if (!(name in redis)) redis.defineCommand(name, { numberOfKeys: file.endsWith('+.lua') ? undefined : scriptKeyCount(file), lua: loadScript(file) });
}

/**
 * The KEYS of a script call that names further keys by their index (applyWrites' operations,
 * deleteJob's pods and events): `fixed` first, then each key given to `at` once, in order. `at`
 * answers the key's 1-based index in KEYS, as Lua indexes it.
 */
export function declaredKeys(fixed: readonly string[]): { keys: string[]; at(key: string): number } {
  const keys = [...fixed];
  const index = new Map<string, number>();
  return {
    keys,
    at(key) {
      let i = index.get(key);
      if (i === undefined) {
        i = keys.push(key);
        index.set(key, i);
      }
      return i;
    },
  };
}

/** A lone surrogate: half of a UTF-16 pair without its other half. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * JSON for a script's `cjson.decode`, which refuses the `\ud83d` escape JSON.stringify writes for a
 * lone surrogate (a request may carry one anywhere, e.g. in a DELETE's preconditions): each such
 * character becomes U+FFFD, as a UTF-8 decoder would make it. Only a JSON with such an escape
 * (or the text of one) is written again, so the common case costs two indexOf scans.
 */
export function scriptJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (!json.includes('\\ud') && !json.includes('\\uD')) return json;
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' ? v.replace(LONE_SURROGATE, '\uFFFD') : v));
}
