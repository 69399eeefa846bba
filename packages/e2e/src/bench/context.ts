import type { BenchRedis } from './fleet.js';

export type Mode = 'quick' | 'full';

export interface BenchContext {
  mode: Mode;
  redis: BenchRedis;
  /** Rounds of each side of an A/B comparison. */
  rounds: number;
  /** Take a CPU profile of one extra control-plane run. */
  profile: boolean;
  /** Where profiles go (not the results directory: they are large). */
  profileDir: string;
  /** Overrides of sizes from the command line (--set key=value). */
  sizes: Record<string, number>;
}

/** A size for this mode, unless overridden with --set name=value. */
export function size(ctx: BenchContext, name: string, quick: number, full: number): number {
  return ctx.sizes[name] ?? (ctx.mode === 'quick' ? quick : full);
}

/** One row of the results table. */
export interface Row {
  id: string;
  name: string;
  /** e.g. "≤ 1.10×"; "" when the row only informs. */
  target: string;
  value: number;
  unit: string;
  /** true/false against the target; undefined when there is none. */
  pass?: boolean;
  detail?: string;
}
