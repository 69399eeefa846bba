import { describe, expect, it } from 'vitest';
import { firstPendingIndexes, formatIndexes, hasIndex, parseIndexes, totalIndexes, unionIndexes, validateIndexesFormat, withIndexes, type OrderedIntervals } from './indexes.js';

const iv = (...pairs: [number, number][]): OrderedIntervals => pairs.map(([first, last]) => ({ first, last }));

describe('parseIndexes / formatIndexes', () => {
  it.each<{ name: string; text: string | undefined; want: { intervals: OrderedIntervals; text: string; total: number } }>([
    { name: 'unset', text: undefined, want: { intervals: [], text: '', total: 0 } },
    { name: 'empty', text: '', want: { intervals: [], text: '', total: 0 } },
    { name: 'one index', text: '4', want: { intervals: iv([4, 4]), text: '4', total: 1 } },
    { name: 'a range and a single', text: '0-2,4', want: { intervals: iv([0, 2], [4, 4]), text: '0-2,4', total: 4 } },
    { name: 'Kubernetes example', text: '1,3-5,7', want: { intervals: iv([1, 1], [3, 5], [7, 7]), text: '1,3-5,7', total: 5 } },
    { name: 'two adjacent print as a pair, not a range', text: '0-1', want: { intervals: iv([0, 1]), text: '0,1', total: 2 } },
    { name: 'adjacent singles merge', text: '0,1,2,3', want: { intervals: iv([0, 3]), text: '0-3', total: 4 } },
    { name: 'touching ranges merge', text: '0-2,3-5', want: { intervals: iv([0, 5]), text: '0-5', total: 6 } },
    { name: 'out of order and overlapping input is normalised', text: '7,3-5,4,1', want: { intervals: iv([1, 1], [3, 5], [7, 7]), text: '1,3-5,7', total: 5 } },
    { name: 'garbage parts are skipped', text: 'x,2,5-3,9', want: { intervals: iv([2, 2], [9, 9]), text: '2,9', total: 2 } },
  ])('$name', ({ text, want }) => {
    const parsed = parseIndexes(text);
    expect(parsed).toStrictEqual(want.intervals);
    expect(formatIndexes(parsed)).toBe(want.text);
    expect(totalIndexes(parsed)).toBe(want.total);
  });

  it.each(['0', '0,1', '0-2', '0-2,4', '1,3-5,7', '0,1,3,4,6-9', '10-12,100'])('"%s" round-trips', (text) => {
    expect(formatIndexes(parseIndexes(text))).toBe(text);
    expect(parseIndexes(formatIndexes(parseIndexes(text)))).toStrictEqual(parseIndexes(text));
  });
});

describe('withIndexes', () => {
  it.each<{ name: string; base: OrderedIntervals; added: number[]; want: string }>([
    { name: 'into nothing', base: [], added: [3, 1, 2], want: '1-3' },
    { name: 'duplicates are counted once', base: iv([0, 2]), added: [1, 1, 2, 2], want: '0-2' },
    { name: 'fills a gap and merges both sides', base: iv([0, 2], [4, 6]), added: [3], want: '0-6' },
    { name: 'extends at the front', base: iv([5, 6]), added: [4], want: '4-6' },
    { name: 'extends at the back', base: iv([5, 6]), added: [7], want: '5-7' },
    { name: 'separate new interval', base: iv([0, 0]), added: [9], want: '0,9' },
    { name: 'nothing added', base: iv([2, 4]), added: [], want: '2-4' },
  ])('$name', ({ base, added, want }) => {
    const before = structuredClone(base);
    expect(formatIndexes(withIndexes(base, added))).toBe(want);
    expect(base).toStrictEqual(before);
  });
});

describe('hasIndex', () => {
  const intervals = parseIndexes('1,3-5,7');
  it.each([
    [0, false],
    [1, true],
    [2, false],
    [3, true],
    [4, true],
    [5, true],
    [6, false],
    [7, true],
    [8, false],
  ])('index %i → %s', (index, want) => expect(hasIndex(intervals, index)).toBe(want));
});

