/**
 * Writes to jobs/{name}/status, as the Kubernetes API server takes them: the status strategy keeps
 * the stored spec (PrepareForUpdate) and validates the new status with ValidateJobUpdateStatus and
 * the options of a 1.33 server (JobManagedBy on, pkg/registry/batch/job/strategy.go
 * getStatusValidationOptions): counts never negative, terminal conditions never undone, counters
 * never decreasing, completedIndexes and failedIndexes well-formed — each transition rule checked
 * only when the fields it is about change, so that a status the controller will fix soon does not
 * block unrelated writes. This is how a controller named by spec.managedBy reports a Job's progress.
 */
import * as z from 'zod';
import { forbidden, invalid, OMIT_VALUE, required, type FieldError } from './field-errors.js';
import { k8sTime } from './controller/time.js';
import type { Job, JobCondition, JobConditionType, JobStatus } from './types.js';

const int32 = z.int32();
/** metav1.Time: RFC 3339, stored as Kubernetes marshals it (UTC, whole seconds). */
const time = z
  .string()
  .refine((v) => !Number.isNaN(Date.parse(v)), { message: 'must be a time in RFC 3339 format' })
  .transform((v) => k8sTime(Date.parse(v)));

const conditionSchema = z.strictObject({
  type: z.string(),
  status: z.string(),
  reason: z.string().optional(),
  message: z.string().optional(),
  lastProbeTime: time.optional(),
  lastTransitionTime: time.optional(),
});

const statusSchema = z.strictObject({
  active: int32.optional(),
  ready: int32.optional(),
  succeeded: int32.optional(),
  failed: int32.optional(),
  terminating: int32.optional(),
  startTime: time.optional(),
  completionTime: time.optional(),
  completedIndexes: z.string().optional(),
  failedIndexes: z.string().optional(),
  conditions: z.array(conditionSchema).optional(),
  uncountedTerminatedPods: z.strictObject({ succeeded: z.array(z.string()).optional(), failed: z.array(z.string()).optional() }).optional(),
});

export interface DecodedJobStatus {
  status?: JobStatus;
  errors: FieldError[];
}

/** The status of a request, type-checked; null counts as unset. */
export function decodeJobStatus(input: unknown): DecodedJobStatus {
  const parsed = statusSchema.safeParse(withoutNulls(input ?? {}));
  if (parsed.success) return { status: parsed.data as JobStatus, errors: [] };
  return {
    errors: parsed.error.issues.flatMap((issue): FieldError[] => {
      const path = formatPath(['status', ...issue.path]);
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => forbidden(`${path}.${key}`, 'unknown field'));
      const detail = issue.code === 'invalid_type' ? (TYPE_TEXT[issue.expected] ?? `must be of type ${issue.expected}`) : issue.message;
      return [invalid(path, valueAt(input, issue.path), detail)];
    }),
  };
}

