/** SyncHints: what loadForSync is told of a Job's uncounted pods, kept within its bound. */
import { expect, it } from 'vitest';
import { SyncHints } from './sync-hints.js';

const names = (h: SyncHints, name: string) => [...(h.get('ns', name)?.names ?? [])].sort();

it("a commit's created pods join the hint, its counted ones leave it; another uid starts it anew", () => {
  const h = new SyncHints();
  h.update('ns', 'j', 'u1', [], ['x']); // nothing known, nothing added: no hint
  expect(h.get('ns', 'j')).toBeUndefined();
  h.set('ns', 'j', 'u1', ['a', 'b']);
  h.update('ns', 'j', 'u1', ['c'], ['a']);
  expect(names(h, 'j')).toStrictEqual(['b', 'c']);
  h.update('ns', 'j', 'u2', ['d'], []); // the Job of that name was replaced
  expect(h.get('ns', 'j')?.uid).toBe('u2');
  expect(names(h, 'j')).toStrictEqual(['d']);
  h.forget('ns', 'j');
  expect(h.get('ns', 'j')).toBeUndefined();
});

it('keeps at most its bound of Jobs, the least recently used going first', () => {
  const h = new SyncHints(2);
  h.set('ns', 'a', 'u', []);
  h.set('ns', 'b', 'u', []);
  h.get('ns', 'a'); // used: b is now the least recently used
  h.set('ns', 'c', 'u', []);
  expect([h.get('ns', 'a'), h.get('ns', 'b'), h.get('ns', 'c')].map((x) => x !== undefined)).toStrictEqual([true, false, true]);
});
