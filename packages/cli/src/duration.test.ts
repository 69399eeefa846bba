import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration (Go time.ParseDuration)', () => {
  it.each([
    { text: '30s', ms: 30_000 },
    { text: '2m', ms: 120_000 },
    { text: '1h', ms: 3_600_000 },
    { text: '1h30m', ms: 5_400_000 },
    { text: '1.5h', ms: 5_400_000 },
    { text: '.5s', ms: 500 },
    { text: '500ms', ms: 500 },
    { text: '1m30.5s', ms: 90_500 },
    { text: '0', ms: 0 },
    { text: '-1s', ms: -1000 },
    { text: '+2s', ms: 2000 },
    { text: '1500us', ms: 1.5 },
    { text: '1µs', ms: 0.001 },
  ])('$text → $ms ms', ({ text, ms }) => {
    expect(parseDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    { text: '30', error: 'time: missing unit in duration "30"' },
    { text: '1d', error: 'time: unknown unit "d" in duration "1d"' },
    { text: '', error: 'time: invalid duration ""' },
    { text: 's', error: 'time: invalid duration "s"' },
    { text: '1.2.3s', error: 'time: missing unit in duration "1.2.3s"' },
    { text: '.s', error: 'time: invalid duration ".s"' },
    { text: '-', error: 'time: invalid duration "-"' },
  ])('$text is rejected: $error', ({ text, error }) => {
    expect(() => parseDuration(text)).toThrow(error);
  });
});

describe('formatDuration (Go Duration.String)', () => {
  it.each([
    { ms: 0, want: '0s' },
    { ms: 500, want: '500ms' },
    { ms: 1500, want: '1.5s' },
    { ms: 30_000, want: '30s' },
    { ms: 90_000, want: '1m30s' },
    { ms: 3_600_000, want: '1h0m0s' },
    { ms: 5_400_000, want: '1h30m0s' },
  ])('$ms → $want', ({ ms, want }) => {
    expect(formatDuration(ms)).toBe(want);
  });
});
