/**
 * batch/v1 CronJob: decoding (the same zod pieces as a Job, so a jobTemplate is read exactly as a
 * Job's spec), defaulting (pkg/apis/batch/v1/defaults.go SetDefaults_CronJob, and the pod defaults
 * of the template) and validation (pkg/apis/batch/validation ValidateCronJobCreate,
 * ValidateCronJobUpdate, validateCronJobSpec, ValidateJobTemplateSpec) with Kubernetes' paths and
 * messages.
 */
import * as z from 'zod';
import { CronScheduleError, isValidTimeZone, parseCronSchedule } from './cron-schedule.js';
import { applyJobDefaults, type JobDefaultsOptions } from './defaults.js';
import { BadRequestError, InvalidError } from './errors.js';
import { forbidden, invalid, notSupported, required, textOf, type FieldError } from './field-errors.js';
import { k8sTime } from './controller/time.js';
import { decodeWith, ignoredSchema, isPlainObject, jobSpecSchema, objectMetaSchema } from './schema.js';
import type { ConcurrencyPolicy, CronJob, CronJobSpec, CronJobStatus, Job, JobSpec } from './types.js';
import { deepEqual, FIELD_IMMUTABLE_MESSAGE, validateJobSpec } from './validation.js';
import { maxLengthMessage, validateJobMetadata, validateNonNegative, LABEL_VALUE_MAX_LENGTH } from './validation-meta.js';
import type { PodPolicy } from './validation-pod.js';

/** The controller appends `-<minutes since epoch>` (11 characters) and a Job name must fit a 63-character label. */
export const CRONJOB_NAME_MAX_LENGTH = 52;
export const CONCURRENCY_POLICIES: readonly ConcurrencyPolicy[] = ['Allow', 'Forbid', 'Replace'];
export const DEFAULT_CONCURRENCY_POLICY: ConcurrencyPolicy = 'Allow';
export const DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT = 3;
export const DEFAULT_FAILED_JOBS_HISTORY_LIMIT = 1;
export const TZ_IN_SCHEDULE_MESSAGE = 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead';
export const TZ_AND_TIMEZONE_MESSAGE = 'cannot use both timeZone field and TZ or CRON_TZ in schedule';
export const LOCAL_TIME_ZONE_MESSAGE = 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones';
export const EMPTY_TIME_ZONE_MESSAGE = 'timeZone must be nil or non-empty string';

/** The prefix of the names of a CronJob's Jobs (`<cronjob>-<minutes since epoch>`). */
export function cronJobJobNamePrefix(cronJobName: string): string {
  return `${cronJobName}-`;
}

const int32 = z.int32();
const int64 = z.int();

const cronJobSpecSchema = z.strictObject({
  schedule: z.string().default(''),
  timeZone: z.string().optional(),
  startingDeadlineSeconds: int64.optional(),
  concurrencyPolicy: z.custom<ConcurrencyPolicy>((v) => typeof v === 'string', { message: 'must be a string' }).optional(),
  suspend: z.boolean().optional(),
  jobTemplate: z.strictObject({ metadata: objectMetaSchema.optional(), spec: jobSpecSchema.prefault({}) }).prefault({}),
  successfulJobsHistoryLimit: int32.optional(),
  failedJobsHistoryLimit: int32.optional(),
});

/** A missing spec or jobTemplate counts as empty, so validation reports what it lacks, as Kubernetes does. */
const cronJobSchema = z.strictObject({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('CronJob'),
  metadata: objectMetaSchema.prefault({}),
  spec: cronJobSpecSchema.prefault({}),
  status: ignoredSchema,
});

type DecodedCronJobShape = z.infer<typeof cronJobSchema>;

export interface ParseCronJobOptions extends JobDefaultsOptions, PodPolicy {
  /**
   * The stored CronJob when `input` replaces it (PUT, PATCH): validates as ValidateCronJobUpdate —
   * no 52-character name limit, a `TZ=` already in the schedule may stay, the time zone is checked
   * only when it changes — plus the update rules of validateCronJobUpdate.
   */
  old?: CronJob;
}

/**
 * A manifest object as a decoded, defaulted and validated CronJob. Throws BadRequestError when it
 * is not a batch/v1 CronJob at all, and InvalidError carrying every problem found otherwise. A
 * `status` in the input is ignored.
 */
