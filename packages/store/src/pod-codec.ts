import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import type { Pod } from '@jobfleet/kube';
import type { Keys } from './keys.js';

/** Marks a compressed object; anything else is plain JSON. */
const COMPRESSED = 'Z1:';
const CACHE_SIZE = 2_000;

/**
 * Compresses pods with their Job's dictionary (`podDictionary`, stored once per Job in Redis), so a
 * finished pod costs tens of bytes instead of kilobytes, in its hash and in the change stream.
 * The dictionary lives in Redis rather than being recomputed, so processes of different versions
 * always agree on it.
 */
export class PodCodec {
  private readonly cache = new Map<string, Buffer | null>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {}

  /** The object to store for a pod, and the id of the dictionary it needs (empty: plain JSON). */
  async encode(json: string, pod: Pod): Promise<{ obj: string; dict: string }> {
    const dictId = pod.metadata.ownerReferences?.[0]?.uid ?? '';
    const dictionary = dictId ? await this.dictionary(dictId) : null;
    if (!dictionary) return { obj: json, dict: '' };
    return { obj: COMPRESSED + deflateRawSync(json, { dictionary }).toString('base64'), dict: dictId };
  }

  /**
   * The JSON text of a stored object, with its resourceVersion set. Undefined when its dictionary
   * is gone: the Job was deleted (with its pods) since the object was read.
   */
  async decode(obj: string, dictId: string | null | undefined, rv: string): Promise<string | undefined> {
    if (!obj.startsWith(COMPRESSED)) return obj;
    const dictionary = dictId ? await this.dictionary(dictId) : null;
    if (!dictionary) return undefined;
    const json = inflateRawSync(Buffer.from(obj.slice(COMPRESSED.length), 'base64'), { dictionary }).toString('utf8');
    return withResourceVersion(json, rv);
  }

  private async dictionary(jobUid: string): Promise<Buffer | null> {
    const cached = this.cache.get(jobUid);
    if (cached) return cached;
    const value = await this.redis.getBuffer(this.keys.podDictionary(jobUid));
    if (value) {
      if (this.cache.size >= CACHE_SIZE) this.cache.delete(this.cache.keys().next().value as string);
      this.cache.set(jobUid, value);
    }
    return value;
  }
}

/** Puts the resourceVersion into an object's JSON (its first metadata field, as encodeObject writes it). */
function withResourceVersion(json: string, rv: string): string {
  return json.replace(/"resourceVersion":"[^"]*"/, `"resourceVersion":"${rv}"`);
}
