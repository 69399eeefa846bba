/** Small helpers of the benchmarks: statistics, progress lines on stderr, timing. */
import { performance } from 'node:perf_hooks';

const started = performance.now();

/** A progress line on stderr, prefixed with the time since the benchmark started. */
export function progress(message: string): void {
  process.stderr.write(`[bench ${((performance.now() - started) / 1000).toFixed(1).padStart(6)}s] ${message}\n`);
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Wall time of fn in ms, with its result. */
export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
}

/** Runs `tasks` with at most `limit` at once (a sliding window, like a Job's parallelism). */
export async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    for (;;) {
      const i = next++;
      if (i >= count) return;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, lane));
  return results;
}

/**
 * Alternates A and B for `rounds` rounds (A B A B …) and returns every sample of each. A warm-up
 * run of each, not recorded, comes first when `warmup` is set.
 */
export async function alternate<A, B>(
  rounds: number,
  a: (round: number) => Promise<A>,
  b: (round: number) => Promise<B>,
  opts: { warmup?: boolean; label?: string } = {},
): Promise<{ a: A[]; b: B[] }> {
  if (opts.warmup) {
    progress(`${opts.label ?? ''} warm-up`);
    await a(-1);
    await b(-1);
  }
  const out: { a: A[]; b: B[] } = { a: [], b: [] };
  for (let r = 0; r < rounds; r++) {
    out.a.push(await a(r));
    out.b.push(await b(r));
  }
  return out;
}

/** CPU and event-loop use of this process over a measured stretch. */
export function processMeter(): () => { cpuMs: number; eventLoopUtilization: number } {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const elu = performance.eventLoopUtilization(elu0);
    return { cpuMs: (cpu.user + cpu.system) / 1000, eventLoopUtilization: elu.utilization };
  };
}
