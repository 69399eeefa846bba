/** What the benchmarks read from Redis about Redis: command counts, CPU, memory, connections. */
import type { Redis } from 'ioredis';

export type CommandStats = Record<string, { calls: number; usec: number }>;

function infoFields(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\r\n')) {
    const i = line.indexOf(':');
    if (i > 0 && !line.startsWith('#')) out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

export async function commandStats(redis: Redis): Promise<CommandStats> {
  const text = await redis.info('commandstats');
  const out: CommandStats = {};
  for (const [key, value] of infoFields(text)) {
    if (!key.startsWith('cmdstat_')) continue;
    const fields = Object.fromEntries(value.split(',').map((kv) => kv.split('=') as [string, string]));
    out[key.slice('cmdstat_'.length)] = { calls: Number(fields.calls ?? 0), usec: Number(fields.usec ?? 0) };
  }
  return out;
}

export function diffCommandStats(before: CommandStats, after: CommandStats): CommandStats {
  const out: CommandStats = {};
  for (const [cmd, a] of Object.entries(after)) {
    const b = before[cmd] ?? { calls: 0, usec: 0 };
    const calls = a.calls - b.calls;
    if (calls > 0) out[cmd] = { calls, usec: a.usec - b.usec };
  }
  return out;
}

export function addCommandStats(into: CommandStats, more: CommandStats): CommandStats {
  for (const [cmd, s] of Object.entries(more)) {
    const t = (into[cmd] ??= { calls: 0, usec: 0 });
    t.calls += s.calls;
    t.usec += s.usec;
  }
  return into;
}

/**
 * Commands per unit (pod or job), most frequent first. Commands that Lua scripts run (redis.call)
 * are counted by Redis as well, under their own name; `evalsha`/`eval` are the script calls
 * themselves.
 */
export function perUnit(stats: CommandStats, units: number): { command: string; perUnit: number; usecPerUnit: number; usecPerCall: number }[] {
  return Object.entries(stats)
    .map(([command, s]) => ({ command, perUnit: s.calls / units, usecPerUnit: s.usec / units, usecPerCall: s.calls ? s.usec / s.calls : 0 }))
    .sort((x, y) => y.perUnit - x.perUnit);
}

/** Redis server CPU seconds (user + sys) so far. */
export async function redisCpuSeconds(redis: Redis): Promise<number> {
  const f = infoFields(await redis.info('cpu'));
  return Number(f.get('used_cpu_user') ?? 0) + Number(f.get('used_cpu_sys') ?? 0);
}

/** Bytes Redis has read from and written to its clients so far (INFO stats). */
export async function netBytes(redis: Redis): Promise<{ input: number; output: number }> {
  const f = infoFields(await redis.info('stats'));
  return { input: Number(f.get('total_net_input_bytes') ?? 0), output: Number(f.get('total_net_output_bytes') ?? 0) };
}

export async function usedMemory(redis: Redis): Promise<number> {
  return Number(infoFields(await redis.info('memory')).get('used_memory') ?? 0);
}

export async function serverInfo(redis: Redis): Promise<{ version: string; maxmemoryPolicy: string; appendonly: string }> {
  const server = infoFields(await redis.info('server'));
  const policy = (await redis.config('GET', 'maxmemory-policy')) as string[];
  const aof = (await redis.config('GET', 'appendonly')) as string[];
  return { version: server.get('redis_version') ?? '?', maxmemoryPolicy: policy[1] ?? '?', appendonly: aof[1] ?? '?' };
}

export interface ClientInfo {
  id: string;
  name: string;
  cmd: string;
}

export async function clientList(redis: Redis): Promise<ClientInfo[]> {
  const text = (await redis.client('LIST')) as string;
  return text
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const f = Object.fromEntries(line.trim().split(' ').map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]));
      return { id: f.id ?? '', name: f.name ?? '', cmd: f.cmd ?? '' };
    });
}

/** Connections whose client name mentions the prefix (BullMQ names its connections "<prefix>:<queue>"). */
export function countByName(clients: ClientInfo[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const c of clients) out[c.name || '(unnamed)'] = (out[c.name || '(unnamed)'] ?? 0) + 1;
  return out;
}

/** How a key is classified for the memory breakdown: its prefix with names and uids cut off. */
export function keyClass(key: string, prefix: string): string {
  if (!key.startsWith(prefix)) return 'other';
  const rest = key.slice(prefix.length);
  if (rest.startsWith('q:')) {
    // BullMQ: <prefix>q:<queue>:<id> for a job hash, <prefix>q:<queue>:<kind> otherwise
    const parts = rest.split(':');
    const queue = parts[1] ?? '';
    if (queue === 'timers') return 'sync timers (SET per Job)';
    const tail = parts.slice(2).join(':');
    if (/^(pod|sync)-/.test(tail)) return `bullmq ${queue} task hash`;
    return `bullmq ${queue}:${tail.replace(/:.*/, '')}`;
  }
  const [kind = ''] = rest.slice(1).split(':');
  return kind;
}

export interface MemoryClass {
  class: string;
  keys: number;
  sampled: number;
  /** Estimated total bytes: average MEMORY USAGE of the sampled keys × keys. */
  bytes: number;
}

/**
 * Memory by key class: SCAN every key of the prefix, MEMORY USAGE (all samples) of up to
 * `samplePerClass` keys of each class, extrapolated to the class's key count.
 */
export async function memoryBreakdown(redis: Redis, prefix: string, samplePerClass = 100): Promise<MemoryClass[]> {
  const classes = new Map<string, string[]>();
  const counts = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 2000);
    cursor = next;
    for (const key of keys) {
      const c = keyClass(key, prefix);
      counts.set(c, (counts.get(c) ?? 0) + 1);
      const sample = classes.get(c) ?? [];
      if (sample.length < samplePerClass) sample.push(key);
      classes.set(c, sample);
    }
  } while (cursor !== '0');
  const out: MemoryClass[] = [];
  for (const [c, sample] of classes) {
    const pipeline = redis.pipeline();
    for (const key of sample) pipeline.memory('USAGE', key, 'SAMPLES', 0);
    const replies = (await pipeline.exec()) ?? [];
    const sizes = replies.map(([, v]) => Number(v ?? 0));
    const avg = sizes.reduce((a, b) => a + b, 0) / Math.max(1, sizes.length);
    const keys = counts.get(c) ?? 0;
    out.push({ class: c, keys, sampled: sample.length, bytes: Math.round(avg * keys) });
  }
  return out.sort((a, b) => b.bytes - a.bytes);
}
