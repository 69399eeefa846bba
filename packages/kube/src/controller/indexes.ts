/**
 * Completion indexes as Kubernetes prints them in status.completedIndexes / failedIndexes: "0-2,4,7-9".
 * Mirrors orderedIntervals in pkg/controller/job/indexed_job_utils.go. Every operation works on the
 * intervals, never index by index, so "0-99999" costs one interval, not 100,000 numbers.
 */
export interface Interval {
  first: number;
  last: number;
}

export type OrderedIntervals = Interval[];

/**
 * Parses an index list written by anyone (the controller, a status writer, a success policy):
 * parts that are not `N` or `N-M` with N ≤ M are skipped, the rest is ordered and merged. With
 * `completions`, indexes from it on are dropped, as Kubernetes' parseIndexesFromString does.
 */
export function parseIndexes(text: string | undefined, completions?: number): OrderedIntervals {
  if (!text) return [];
  const parts: Interval[] = [];
  for (const part of text.split(',')) {
    const [a, b, extra] = part.split('-');
    if (extra !== undefined) continue;
    const first = Number(a);
    let last = b === undefined ? first : Number(b);
    if (!isIndex(a) || (b !== undefined && !isIndex(b)) || last < first) continue;
    if (completions !== undefined) {
      if (first >= completions) continue;
      last = Math.min(last, completions - 1);
    }
    parts.push({ first, last });
  }
  return mergeIntervals(parts);
}

function isIndex(text: string | undefined): boolean {
  return text !== undefined && /^\d{1,15}$/.test(text);
}

/** Sorts and merges intervals that overlap or touch. */
function mergeIntervals(intervals: Interval[]): OrderedIntervals {
  const sorted = [...intervals].sort((x, y) => x.first - y.first);
  const out: OrderedIntervals = [];
  for (const iv of sorted) {
    const lastInterval = out[out.length - 1];
    if (lastInterval && iv.first <= lastInterval.last + 1) lastInterval.last = Math.max(lastInterval.last, iv.last);
    else out.push({ first: iv.first, last: iv.last });
  }
  return out;
}

/** Adds indexes (any order, duplicates allowed) and returns the merged, ordered intervals. */
export function withIndexes(intervals: OrderedIntervals, added: Iterable<number>): OrderedIntervals {
  return mergeIntervals([...intervals, ...[...added].map((i) => ({ first: i, last: i }))]);
}

/** The union of several interval lists. */
export function unionIndexes(...lists: OrderedIntervals[]): OrderedIntervals {
  return mergeIntervals(lists.flat());
}

export function totalIndexes(intervals: OrderedIntervals): number {
  return intervals.reduce((n, iv) => n + iv.last - iv.first + 1, 0);
}

/** Binary search, as Kubernetes' orderedIntervals.has. */
export function hasIndex(intervals: OrderedIntervals, index: number): boolean {
  let lo = 0;
  let hi = intervals.length;
  while (hi > lo) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if ((intervals[mid]?.last ?? -1) >= index) hi = mid;
    else lo = mid + 1;
  }
  const found = intervals[hi];
  return found !== undefined && found.first <= index;
}

/** Kubernetes' orderedIntervals.String(): a range of two prints as "1,2", of three or more as "1-3". */
export function formatIndexes(intervals: OrderedIntervals): string {
  return intervals
    .map((iv) => (iv.first === iv.last ? `${iv.first}` : `${iv.first}${iv.last === iv.first + 1 ? ',' : '-'}${iv.last}`))
    .join(',');
}

/**
 * The `count` lowest indexes in [0, completions) that are neither in `done` (completed, failed)
 * nor taken by a pod; bounded by the intervals and `count`, not by `completions`.
 */
export function firstPendingIndexes(done: OrderedIntervals, taken: ReadonlySet<number>, count: number, completions: number): number[] {
  const out: number[] = [];
  if (count <= 0) return out;
  const nonPending = withIndexes(done, taken);
  let candidate = 0;
  for (const iv of nonPending) {
    for (; candidate < completions && out.length < count && candidate < iv.first; candidate++) out.push(candidate);
    candidate = Math.max(candidate, iv.last + 1);
  }
  for (; candidate < completions && out.length < count; candidate++) out.push(candidate);
  return out;
}

/**
 * Checks an index list as the API server does (validateIndexesFormat in pkg/apis/batch/validation):
 * ordered intervals below `completions`, with Kubernetes' messages. Returns how many indexes it holds.
 */
export function validateIndexesFormat(text: string, completions: number): { total: number } | { error: string } {
  if (text.length === 0) return { total: 0 };
  let previous: number | undefined;
  let total = 0;
  for (const part of text.split(',')) {
    const parsed = parseIndexInterval(part, completions);
    if ('error' in parsed) return parsed;
    const [x, y] = parsed.interval;
    if (previous !== undefined && previous >= x) return { error: `non-increasing order, previous: ${previous}, current: ${x}` };
    total += y - x + 1;
    previous = y;
  }
  return { total };
}

function parseIndexInterval(text: string, completions: number): { interval: [number, number] } | { error: string } {
  const limits = text.split('-');
  if (limits.length > 2) {
    return { error: `the fragment ${JSON.stringify(text)} violates the requirement that an index interval can have at most two parts separated by '-'` };
  }
  const [a = '', b] = limits;
  const x = atoi(a);
  if (x === undefined) return { error: `cannot convert string to integer for index: ${JSON.stringify(a)}` };
  if (x >= completions) return { error: `too large index: ${JSON.stringify(a)}` };
  if (b === undefined) return { interval: [x, x] };
  const y = atoi(b);
  if (y === undefined) return { error: `cannot convert string to integer for index: ${JSON.stringify(b)}` };
  if (y >= completions) return { error: `too large index: ${JSON.stringify(b)}` };
  if (x >= y) return { error: `non-increasing order, previous: ${x}, current: ${y}` };
  return { interval: [x, y] };
}

/** Go's strconv.Atoi: an optional sign and decimal digits, within int64 (exact here up to 2^53). */
function atoi(text: string): number | undefined {
  if (!/^[+-]?\d{1,18}$/.test(text)) return undefined;
  return Number(text);
}