export function parseCronJob(input: unknown, options: ParseCronJobOptions = {}): CronJob {
  assertIsCronJobObject(input);
  const { value, errors } = decodeWith(cronJobSchema, input);
  const defaulted = value ? applyCronJobDefaults(value, options) : undefined;
  const policy: PodPolicy = { allowPrivileged: options.allowPrivileged === true };
  const validation = !defaulted
    ? []
    : options.old
      ? [...validateCronJobMetadata(defaulted), ...validateCronJobSpec(defaulted.spec, policy, options.old.spec), ...validateCronJobUpdate(options.old, defaulted)]
      : validateCronJob(defaulted, policy);
  const allErrors = [...errors, ...validation];
  if (!defaulted || allErrors.length > 0) throw new InvalidError({ name: nameOf(input), kind: 'CronJob', errors: allErrors });
  return defaulted;
}

/** Kubernetes answers 400 for these, before any field validation. */
function assertIsCronJobObject(input: unknown): asserts input is Record<string, unknown> {
  if (!isPlainObject(input)) throw new BadRequestError(`expected a CronJob object, got ${typeName(input)}`);
  if (input.kind === undefined || input.kind === '') throw new BadRequestError(`Object 'Kind' is missing in '${preview(input)}'`);
  if (input.apiVersion === undefined || input.apiVersion === '') {
    throw new BadRequestError(`Object 'apiVersion' is missing in '${preview(input)}'`);
  }
  if (input.apiVersion !== 'batch/v1') {
    throw new BadRequestError(`the API version in the data (${textOf(input.apiVersion)}) does not match the expected API version (batch/v1)`);
  }
  if (input.kind !== 'CronJob') {
    throw new BadRequestError(`the kind in the data (${textOf(input.kind)}) does not match the expected kind (CronJob)`);
  }
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'a list' : `a ${typeof value}`;
}

function preview(input: unknown): string {
  const text = JSON.stringify(input);
  return text.length > 256 ? `${text.slice(0, 256)}…` : text;
}

function nameOf(input: Record<string, unknown>): string {
  const metadata = input.metadata;
  return isPlainObject(metadata) && typeof metadata.name === 'string' ? metadata.name : '';
}

/**
 * SetDefaults_CronJob, and for the jobTemplate only what Kubernetes' generated defaulters apply to
 * it: the pod template's defaults. The Job fields (completions, parallelism, backoffLimit …) stay
 * unset in the template, as in Kubernetes; the Job created from it is defaulted as any Job.
 */
function applyCronJobDefaults(decoded: DecodedCronJobShape, options: JobDefaultsOptions): CronJob {
  const copy = structuredClone(decoded);
  if (options.namespace !== undefined && !copy.metadata.namespace) copy.metadata.namespace = options.namespace;
  const spec = copy.spec;
  const templateSpec = spec.jobTemplate.spec as JobSpec;
  const asJob: Job = { apiVersion: 'batch/v1', kind: 'Job', metadata: {}, spec: templateSpec };
  const podTemplate = applyJobDefaults(asJob).spec.template;
  const cronJobSpec: CronJobSpec = {
    ...spec,
    // An empty policy reads as unset, as Go's zero value does.
    concurrencyPolicy: spec.concurrencyPolicy || DEFAULT_CONCURRENCY_POLICY,
    suspend: spec.suspend ?? false,
    jobTemplate: { ...spec.jobTemplate, spec: { ...templateSpec, template: podTemplate } },
    successfulJobsHistoryLimit: spec.successfulJobsHistoryLimit ?? DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT,
    failedJobsHistoryLimit: spec.failedJobsHistoryLimit ?? DEFAULT_FAILED_JOBS_HISTORY_LIMIT,
  };
  return { apiVersion: 'batch/v1', kind: 'CronJob', metadata: copy.metadata, spec: cronJobSpec };
}

/** ValidateCronJobCreate on a decoded, defaulted CronJob. */
export function validateCronJob(cj: CronJob, policy: PodPolicy = {}): FieldError[] {
  const name = cj.metadata.name;
  return [
    ...validateCronJobMetadata(cj),
    ...validateCronJobSpec(cj.spec, policy),
    ...(name && name.length > CRONJOB_NAME_MAX_LENGTH ? [invalid('metadata.name', name, maxLengthMessage(CRONJOB_NAME_MAX_LENGTH))] : []),
  ];
}

