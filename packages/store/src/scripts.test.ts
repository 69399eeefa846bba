import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { declaredKeys, loadScript, scriptJson, scriptKeyCount } from './scripts.js';
import { WRITE_TRANSITIONS } from './store.js';

describe('the script loader', () => {
  it('puts each shared fragment in once, for every script that includes it', () => {
    for (const file of ['applyWrites-4+.lua', 'deleteJob-23+.lua']) {
      const lua = loadScript(file);
      expect(lua).not.toContain('--- @include');
      expect(lua.match(/local function appendChange/g)).toHaveLength(1);
      expect(lua).toContain('XTRIM');
    }
  });

  it('has a script of its own for every named write (WRITE_TRANSITIONS), each the shared interpreter, and no other', () => {
    const dir = new URL('./scripts/', import.meta.url);
    const interpreted = readdirSync(dir).filter((f) => f.endsWith('.lua') && readFileSync(new URL(f, dir), 'utf8').includes('--- @include "applyOps"'));
    expect(interpreted.sort()).toStrictEqual(WRITE_TRANSITIONS.map((t) => `${t}-4+.lua`).sort());
    for (const file of interpreted) expect(loadScript(file)).toContain('local function nameIndexAdd');
  });

  it('every write of the roles names its transition: no commit outside the tests takes the unnamed form', () => {
    const packages = new URL('../../', import.meta.url);
    const sources = readdirSync(packages).flatMap((pkg) => {
      const src = new URL(`${pkg}/src/`, packages);
      try {
        return readdirSync(src, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ts') && !f.includes('test') && !f.includes('bench')).map((f) => new URL(f, src));
      } catch {
        return [];
      }
    });
    expect(sources.length).toBeGreaterThan(50);
    const unnamed: string[] = [];
    for (const file of sources) {
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(/\.commit\(/g)) {
        // The call's arguments, to its closing parenthesis.
        let depth = 1;
        let i = (match.index ?? 0) + match[0].length;
        for (; i < text.length && depth > 0; i++) depth += text[i] === '(' ? 1 : text[i] === ')' ? -1 : 0;
        const call = text.slice(match.index, i);
        // The transition's name last, or before a write id.
        if (!/,\s*'[A-Za-z]+'(,\s*[\w.]+)?,?\s*\)$/.test(call)) unnamed.push(`${file.pathname}: ${call.slice(0, 80)}`);
      }
    }
    expect(unnamed).toStrictEqual([]);
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
