import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { expectedTokenDigest, tokenMatches } from './server.js';

describe('tokenMatches: the bearer token check', () => {
  const token = 's3cret-token';
  const expected = expectedTokenDigest(token);

  it.each([
    { name: 'the token', header: `Bearer ${token}`, want: true },
    { name: 'no header', header: undefined, want: false },
    { name: 'an empty header', header: '', want: false },
    { name: 'the scheme alone', header: 'Bearer ', want: false },
    { name: 'the token without the scheme', header: token, want: false },
    { name: 'another scheme', header: `Basic ${token}`, want: false },
    { name: 'a prefix of the token', header: `Bearer ${token.slice(0, -1)}`, want: false },
    { name: 'the token and more', header: `Bearer ${token}x`, want: false },
    { name: 'the token with a trailing space', header: `Bearer ${token} `, want: false },
    { name: 'a much longer header', header: `Bearer ${'x'.repeat(10_000)}`, want: false },
    { name: 'non-ASCII', header: `Bearer ${token.replace('s', 'ś')}`, want: false },
  ])('$name → $want (never throws, whatever the length)', ({ header, want }) => {
    expect(tokenMatches(header, expected)).toBe(want);
  });

  /**
   * Constant time: a guess that is wrong only in its last byte takes as long to refuse as one wrong in
   * its first. A plain string comparison stops at the first difference, so with a 1 MiB token it refuses
   * the early miss far faster (hundreds of times here); hashing both sides to 32 bytes first, then
   * comparing with timingSafeEqual, costs the same for both. Medians of interleaved runs, compared to
   * each other, never to an absolute time.
   */
  it('takes as long for a late mismatch as for an early one', () => {
    const long = 'k'.repeat(1 << 20);
    const digest = expectedTokenDigest(long);
    const early = `Bearer x${long.slice(1)}`;
    const late = `Bearer ${long.slice(0, -1)}x`;
    const times: Record<'early' | 'late', number[]> = { early: [], late: [] };
    for (let i = 0; i < 41; i++) {
      for (const [kind, header] of [['early', early], ['late', late]] as const) {
        const start = performance.now();
        expect(tokenMatches(header, digest)).toBe(false);
        times[kind].push(performance.now() - start);
      }
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const [early_, late_] = [median(times.early), median(times.late)];
    console.log(`1 MiB token refused: early mismatch ${early_.toFixed(3)} ms, late mismatch ${late_.toFixed(3)} ms (medians of 41)`);
    expect(late_ / early_).toBeLessThan(3);
    expect(early_ / late_).toBeLessThan(3);
  });
});
