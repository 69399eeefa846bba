import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declaredKeys, loadScript, scriptJson, scriptKeyCount } from './scripts.js';

describe('the script loader', () => {
  it('puts each shared fragment in once, for every script that includes it', () => {
    for (const file of ['applyWrites-4+.lua', 'deleteJob-23+.lua']) {
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

describe('declaredKeys', () => {
  it('lists the fixed keys first, then each further key once, answering its 1-based index in KEYS', () => {
    const declared = declaredKeys(['rv', 'changes']);
    expect([declared.at('a'), declared.at('b'), declared.at('a'), declared.at('c')]).toStrictEqual([3, 4, 3, 5]);
    expect(declared.keys).toStrictEqual(['rv', 'changes', 'a', 'b', 'c']);
  });
});

describe('scriptJson', () => {
  it.each<[string, unknown, string]>([
    ['a lone high surrogate becomes U+FFFD', { uid: 'x\ud83d' }, '{"uid":"x\ufffd"}'],
    ['a lone low surrogate becomes U+FFFD', ['\udca5y'], '["\ufffdy"]'],
    ['a pair stays', { uid: '💥' }, '{"uid":"💥"}'],
    ['the text of an escape inside a string (an encoded object) stays', { obj: JSON.stringify({ a: '\ud83d' }) }, JSON.stringify({ obj: '{"a":"\\ud83d"}' })],
    ['plain JSON is JSON.stringify', { a: [1, 'b', null] }, '{"a":[1,"b",null]}'],
  ])('%s', (_name, value, json) => {
    expect(scriptJson(value)).toBe(json);
  });
});
