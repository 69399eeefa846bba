/**
 * Completion indexes as Kubernetes prints them in status.completedIndexes: "0-2,4,7-9".
 * Mirrors orderedIntervals in pkg/controller/job/indexed_job_utils.go.
 */
export interface Interval {
  first: number;
  last: number;
}

export type OrderedIntervals = Interval[];

export function parseIndexes(text: string | undefined): OrderedIntervals {
  if (!text) return [];
  const indexes: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-');
    const first = Number(a);
    const last = b === undefined ? first : Number(b);
    if (!Number.isInteger(first) || !Number.isInteger(last) || last < first) continue;
    for (let i = first; i <= last; i++) indexes.push(i);
  }
  return withIndexes([], indexes);
}

/** Adds indexes (any order, duplicates allowed) and returns the merged, ordered intervals. */
export function withIndexes(intervals: OrderedIntervals, added: Iterable<number>): OrderedIntervals {
  const all = new Set<number>();
  for (const iv of intervals) for (let i = iv.first; i <= iv.last; i++) all.add(i);
  for (const i of added) all.add(i);
  const sorted = [...all].sort((x, y) => x - y);
  const out: OrderedIntervals = [];
  for (const i of sorted) {
    const lastInterval = out[out.length - 1];
    if (lastInterval && lastInterval.last + 1 === i) lastInterval.last = i;
    else out.push({ first: i, last: i });
  }
  return out;
}

export function totalIndexes(intervals: OrderedIntervals): number {
  return intervals.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
}

export function hasIndex(intervals: OrderedIntervals, index: number): boolean {
  return intervals.some((iv) => index >= iv.first && index <= iv.last);
}

/** Kubernetes' orderedIntervals.String(): a range of two prints as "1,2", of three or more as "1-3". */
export function formatIndexes(intervals: OrderedIntervals): string {
  return intervals
    .map((iv) => (iv.first === iv.last ? `${iv.first}` : `${iv.first}${iv.last === iv.first + 1 ? ',' : '-'}${iv.last}`))
    .join(',');
}

/** The `count` lowest indexes in [0, completions) that are neither completed nor taken. */
export function firstPendingIndexes(
  completed: OrderedIntervals,
  taken: ReadonlySet<number>,
  count: number,
  completions: number,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < completions && out.length < count; i++) {
    if (!taken.has(i) && !hasIndex(completed, i)) out.push(i);
  }
  return out;
}
