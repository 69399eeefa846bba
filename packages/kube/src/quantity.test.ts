import { describe, expect, it } from 'vitest';
import { BadRequestError } from './errors.js';
import { parseQuantity, tryParseQuantity } from './quantity.js';

describe('parseQuantity', () => {
  it.each<{ name: string; quantity: string | number; want: number }>([
    { name: 'millicores', quantity: '500m', want: 0.5 },
    { name: 'whole cores', quantity: '1', want: 1 },
    { name: 'fractional cores', quantity: '0.25', want: 0.25 },
    { name: 'a JSON number', quantity: 2, want: 2 },
    { name: 'binary mebibytes', quantity: '64Mi', want: 64 * 2 ** 20 },
    { name: 'binary gibibytes with a fraction', quantity: '1.5Gi', want: 1.5 * 2 ** 30 },
    { name: 'decimal gigabytes', quantity: '1G', want: 1e9 },
    { name: 'decimal kilobytes', quantity: '100k', want: 100_000 },
    { name: 'plain bytes', quantity: '128974848', want: 128974848 },
    { name: 'exponent', quantity: '129e6', want: 129e6 },
    { name: 'exponent with a sign', quantity: '1E-3', want: 0.001 },
    { name: 'exa', quantity: '1E', want: 1e18 },
    { name: 'negative', quantity: '-1', want: -1 },
  ])('$name: $quantity', ({ quantity, want }) => {
    expect(parseQuantity(quantity)).toBeCloseTo(want, 9);
  });

  it.each(['', 'lots', '1K', '1 Gi', '1.2.3', '1e', 'Mi', '--1', '0x10'])('rejects %j', (quantity) => {
    expect(tryParseQuantity(quantity)).toBeUndefined();
    expect(() => parseQuantity(quantity)).toThrow(BadRequestError);
  });

  it('rejects non-finite numbers', () => {
    expect(tryParseQuantity(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});
