import { describe, expect, it } from 'vitest';
import { backoffRemaining, exponentialBackoff, nextBackoffRecord, type BackoffRecord } from './backoff.js';

describe('exponentialBackoff', () => {
  it.each<{ name: string; failures: number; base: number; max: number; want: number }>([
    { name: 'no failure: no wait', failures: 0, base: 10_000, max: 360_000, want: 0 },
    { name: 'negative: no wait', failures: -3, base: 10_000, max: 360_000, want: 0 },
    { name: 'first failure: base', failures: 1, base: 10_000, max: 360_000, want: 10_000 },
    { name: 'second: doubled', failures: 2, base: 10_000, max: 360_000, want: 20_000 },
    { name: 'third: 4x', failures: 3, base: 10_000, max: 360_000, want: 40_000 },
    { name: 'sixth: 320 s, under the cap', failures: 6, base: 10_000, max: 360_000, want: 320_000 },
    { name: 'seventh: capped at 6 min', failures: 7, base: 10_000, max: 360_000, want: 360_000 },
    { name: 'huge count: still the cap, no overflow', failures: 10_000, base: 10_000, max: 360_000, want: 360_000 },
    { name: 'cap below base: the cap', failures: 1, base: 500, max: 200, want: 200 },
    { name: 'short test delays', failures: 4, base: 200, max: 1_000, want: 1_000 },
  ])('$name', ({ failures, base, max, want }) => {
    expect(exponentialBackoff(failures, base, max)).toBe(want);
  });
});


// Kubernetes' TestNewBackoffRecord (pkg/controller/job/backoff_utils_test.go): times in ms around T.
describe('nextBackoffRecord', () => {
  const T = Date.UTC(2009, 10, 10, 23, 0, 0);
  const empty: BackoffRecord = { failuresInRow: 0 };
  it.each<{ name: string; record: BackoffRecord; succeeded: number[]; failed: number[]; want: BackoffRecord }>([
    { name: 'empty store and one new failure', record: empty, succeeded: [], failed: [T], want: { failuresInRow: 1, lastFailureAt: T } },
    { name: 'empty store and two new failures', record: empty, succeeded: [], failed: [T, T - 1], want: { failuresInRow: 2, lastFailureAt: T } },
    { name: 'empty store, two failures followed by success', record: empty, succeeded: [T], failed: [T - 2, T - 1], want: { failuresInRow: 0 } },
    {
      name: 'empty store, two failures, one success and two more failures',
      record: empty,
      succeeded: [T - 2],
      failed: [T, T - 4, T - 3, T - 1],
      want: { failuresInRow: 2, lastFailureAt: T },
    },
    { name: 'store having failure count 2 and one new failure', record: { failuresInRow: 2 }, succeeded: [], failed: [T], want: { failuresInRow: 3, lastFailureAt: T } },
    { name: 'success and failure at the same time', record: empty, succeeded: [T], failed: [T], want: { failuresInRow: 0 } },
    { name: 'no success, no failure', record: empty, succeeded: [], failed: [], want: { failuresInRow: 0 } },
    { name: 'one success', record: empty, succeeded: [T], failed: [], want: { failuresInRow: 0 } },
    // jobfleet's own: the record carries over between syncs.
    { name: 'no new pod keeps the record', record: { failuresInRow: 3, lastFailureAt: T }, succeeded: [], failed: [], want: { failuresInRow: 3, lastFailureAt: T } },
    { name: 'a success resets an old record', record: { failuresInRow: 5, lastFailureAt: T - 9 }, succeeded: [T], failed: [], want: { failuresInRow: 0 } },
  ])('$name', ({ record, succeeded, failed, want }) => {
    expect(nextBackoffRecord(record, succeeded, failed)).toStrictEqual(want);
  });
});

// Kubernetes' TestGetRemainingBackoffTime: base 5 s, cap 700 s.
describe('backoffRemaining', () => {
  const T = Date.UTC(2009, 10, 10, 23, 0, 0);
  const s = (n: number) => n * 1000;
  it.each<{ name: string; record: BackoffRecord; now: number; want: number }>([
    { name: 'no failures', record: { failuresInRow: 0 }, now: T, want: 0 },
    { name: 'one failure; now is the failure time', record: { failuresInRow: 1, lastFailureAt: T }, now: T, want: s(5) },
    { name: 'one failure; 1 s later', record: { failuresInRow: 1, lastFailureAt: T }, now: T + s(1), want: s(4) },
    { name: 'one failure; at the expected backoff time', record: { failuresInRow: 1, lastFailureAt: T }, now: T + s(5), want: 0 },
    { name: 'one failure; 1 s past the backoff time', record: { failuresInRow: 1, lastFailureAt: T }, now: T + s(6), want: 0 },
    { name: 'three failures; now is the failure time', record: { failuresInRow: 3, lastFailureAt: T }, now: T, want: s(20) },
    { name: 'eight failures: 640 s, under the cap', record: { failuresInRow: 8, lastFailureAt: T }, now: T, want: s(640) },
    { name: 'nine failures: capped at 700 s', record: { failuresInRow: 9, lastFailureAt: T }, now: T, want: s(700) },
    // jobfleet's own: a record without a time (written by an older version) does not wait.
    { name: 'failures without a time', record: { failuresInRow: 3 }, now: T, want: 0 },
  ])('$name', ({ record, now, want }) => {
    expect(backoffRemaining(record, now, s(5), s(700))).toBe(want);
  });
});
