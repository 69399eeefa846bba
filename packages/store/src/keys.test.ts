import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { podDictionaryId, redisKeys } from './keys.js';

describe('podDictionaryId: the short id of a Job pod dictionary', () => {
  it('is 12 base64url characters of the uid random bits (no version nor variant nibble)', () => {
    expect(podDictionaryId('0123abcd-4567-4890-a1b2-c3d4e5f60718')).toBe(Buffer.from('0123abcd4567890' + '1b2', 'hex').toString('base64url'));
    expect(podDictionaryId('0123abcd-4567-4890-a1b2-c3d4e5f60718')).toBe('ASOrzUVniQGy');
    // The random parts differ: the ids differ; only the fixed nibbles differ: the same id.
    expect(podDictionaryId('0123abcd-4567-4890-b1b2-c3d4e5f60718')).toBe('ASOrzUVniQGy');
    expect(podDictionaryId('0123abcd-4567-4890-a1b3-c3d4e5f60718')).not.toBe('ASOrzUVniQGy');
  });

  it('differs for every one of 100,000 random uids and is the same each time', () => {
    const uids = Array.from({ length: 100_000 }, () => randomUUID());
    const ids = uids.map(podDictionaryId);
    expect(new Set(ids).size).toBe(uids.length);
    expect(ids.every((id) => /^[A-Za-z0-9_-]{12}$/.test(id))).toBe(true);
    expect(uids.slice(0, 100).map(podDictionaryId)).toStrictEqual(ids.slice(0, 100));
  });

  it('is the uid itself when that is not a lowercase random UUID (the key is then the one the uid named before)', () => {
    for (const uid of ['u1', 'job-uid', '0123ABCD-4567-4890-A1B2-C3D4E5F60718', '0123abcd-4567-4890-a1b2-c3d4e5f607189', '']) expect(podDictionaryId(uid)).toBe(uid);
  });

  it('names the Job dictionary key; podDictionaryOf names the key of a pod d field, short or whole', () => {
    const k = redisKeys('jf');
    const uid = randomUUID();
    expect(k.podDictionary(uid)).toBe(`jf:poddict:${podDictionaryId(uid)}`);
    expect(k.podDictionaryOf(podDictionaryId(uid))).toBe(k.podDictionary(uid));
    expect(k.podDictionaryOf(uid)).toBe(`jf:poddict:${uid}`);
  });
});