describe('firstPendingIndexes', () => {
  it.each<{ name: string; completed: string; taken: number[]; count: number; completions: number; want: number[] }>([
    { name: 'nothing done: the lowest', completed: '', taken: [], count: 3, completions: 5, want: [0, 1, 2] },
    { name: 'skips completed', completed: '0-1,3', taken: [], count: 2, completions: 6, want: [2, 4] },
    { name: 'skips taken', completed: '', taken: [0, 2], count: 2, completions: 5, want: [1, 3] },
    { name: 'skips both', completed: '0', taken: [1, 2], count: 5, completions: 5, want: [3, 4] },
    { name: 'never beyond completions', completed: '0-3', taken: [], count: 3, completions: 5, want: [4] },
    { name: 'all done', completed: '0-4', taken: [], count: 3, completions: 5, want: [] },
    { name: 'count 0', completed: '', taken: [], count: 0, completions: 5, want: [] },
  ])('$name', ({ completed, taken, count, completions, want }) => {
    expect(firstPendingIndexes(parseIndexes(completed), new Set(taken), count, completions)).toStrictEqual(want);
  });
});

describe('parseIndexes works on intervals, bounded by completions', () => {
  it('a huge range costs one interval, not one entry per index', () => {
    // One entry per index would not end before the test's timeout (10^15 of them).
    expect(parseIndexes('0-999999999999999')).toStrictEqual(iv([0, 999_999_999_999_999]));
  });
  it.each<{ text: string; completions: number; want: string }>([
    { text: '0-9', completions: 5, want: '0-4' },
    { text: '2,7', completions: 5, want: '2' },
    { text: '5-7', completions: 5, want: '' },
    { text: '1-2-3,4', completions: 9, want: '4' },
    { text: '-1,3', completions: 9, want: '3' },
  ])('"$text" with completions $completions → "$want"', ({ text, completions, want }) => {
    expect(formatIndexes(parseIndexes(text, completions))).toBe(want);
  });
});

describe('unionIndexes', () => {
  it('merges lists that overlap and touch', () => {
    expect(formatIndexes(unionIndexes(parseIndexes('0-2,9'), parseIndexes('3,5-6'), parseIndexes('6-8')))).toBe('0-3,5-9');
  });
});

describe('firstPendingIndexes with a huge done range stays bounded', () => {
  it('skips a done range without walking it', () => {
    expect(firstPendingIndexes(iv([0, 99_998]), new Set(), 3, 100_000)).toStrictEqual([99_999]);
  });
});

/** validateIndexesFormat, with the API server's messages (pkg/apis/batch/validation). */
describe('validateIndexesFormat', () => {
  it.each<{ text: string; completions: number; want: { total: number } | { error: string } }>([
    { text: '', completions: 5, want: { total: 0 } },
    { text: '0,2-4', completions: 5, want: { total: 4 } },
    { text: '+1', completions: 5, want: { total: 1 } },
    { text: '1-', completions: 5, want: { error: 'cannot convert string to integer for index: ""' } },
    { text: 'a', completions: 5, want: { error: 'cannot convert string to integer for index: "a"' } },
    { text: '5', completions: 5, want: { error: 'too large index: "5"' } },
    { text: '1-7', completions: 5, want: { error: 'too large index: "7"' } },
    { text: '3-1', completions: 5, want: { error: 'non-increasing order, previous: 3, current: 1' } },
    { text: '1-1', completions: 5, want: { error: 'non-increasing order, previous: 1, current: 1' } },
    { text: '2,1', completions: 5, want: { error: 'non-increasing order, previous: 2, current: 1' } },
    { text: '0-2,2', completions: 5, want: { error: 'non-increasing order, previous: 2, current: 2' } },
    { text: '1-2-3', completions: 5, want: { error: "the fragment \"1-2-3\" violates the requirement that an index interval can have at most two parts separated by '-'" } },
  ])('"$text"', ({ text, completions, want }) => {
    expect(validateIndexesFormat(text, completions)).toStrictEqual(want);
  });
});
