import { expect, it } from 'vitest';
import { newWriteId } from './write-id.js';

it('write ids are 8 base64url characters, all different across blocks of the random pool', () => {
  const ids = Array.from({ length: 5_000 }, () => newWriteId()); // ~5 blocks of 1,024
  expect(ids.every((id) => /^[A-Za-z0-9_-]{8}$/.test(id))).toBe(true);
  expect(new Set(ids).size).toBe(ids.length);
});
