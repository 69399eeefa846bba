/**
 * What jobfleet asks of a Redis it did not start itself (README, *Configuration*), checked when a
 * role starts so that a Redis set up otherwise is named in its log with the fix, not found out
 * later (a key evicted, memory twice what BENCHMARKS.md says).
 */
import type { JobStore } from './store.js';

/**
 * hash-max-listpack-value jobfleet wants: values up to this many bytes keep a finished pod's hash
 * one listpack (REDIS_SERVER_SETTINGS passes it to the redis-servers jobfleet starts).
 */
export const WANTED_HASH_VALUE_BYTES = 1024;

/**
 * One line per setting that differs from what jobfleet needs, saying what to set. Empty when all is
 * as wanted, or when Redis does not answer CONFIG GET (managed services often rename or forbid it):
 * nothing is then known, and nothing is claimed.
 */
export async function redisSettingsAdvice(store: JobStore): Promise<string[]> {
  const get = async (pattern: string): Promise<string[]> => {
    try {
      return ((await store.redis.config('GET', pattern)) as string[]).filter((_, i) => i % 2 === 1);
    } catch {
      return [];
    }
  };
  const advice: string[] = [];
  const [policy] = await get('maxmemory-policy');
  if (policy !== undefined && policy !== 'noeviction') {
    advice.push(`Redis runs with maxmemory-policy ${policy}: jobfleet requires noeviction (an evicted key loses a Job, a pod or a count); set it (CONFIG SET maxmemory-policy noeviction, and in redis.conf)`);
  }
  // Redis 7 names it hash-max-listpack-value (and answers the old name too), Redis 6 hash-max-ziplist-value.
  const values = (await get('hash-max-*-value')).map(Number).filter((n) => Number.isFinite(n));
  if (values.length > 0 && Math.max(...values) < WANTED_HASH_VALUE_BYTES) {
    advice.push(
      `Redis keeps hashes with a value over ${Math.max(...values)} bytes as hash tables: a finished pod then takes ~840 B of Redis instead of ~530 B; set hash-max-listpack-value ${WANTED_HASH_VALUE_BYTES} (Redis 6: hash-max-ziplist-value; CONFIG SET, and in redis.conf)`,
    );
  }
  return advice;
}