const TYPE_TEXT: Readonly<Record<string, string>> = {
  number: 'must be an integer',
  int: 'must be an integer',
  string: 'must be a string',
  object: 'must be an object',
  array: 'must be a list',
};

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${String(segment)}` : String(segment)), '');
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let current = value;
  for (const segment of path) current = typeof current === 'object' && current !== null ? (current as Record<PropertyKey, unknown>)[segment] : undefined;
  return current;
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, withoutNulls(v)]));
}

function isTrue(status: JobStatus | undefined, type: JobConditionType): boolean {
  return (status?.conditions ?? []).some((c: JobCondition) => c.type === type && c.status === 'True');
}

const isComplete = (s: JobStatus) => isTrue(s, 'Complete');
const isFailed = (s: JobStatus) => isTrue(s, 'Failed');
const isFinished = (s: JobStatus) => isComplete(s) || isFailed(s);
const isFailureTarget = (s: JobStatus) => isTrue(s, 'FailureTarget');
const isSuccessCriteriaMet = (s: JobStatus) => isTrue(s, 'SuccessCriteriaMet');

/**
 * The errors of a status write (ValidateJobStatusUpdate with 1.33's options). `oldJob` is the
 * stored Job, `status` the requested status; the spec is the stored one.
 */
export function validateJobStatusUpdate(oldJob: Job, status: JobStatus): FieldError[] {
  const old = oldJob.status ?? {};
  const spec = oldJob.spec;
  const errors: FieldError[] = [];
  const changed = (a: unknown, b: unknown) => JSON.stringify(a ?? null) !== JSON.stringify(b ?? null);
  const indexed = spec.completionMode === 'Indexed';
  const finishedChanged = isFinished(old) !== isFinished(status);
  const completeChanged = isComplete(old) !== isComplete(status);
  const failedChanged = isFailed(old) !== isFailed(status);
  const failureTargetChanged = isFailureTarget(old) !== isFailureTarget(status);
  const successMetChanged = isSuccessCriteriaMet(old) !== isSuccessCriteriaMet(status);
  const completedIndexesChanged = (old.completedIndexes ?? '') !== (status.completedIndexes ?? '');
  const failedIndexesChanged = changed(old.failedIndexes, status.failedIndexes);
  const activeChanged = (old.active ?? 0) !== (status.active ?? 0);
  const startChanged = changed(old.startTime, status.startTime);
  const completionChanged = changed(old.completionTime, status.completionTime);
  const uncountedChanged = changed(old.uncountedTerminatedPods, status.uncountedTerminatedPods);
  const readyChanged = changed(old.ready, status.ready);
  const terminatingChanged = changed(old.terminating, status.terminating);
  const path = (field: string) => `status.${field}`;
  const conditions = (detail: string) => errors.push(invalid(path('conditions'), OMIT_VALUE, detail));

  // validateJobStatus
  for (const field of ['active', 'succeeded', 'failed', 'ready', 'terminating'] as const) {
    const value = status[field];
    if (value !== undefined && value < 0) errors.push(invalid(path(field), value, 'must be greater than or equal to 0'));
  }
  const uncounted = status.uncountedTerminatedPods;
  if (uncounted) {
    const seen = new Set<string>();
    for (const kind of ['succeeded', 'failed'] as const) {
      (uncounted[kind] ?? []).forEach((uid, i) => {
        const p = `${path('uncountedTerminatedPods')}.${kind}[${i}]`;
        if (uid === '') errors.push(invalid(p, uid, 'must not be empty'));
        else if (seen.has(uid)) errors.push({ type: 'FieldValueDuplicate', field: p, badValue: uid, detail: '' });
        else seen.add(uid);
      });
    }
  }
  if ((completeChanged || failedChanged) && isComplete(status) && isFailed(status)) conditions('cannot set Complete=True and Failed=true conditions');
  if ((completeChanged || failureTargetChanged) && isComplete(status) && isFailureTarget(status)) conditions('cannot set Complete=True and FailureTarget=true conditions');
  if ((completeChanged || completionChanged) && status.completionTime !== undefined && !isComplete(status)) {
    errors.push(invalid(path('completionTime'), status.completionTime, 'cannot set completionTime when there is no Complete=True condition'));
  }
  if ((completeChanged || completionChanged) && status.completionTime === undefined && isComplete(status)) {
    errors.push(required(path('completionTime'), 'completionTime is required for Complete jobs'));
  }
  if ((startChanged || completionChanged) && status.startTime && status.completionTime && Date.parse(status.completionTime) < Date.parse(status.startTime)) {
    errors.push(invalid(path('completionTime'), status.completionTime, 'completionTime cannot be set before startTime'));
  }
  if ((failedChanged || failureTargetChanged) && isFailed(status) && !isFailureTarget(status)) conditions('cannot set Failed=True condition without the FailureTarget=true condition');
  if ((completeChanged || successMetChanged) && isComplete(status) && !isSuccessCriteriaMet(status)) {
    conditions('cannot set Complete=True condition without the SuccessCriteriaMet=true condition');
  }
  const finished = isFinished(status);
  if ((finishedChanged || activeChanged) && (status.active ?? 0) > 0 && finished) errors.push(invalid(path('active'), status.active, 'active>0 is invalid for finished job'));
  if ((finishedChanged || startChanged) && status.startTime === undefined && finished) errors.push(required(path('startTime'), 'startTime is required for finished job'));
  if ((finishedChanged || uncountedChanged) && finished && (uncounted?.failed?.length ?? 0) + (uncounted?.succeeded?.length ?? 0) > 0) {
    errors.push(invalid(path('uncountedTerminatedPods'), uncounted, 'uncountedTerminatedPods needs to be empty for finished job'));
  }
  const completions = spec.completions ?? undefined;
  if (completedIndexesChanged && completions !== undefined) {
    const problem = indexesProblem(status.completedIndexes ?? '', completions);
    if (problem) errors.push(invalid(path('completedIndexes'), status.completedIndexes ?? '', `error parsing completedIndexes: ${problem}`));
  }
  if (failedIndexesChanged && completions !== undefined && spec.backoffLimitPerIndex !== undefined && status.failedIndexes !== undefined) {
    const problem = indexesProblem(status.failedIndexes, completions);
    if (problem) errors.push(invalid(path('failedIndexes'), status.failedIndexes, `error parsing failedIndexes: ${problem}`));
  }
  if (completedIndexesChanged && (status.completedIndexes ?? '') !== '' && !indexed) {
    errors.push(invalid(path('completedIndexes'), status.completedIndexes, 'cannot set non-empty completedIndexes when non-indexed completion mode'));
  }
  if (failedIndexesChanged && spec.backoffLimitPerIndex === undefined && status.failedIndexes !== undefined) {
    errors.push(invalid(path('failedIndexes'), status.failedIndexes, 'cannot set non-null failedIndexes when backoffLimitPerIndex is null'));
  }
  if ((failedIndexesChanged || completedIndexesChanged) && completions !== undefined && status.failedIndexes !== undefined) {
    const overlap = overlapProblem(status.completedIndexes ?? '', status.failedIndexes, completions);
    if (overlap) errors.push(invalid(path('failedIndexes'), status.failedIndexes, overlap));
  }
  if ((finishedChanged || terminatingChanged) && (status.terminating ?? 0) > 0 && finished) {
    errors.push(invalid(path('terminating'), status.terminating, 'terminating>0 is invalid for finished job'));
  }
  if ((readyChanged || activeChanged) && status.ready !== undefined && status.ready > (status.active ?? 0)) {
    errors.push(invalid(path('ready'), status.ready, 'cannot set more ready pods than active'));
  }
  if (isSuccessCriteriaMet(status) && isFailed(status)) conditions('cannot set SuccessCriteriaMet=True and Failed=true conditions');
  if (isSuccessCriteriaMet(status) && isFailureTarget(status)) conditions('cannot set SuccessCriteriaMet=True and FailureTarget=true conditions');
  if (spec.successPolicy && !isSuccessCriteriaMet(status) && isComplete(status)) {
    conditions('cannot set Complete=True for Job with SuccessPolicy unless SuccessCriteriaMet=True');
  }

  // ValidateJobStatusUpdate
  for (const type of ['Failed', 'Complete', 'FailureTarget'] as const) {
    if (isTrue(old, type) && !isTrue(status, type)) conditions(`cannot disable the terminal ${type}=True condition`);
  }
  if ((status.failed ?? 0) < (old.failed ?? 0)) errors.push(invalid(path('failed'), status.failed ?? 0, 'cannot decrease the failed counter'));
  // An Indexed Job whose completions equal its parallelism may be scaled down (elastic Indexed Jobs).
  const mayDecreaseSucceeded = indexed && spec.completions === spec.parallelism;
  if (!mayDecreaseSucceeded && (status.succeeded ?? 0) < (old.succeeded ?? 0)) {
    errors.push(invalid(path('succeeded'), status.succeeded ?? 0, 'cannot decrease the succeeded counter'));
  }
  if (status.completionTime !== undefined && old.completionTime !== undefined && Date.parse(status.completionTime) !== Date.parse(old.completionTime)) {
    errors.push(invalid(path('completionTime'), status.completionTime, 'completionTime cannot be mutated'));
  }
  if (startChanged && old.startTime !== undefined && !spec.suspend) {
    errors.push(required(path('startTime'), 'startTime cannot be removed for unsuspended job'));
  }
  if (isSuccessCriteriaMet(old) && !isSuccessCriteriaMet(status)) conditions('cannot disable the SuccessCriteriaMet=True condition');
  if (isComplete(old) && !isSuccessCriteriaMet(old) && isSuccessCriteriaMet(status)) {
    conditions('cannot set SuccessCriteriaMet=True for Job already has Complete=true conditions');
  }
  return errors;
}

/** validateIndexesFormat's error, if any: intervals "x" or "x-y", increasing, below completions. */
export function indexesProblem(text: string, completions: number): string | undefined {
  if (text === '') return undefined;
  let last: number | undefined;
  for (const interval of text.split(',')) {
    const parsed = parseInterval(interval, completions);
    if (typeof parsed === 'string') return parsed;
    const [x, y] = parsed;
    if (last !== undefined && last >= x) return `non-increasing order, previous: ${last}, current: ${x}`;
    last = y;
  }
  return undefined;
}

function parseInterval(interval: string, completions: number): [number, number] | string {
  const limits = interval.split('-');
  if (limits.length > 2) return `the fragment ${JSON.stringify(interval)} violates the requirement that an index interval can have at most two parts separated by '-'`;
  const toInt = (text: string) => (/^[+-]?\d+$/.test(text) ? Number(text) : undefined);
  const [first = '', second] = limits;
  const x = toInt(first);
  if (x === undefined) return `cannot convert string to integer for index: ${JSON.stringify(first)}`;
  if (x >= completions) return `too large index: ${JSON.stringify(first)}`;
  if (second === undefined) return [x, x];
  const y = toInt(second);
  if (y === undefined) return `cannot convert string to integer for index: ${JSON.stringify(second)}`;
  if (y >= completions) return `too large index: ${JSON.stringify(second)}`;
  if (x >= y) return `non-increasing order, previous: ${x}, current: ${y}`;
  return [x, y];
}

/** validateFailedIndexesNotOverlapCompleted: intervals that cannot be parsed are left to the format check. */
function overlapProblem(completed: string, failed: string, completions: number): string | undefined {
  if (completed === '' || failed === '') return undefined;
  const parse = (text: string) => text.split(',').map((i) => parseInterval(i, completions)).filter((p): p is [number, number] => typeof p !== 'string');
  for (const [cx, cy] of parse(completed)) {
    for (const [fx, fy] of parse(failed)) {
      if (cx <= fy && fx <= cy) return `failedIndexes and completedIndexes overlap at index: ${Math.max(cx, fx)}`;
    }
  }
  return undefined;
}
