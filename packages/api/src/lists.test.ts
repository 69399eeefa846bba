import { describe, expect, it } from 'vitest';
import { BadRequestError } from '@jobfleet/kube';
import type { JobStore } from '@jobfleet/store';
import { decodeContinue, encodeContinue, listPage, type ContinueToken } from './lists.js';

describe('continue tokens', () => {
  it.each<{ name: string; token: ContinueToken }>([
    { name: 'plain', token: { ns: 'default', name: 'pi', rv: '42' } },
    { name: 'empty rv', token: { ns: 'team-a', name: 'job-1', rv: '' } },
    { name: 'characters base64 would mangle', token: { ns: 'a/b+c', name: 'x?y=z&ü', rv: '9' } },
  ])('round trip: $name', ({ token }) => {
    const text = encodeContinue(token);
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/); // URL-safe, no padding
    expect(decodeContinue(text)).toStrictEqual(token);
  });

  it('no token: undefined', () => {
    expect(decodeContinue(undefined)).toBeUndefined();
    expect(decodeContinue('')).toBeUndefined();
  });

  it.each<{ name: string; text: string }>([
    { name: 'not base64 JSON', text: 'not-a-token' },
    { name: 'JSON but not an object', text: Buffer.from('42').toString('base64url') },
    { name: 'null', text: Buffer.from('null').toString('base64url') },
    { name: 'missing name', text: Buffer.from(JSON.stringify({ ns: 'default' })).toString('base64url') },
    { name: 'wrong types', text: Buffer.from(JSON.stringify({ ns: 1, name: 2 })).toString('base64url') },
    { name: 'truncated', text: encodeContinue({ ns: 'default', name: 'pi', rv: '1' }).slice(0, 10) },
  ])('bad token → BadRequestError: $name', ({ text }) => {
    expect(() => decodeContinue(text)).toThrow(BadRequestError);
    expect(() => decodeContinue(text)).toThrow('continue key is not valid: it must be the value of metadata.continue of an earlier list');
  });
});

/** A store whose namespace indexes are plain sorted arrays; records how many pages were read. */
function fakeStore(indexes: Record<string, string[]>) {
  const calls: { key: string; after: string | undefined; limit: number }[] = [];
  const store = {
    async namesPage(key: string, after: string | undefined, limit: number) {
      calls.push({ key, after, limit });
      const names = [...(indexes[key] ?? [])].sort();
      return names.filter((n) => after === undefined || n > after).slice(0, limit);
    },
  } as unknown as JobStore;
  return { store, calls };
}

interface Obj {
  ns: string;
  name: string;
  keep?: boolean;
}

async function page(indexes: Record<string, string[]>, opts: { limit?: number; token?: ContinueToken; drop?: string[]} = {}) {
  const { store } = fakeStore(indexes);
  return listPage<Obj>({
    namespaces: Object.keys(indexes),
    names: (ns, after, limit) => store.namesPage(ns, after, limit),
    fetch: async (ns, names) => names.map((name) => ({ ns, name })),
    keep: (o) => !(opts.drop ?? []).includes(o.name),
    nameOf: (o) => o.name,
    limit: opts.limit,
    continueToken: opts.token,
  });
}

const names = (items: Obj[]) => items.map((o) => `${o.ns}/${o.name}`);

describe('listPage', () => {
  const indexes = { b: ['b2', 'b1'], a: ['a3', 'a1', 'a2'], c: [] as string[] };

  it.each<{ name: string; limit?: number; token?: ContinueToken; drop?: string[]; want: string[]; next?: ContinueToken }>([
    { name: 'everything, namespaces and names in order', want: ['a/a1', 'a/a2', 'a/a3', 'b/b1', 'b/b2'] },
    { name: 'a limit cuts and returns where to go on', limit: 2, want: ['a/a1', 'a/a2'], next: { ns: 'a', name: 'a2', rv: '' } },
    { name: 'a page across namespaces', limit: 4, want: ['a/a1', 'a/a2', 'a/a3', 'b/b1'], next: { ns: 'b', name: 'b1', rv: '' } },
    { name: 'going on from a token', token: { ns: 'a', name: 'a2', rv: '7' }, limit: 2, want: ['a/a3', 'b/b1'], next: { ns: 'b', name: 'b1', rv: '' } },
    { name: 'the last page has no token', token: { ns: 'b', name: 'b1', rv: '7' }, limit: 5, want: ['b/b2'] },
    { name: 'limit exactly the rest: a token that leads to an empty page', token: { ns: 'b', name: 'b1', rv: '' }, limit: 1, want: ['b/b2'], next: { ns: 'b', name: 'b2', rv: '' } },
    { name: 'filtered objects do not count toward the limit', drop: ['a1', 'a2'], limit: 2, want: ['a/a3', 'b/b1'], next: { ns: 'b', name: 'b1', rv: '' } },
    { name: 'limit 0 means no limit', limit: 0, want: ['a/a1', 'a/a2', 'a/a3', 'b/b1', 'b/b2'] },
  ])('$name', async ({ limit, token, drop, want, next }) => {
    const result = await page(indexes, { limit, token, drop });
    expect(names(result.items)).toStrictEqual(want);
    expect(result.continueToken).toStrictEqual(next);
  });

  it('following the tokens visits every object exactly once', async () => {
    const big: Record<string, string[]> = {
      ns1: Array.from({ length: 7 }, (_, i) => `job-${String(i).padStart(2, '0')}`),
      ns2: Array.from({ length: 5 }, (_, i) => `job-${String(i).padStart(2, '0')}`),
    };
    const seen: string[] = [];
    let token: ContinueToken | undefined;
    for (let pages = 0; pages < 20; pages++) {
      const result = await page(big, { limit: 3, token });
      seen.push(...names(result.items));
      token = result.continueToken ? decodeContinue(encodeContinue(result.continueToken)) : undefined;
      if (!token) break;
    }
    expect(seen).toStrictEqual([...big.ns1!.map((n) => `ns1/${n}`), ...big.ns2!.map((n) => `ns2/${n}`)]);
  });

  it('reads the index in batches of 500', async () => {
    const many = Array.from({ length: 1203 }, (_, i) => `n${String(i).padStart(5, '0')}`);
    const { store, calls } = fakeStore({ x: many });
    const result = await listPage<Obj>({
      namespaces: ['x'],
      names: (ns, after, limit) => store.namesPage(ns, after, limit),
      fetch: async (ns, ns_names) => ns_names.map((name) => ({ ns, name })),
      keep: () => true,
      nameOf: (o) => o.name,
    });
    expect(result.items).toHaveLength(1203);
    expect(calls.map((c) => [c.after, c.limit])).toStrictEqual([
      [undefined, 500],
      ['n00499', 500],
      ['n00999', 500],
    ]);
  });
});
