/** Kubernetes resource quantities ("500m", "1", "64Mi", "1G", "129e6"), as plain numbers. */
import { BadRequestError } from './errors.js';

/** The text Kubernetes answers for a malformed quantity. */
export const QUANTITY_FORMAT_MESSAGE =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";

const QUANTITY = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE]|[eE][+-]?\d+)?$/;

const SUFFIX_FACTOR: Readonly<Record<string, number>> = {
  '': 1,
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/**
 * The value of a quantity: cores for cpu ("500m" → 0.5), bytes for memory ("64Mi" → 67108864).
 * Throws BadRequestError for text that is not a quantity (Kubernetes rejects it when decoding).
 */
export function parseQuantity(quantity: string | number): number {
  const value = tryParseQuantity(quantity);
  if (value === undefined) throw new BadRequestError(`${QUANTITY_FORMAT_MESSAGE}, got ${JSON.stringify(quantity)}`);
  return value;
}

/** Like parseQuantity, but undefined for malformed input. */
export function tryParseQuantity(quantity: string | number): number | undefined {
  if (typeof quantity === 'number') return Number.isFinite(quantity) ? quantity : undefined;
  const match = QUANTITY.exec(quantity);
  if (!match) return undefined;
  const [, digits = '', suffix = ''] = match;
  const factor = /^[eE].+/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIX_FACTOR[suffix];
  return factor === undefined ? undefined : Number(digits) * factor;
}