/** ValidateObjectMeta with ValidateReplicationControllerName: a DNS subdomain (no 63-character label limit of a Job). */
function validateCronJobMetadata(cj: CronJob): FieldError[] {
  const jobLabelLimit = maxLengthMessage(LABEL_VALUE_MAX_LENGTH);
  return validateJobMetadata(cj.metadata).filter((e) => !(e.field === 'metadata.name' && e.detail === jobLabelLimit));
}

/** validateCronJobSpec; `oldSpec` is the stored spec on an update. */
export function validateCronJobSpec(spec: CronJobSpec, policy: PodPolicy = {}, oldSpec?: CronJobSpec): FieldError[] {
  return [
    ...(spec.schedule === '' ? [required('spec.schedule')] : validateScheduleFormat(spec, oldSpec)),
    ...validateNonNegative(spec.startingDeadlineSeconds, 'spec.startingDeadlineSeconds'),
    ...(oldSpec === undefined || oldSpec.timeZone !== spec.timeZone ? validateTimeZone(spec.timeZone, 'spec.timeZone') : []),
    ...validateConcurrencyPolicy(spec.concurrencyPolicy),
    ...validateJobTemplateSpec(spec.jobTemplate.spec, policy),
    ...validateNonNegative(spec.successfulJobsHistoryLimit, 'spec.successfulJobsHistoryLimit'),
    ...validateNonNegative(spec.failedJobsHistoryLimit, 'spec.failedJobsHistoryLimit'),
  ];
}

function validateScheduleFormat(spec: CronJobSpec, oldSpec: CronJobSpec | undefined): FieldError[] {
  const field = 'spec.schedule';
  const errors: FieldError[] = [];
  try {
    // Kubernetes checks the syntax alone (cron.ParseStandard); the time zone has its own field.
    parseCronSchedule(spec.schedule);
  } catch (err) {
    if (!(err instanceof CronScheduleError)) throw err;
    errors.push(invalid(field, spec.schedule, err.message));
  }
  const allowTZInSchedule = oldSpec !== undefined && oldSpec.schedule.includes('TZ');
  if (allowTZInSchedule && spec.schedule.includes('TZ') && spec.timeZone !== undefined) {
    errors.push(invalid(field, spec.schedule, TZ_AND_TIMEZONE_MESSAGE));
  } else if (!allowTZInSchedule && spec.schedule.includes('TZ')) {
    errors.push(invalid(field, spec.schedule, TZ_IN_SCHEDULE_MESSAGE));
  }
  return errors;
}

const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** validateTimeZone: tz database naming rules, then time.LoadLocation. */
export function validateTimeZone(timeZone: string | undefined, field = 'spec.timeZone'): FieldError[] {
  if (timeZone === undefined) return [];
  if (timeZone === '') return [invalid(field, timeZone, EMPTY_TIME_ZONE_MESSAGE)];
  for (const part of timeZone.split('/')) {
    if (part === '.' || part === '..' || part.startsWith('-') || !TZ_PART.test(part)) {
      return [invalid(field, timeZone, `unknown time zone ${timeZone}`)];
    }
  }
  const errors: FieldError[] = [];
  if (timeZone.toLowerCase() === 'local') errors.push(invalid(field, timeZone, LOCAL_TIME_ZONE_MESSAGE));
  // time.LoadLocation loads "Local" (and "UTC") without a file
  if (timeZone !== 'Local' && timeZone !== 'UTC' && !isValidTimeZone(timeZone)) errors.push(invalid(field, timeZone, `unknown time zone ${timeZone}`));
  return errors;
}

function validateConcurrencyPolicy(policy: string): FieldError[] {
  const field = 'spec.concurrencyPolicy';
  if (policy === '') return [required(field)];
  return (CONCURRENCY_POLICIES as readonly string[]).includes(policy) ? [] : [notSupported(field, policy, CONCURRENCY_POLICIES)];
}

/**
 * ValidateJobTemplateSpec: the Job spec rules at `spec.jobTemplate.spec.…`; the selector is
 * generated for each Job, so the template may not have one nor ask for a manual one.
 */
