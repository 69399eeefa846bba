/** Helpers for tests about time: polling for a state, and how many pods ran at once. */
import type { JobfleetClient } from '@jobfleet/client';
import type { Pod } from '@jobfleet/kube';

/** Polls `check` until it returns a value (not undefined, not false); past `timeoutMs`, fails saying what was awaited, the last error and what `seen` shows. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs: number, what: string, seen?: () => Promise<unknown>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    const value = await check().catch((err: unknown) => {
      last = err;
      return undefined;
    });
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) {
      const state = seen ? `; seen: ${JSON.stringify(await seen().catch(String))}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}${state}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface Interval {
  start: number;
  end: number;
  /** What it counts for (a pod's CPU request, say); 1 when unset. */
  weight?: number;
}

/**
 * When each pod that started ran, from the log timestamps (ms) of its "start" and "end" lines.
 * A pod killed with its worker has no "end" line: its container was removed before the pod was
 * marked Failed (finishedAt, whole seconds), and only then could a replacement start.
 */
export async function runIntervals(client: JobfleetClient, pods: Pod[]): Promise<Interval[]> {
  const out: Interval[] = [];
  for (const p of pods) {
    const text = await client.logs(p.metadata.name ?? '', { timestamps: true }).catch(() => '');
    const at = (word: string) => Date.parse(text.split('\n').find((l) => l.endsWith(` ${word}`))?.split(' ')[0] ?? '');
    const start = at('start');
    if (Number.isNaN(start)) continue;
    const end = at('end');
    const killedAt = Math.max(start, Date.parse(p.status.containerStatuses?.[0]?.state.terminated?.finishedAt ?? ''));
    out.push({ start, end: Number.isNaN(end) ? killedAt : end });
  }
  return out;
}

/** The most intervals (or the largest sum of their weights) that overlap at one instant; one that ends as another starts does not overlap it. */
export function maxOverlap(intervals: Interval[]): number {
  const points = intervals.flatMap((i) => [
    { t: i.start, d: i.weight ?? 1 },
    { t: i.end, d: -(i.weight ?? 1) },
  ]);
  points.sort((a, b) => a.t - b.t || a.d - b.d);
  let current = 0;
  let max = 0;
  for (const p of points) max = Math.max(max, (current += p.d));
  return max;
}
