import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadScript, scriptKeyCount } from './scripts.js';

describe('the script loader', () => {
  it('puts each shared fragment in once, for every script that includes it', () => {
    for (const file of ['applyWrites-4+.lua', 'deleteJob-5.lua']) {
      const lua = loadScript(file);
      expect(lua).not.toContain('--- @include');
      expect(lua.match(/local function appendChange/g)).toHaveLength(1);
      expect(lua).toContain('XTRIM');
    }
  });

  it('reads the number of keys from every script file name', () => {
    const files = readdirSync(new URL('./scripts/', import.meta.url)).filter((f) => f.endsWith('.lua'));
    expect(files.length).toBeGreaterThan(4);
    for (const file of files) expect(scriptKeyCount(file)).toBeGreaterThan(0);
    expect(() => scriptKeyCount('nameless.lua')).toThrow(/number of keys/);
  });
});