function validateJobTemplateSpec(spec: JobSpec, policy: PodPolicy): FieldError[] {
  const prefix = 'spec.jobTemplate.spec';
  const withoutSelector: JobSpec = { ...spec, selector: undefined, manualSelector: undefined };
  const jobErrors = validateJobSpec(withoutSelector, policy).map((e) => ({ ...e, field: reroot(e.field, prefix) }));
  return [
    ...jobErrors,
    ...(spec.selector ? [invalid(`${prefix}.selector`, spec.selector, '`selector` will be auto-generated')] : []),
    ...(spec.manualSelector === true ? [notSupported(`${prefix}.manualSelector`, true, ['nil', 'false'])] : []),
  ];
}

/** A Job spec error's path (`spec.…`) under another root. */
function reroot(field: string, prefix: string): string {
  return field === 'spec' ? prefix : field.startsWith('spec.') || field.startsWith('spec[') ? `${prefix}${field.slice(4)}` : field;
}

/**
 * The metadata rules of ValidateCronJobUpdate (ValidateObjectMetaUpdate): name, namespace and uid
 * never change. The spec has no immutable field; validate it with validateCronJobSpec(new, policy,
 * old.spec) (parseCronJob with `old` does both). An empty uid means "keep the stored one".
 */
export function validateCronJobUpdate(oldCronJob: CronJob, newCronJob: CronJob): FieldError[] {
  const [oldMeta, newMeta] = [oldCronJob.metadata, newCronJob.metadata];
  return [
    ...immutable(oldMeta.name ?? '', newMeta.name ?? '', 'metadata.name'),
    ...immutable(oldMeta.namespace ?? '', newMeta.namespace ?? '', 'metadata.namespace'),
    ...(newMeta.uid ? immutable(oldMeta.uid ?? '', newMeta.uid, 'metadata.uid') : []),
  ];
}

function immutable(oldValue: unknown, newValue: unknown, field: string): FieldError[] {
  return deepEqual(oldValue, newValue) ? [] : [invalid(field, newValue, FIELD_IMMUTABLE_MESSAGE)];
}

// ---------------------------------------------------------------------------------------------
// status subresource

/** metav1.Time: RFC 3339, stored as Kubernetes marshals it (UTC, whole seconds). */
const time = z
  .string()
  .refine((v) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v) && !Number.isNaN(Date.parse(v)), {
    message: 'must be a time in RFC 3339 format',
  })
  .transform((v) => k8sTime(Date.parse(v)));

const objectReference = z.strictObject({
  kind: z.string().optional(),
  namespace: z.string().optional(),
  name: z.string().optional(),
  uid: z.string().optional(),
  apiVersion: z.string().optional(),
  resourceVersion: z.string().optional(),
  fieldPath: z.string().optional(),
});

const statusSchema = z.strictObject({
  active: z.array(objectReference).optional(),
  lastScheduleTime: time.optional(),
  lastSuccessfulTime: time.optional(),
});

export interface DecodedCronJobStatus {
  status?: CronJobStatus;
  errors: FieldError[];
}

const STATUS_TYPE_TEXT: Readonly<Record<string, string>> = {
  string: 'must be a string',
  object: 'must be an object',
  array: 'must be a list',
};

/** The status of a request to cronjobs/{name}/status, type-checked; null counts as unset. */
export function decodeCronJobStatus(input: unknown): DecodedCronJobStatus {
  const parsed = statusSchema.safeParse(withoutNulls(input ?? {}));
  if (parsed.success) return { status: withoutUndefined(parsed.data) as CronJobStatus, errors: [] };
  return {
    errors: parsed.error.issues.flatMap((issue): FieldError[] => {
      const path = formatPath(['status', ...issue.path]);
      if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => forbidden(`${path}.${key}`, 'unknown field'));
      const detail = issue.code === 'invalid_type' ? (STATUS_TYPE_TEXT[issue.expected] ?? `must be of type ${issue.expected}`) : issue.message;
      return [invalid(path, valueAt(input, issue.path), detail)];
    }),
  };
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${String(segment)}` : String(segment)), '');
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  return path.reduce<unknown>((node, segment) => (typeof node === 'object' && node !== null ? Reflect.get(node, segment) : undefined), root);
}

function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [k, withoutNulls(v)]));
}

function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (!isPlainObject(value)) return value;
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined).map(([k, v]) => [k, withoutUndefined(v)])) as T;
}
