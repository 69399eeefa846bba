/**
 * The shape of the Job manifests jobfleet accepts. Every object is strict: a field jobfleet does
 * not implement is reported as `Forbidden: not supported by jobfleet`. Informational fields that
 * `kubectl get -o yaml` prints (managedFields, dnsPolicy, ports, status, …) are accepted and dropped.
 *
 * Value checks (names, ranges, enum values) are validation.ts's job; here only types are checked.
 * Kubernetes answers a wrongly typed field with 400 BadRequest ("cannot unmarshal string into Go
 * struct field …"); jobfleet reports it as a FieldValueInvalid at the field's path instead, so it
 * travels in the same 422 as every other problem of the manifest.
 */
import * as z from 'zod';
import { forbidden, invalid, type FieldError } from './field-errors.js';
import type {
  CompletionMode,
  ConditionStatus,
  Container,
  HostPathType,
  Job,
  NodeSelectorOperator,
  PodFailurePolicyAction,
  PodFailurePolicyOnExitCodesRequirement,
  PodReplacementPolicy,
  RestartPolicy,
  TaintEffect,
  Toleration,
} from './types.js';

export const NOT_SUPPORTED_BY_JOBFLEET = 'not supported by jobfleet';

const str = z.string();
const int32 = z.int32();
const int64 = z.int();
const bool = z.boolean();
const stringMap = z.record(z.string(), z.string());
/** Accepted, then dropped from the result. */
const ignored = z.unknown().transform(() => undefined).optional();
const quantity = z.custom<string | number>((v) => typeof v === 'string' || typeof v === 'number', {
  message: 'must be a string or a number',
});
/** A string whose allowed values validation.ts checks, typed as the union it must be. */
const enumString = <T extends string>() => z.custom<T>((v) => typeof v === 'string', { message: 'must be a string' });

const ownerReference = z.strictObject({
  apiVersion: str.default(''),
  kind: str.default(''),
  name: str.default(''),
  uid: str.default(''),
  controller: bool.optional(),
  blockOwnerDeletion: bool.optional(),
});

const objectMeta = z.strictObject({
  name: str.optional(),
  generateName: str.optional(),
  namespace: str.optional(),
  uid: str.optional(),
  resourceVersion: str.optional(),
  generation: int64.optional(),
  creationTimestamp: str.optional(),
  deletionTimestamp: str.optional(),
  deletionGracePeriodSeconds: int64.optional(),
  labels: stringMap.optional(),
  annotations: stringMap.optional(),
  ownerReferences: z.array(ownerReference).optional(),
  finalizers: z.array(str).optional(),
  managedFields: ignored,
  selfLink: ignored,
});

const labelSelector = z.strictObject({
  matchLabels: stringMap.optional(),
  matchExpressions: z
    .array(z.strictObject({ key: str.default(''), operator: str.default(''), values: z.array(str).optional() }))
    .optional(),
});

const envVar = z.strictObject({
  name: str.default(''),
  value: str.optional(),
  valueFrom: z
    .strictObject({
      fieldRef: z.strictObject({ apiVersion: str.optional(), fieldPath: str.default('') }).optional(),
    })
    .optional(),
});

const resources = z.strictObject({
  limits: z.record(z.string(), quantity).optional(),
  requests: z.record(z.string(), quantity).optional(),
});

const volumeMount = z.strictObject({
  name: str.default(''),
  mountPath: str.default(''),
  readOnly: bool.optional(),
  subPath: str.optional(),
});

/** An object whose fields are all unset counts as unset: `securityContext: {}` is dropped, as before. */
const unlessEmpty = <T extends object>(value: T): T | undefined =>
  Object.values(value).every((v) => v === undefined) ? undefined : value;

/** The securityContext fields jobfleet implements; the others (seLinuxOptions, seccompProfile, …) are Forbidden. */
const securityContext = z
  .strictObject({
    runAsUser: int64.optional(),
    runAsGroup: int64.optional(),
    runAsNonRoot: bool.optional(),
    readOnlyRootFilesystem: bool.optional(),
    allowPrivilegeEscalation: bool.optional(),
    privileged: bool.optional(),
    capabilities: z.strictObject({ add: z.array(str).optional(), drop: z.array(str).optional() }).optional(),
  })
  .transform(unlessEmpty)
  .optional();

const podSecurityContext = z
  .strictObject({ runAsUser: int64.optional(), runAsGroup: int64.optional(), runAsNonRoot: bool.optional() })
  .transform(unlessEmpty)
  .optional();

const container = z.strictObject({
  name: str.default(''),
  image: str.default(''),
  command: z.array(str).optional(),
  args: z.array(str).optional(),
  env: z.array(envVar).optional(),
  workingDir: str.optional(),
  resources: resources.optional(),
  volumeMounts: z.array(volumeMount).optional(),
  imagePullPolicy: enumString<NonNullable<Container['imagePullPolicy']>>().optional(),
  securityContext,
  restartPolicy: enumString<NonNullable<Container['restartPolicy']>>().optional(),
  ports: ignored,
  terminationMessagePath: ignored,
  terminationMessagePolicy: ignored,
});

const volume = z.strictObject({
  name: str.default(''),
  emptyDir: z.strictObject({ medium: str.optional(), sizeLimit: quantity.transform(String).optional() }).optional(),
  hostPath: z.strictObject({ path: str.default(''), type: enumString<HostPathType>().optional() }).optional(),
});

/** A missing key or operator reads as "", which validation reports as Kubernetes does. */
const nodeSelectorRequirement = z.strictObject({
  key: str.default(''),
  operator: enumString<NodeSelectorOperator>().default('' as NodeSelectorOperator),
  values: z.array(str).optional(),
});

const nodeSelectorTerm = z.strictObject({
  matchExpressions: z.array(nodeSelectorRequirement).optional(),
  matchFields: z.array(nodeSelectorRequirement).optional(),
});

/** Node affinity only: podAffinity and podAntiAffinity are fields jobfleet does not support (Forbidden, and so marked in the OpenAPI document). */
const affinity = z.strictObject({
  nodeAffinity: z
    .strictObject({
      requiredDuringSchedulingIgnoredDuringExecution: z
        .strictObject({ nodeSelectorTerms: z.array(nodeSelectorTerm).default([]) })
        .optional(),
      preferredDuringSchedulingIgnoredDuringExecution: z
        .array(z.strictObject({ weight: int32.default(0), preference: nodeSelectorTerm.prefault({}) }))
        .optional(),
    })
    .optional(),
});

const toleration = z.strictObject({
  key: str.optional(),
  operator: enumString<NonNullable<Toleration['operator']>>().optional(),
  value: str.optional(),
  effect: enumString<TaintEffect>().optional(),
  tolerationSeconds: int64.optional(),
});

/** A pod's tolerations as a client sends them (a pod update checks them against the old ones: pod-api.ts). */
export const tolerationsSchema = z.array(toleration);

const podSpec = z.strictObject({
  containers: z.array(container).default([]),
  initContainers: z.array(container).optional(),
  restartPolicy: enumString<RestartPolicy>().optional(),
  activeDeadlineSeconds: int64.optional(),
  terminationGracePeriodSeconds: int64.optional(),
  volumes: z.array(volume).optional(),
  nodeSelector: stringMap.optional(),
  affinity: affinity.optional(),
  tolerations: z.array(toleration).optional(),
  nodeName: str.optional(),
  dnsPolicy: ignored,
  schedulerName: ignored,
  securityContext: podSecurityContext,
  hostNetwork: bool.optional(),
  hostPID: bool.optional(),
  hostIPC: bool.optional(),
});

const podTemplateSpec = z.strictObject({
  metadata: objectMeta.optional(),
  spec: podSpec.prefault({}),
});

/** A missing action or operator reads as "", which validation reports as Required, as Kubernetes does. */
const podFailurePolicy = z.strictObject({
  rules: z
    .array(
      z.strictObject({
        action: enumString<PodFailurePolicyAction>().default('' as PodFailurePolicyAction),
        onExitCodes: z
          .strictObject({
            containerName: str.optional(),
            operator: enumString<PodFailurePolicyOnExitCodesRequirement['operator']>().default('' as 'In'),
            values: z.array(int32).default([]),
          })
          .optional(),
        onPodConditions: z.array(z.strictObject({ type: str.default(''), status: enumString<ConditionStatus>().optional() })).optional(),
      }),
    )
    .default([]),
});

const successPolicy = z.strictObject({
  rules: z.array(z.strictObject({ succeededIndexes: str.optional(), succeededCount: int32.optional() })).default([]),
});

const jobSpec = z.strictObject({
  parallelism: int32.optional(),
  completions: int32.optional(),
  activeDeadlineSeconds: int64.optional(),
  backoffLimit: int32.optional(),
  backoffLimitPerIndex: int32.optional(),
  maxFailedIndexes: int32.optional(),
  ttlSecondsAfterFinished: int32.optional(),
  completionMode: enumString<CompletionMode>().optional(),
  suspend: bool.optional(),
  manualSelector: bool.optional(),
  selector: labelSelector.optional(),
  podReplacementPolicy: enumString<PodReplacementPolicy>().optional(),
  podFailurePolicy: podFailurePolicy.optional(),
  successPolicy: successPolicy.optional(),
  managedBy: str.optional(),
  template: podTemplateSpec.prefault({}),
});

/** A missing spec, template or pod spec counts as empty, so validation reports what it lacks, as Kubernetes does. */
export const jobSchema: z.ZodType<Job> = z.strictObject({
  apiVersion: z.literal('batch/v1'),
  kind: z.literal('Job'),
  metadata: objectMeta.prefault({}),
  spec: jobSpec.prefault({}),
  status: ignored,
});

export interface DecodedJob {
  /** Set when the input has the right types (unsupported fields are then removed). */
  job?: Job;
  /** Type errors and unsupported fields. */
  errors: FieldError[];
}

/**
 * Checks the types of a Job manifest (apiVersion and kind must already be right). null counts as
 * unset, as in Kubernetes. When the only problems are unsupported fields the Job is still decoded
 * without them, so that validation can report its other problems in the same answer.
 */
export function decodeJob(input: unknown): DecodedJob {
  const cleaned = withoutNulls(input);
  const first = jobSchema.safeParse(cleaned, PARSE_OPTIONS);
  if (first.success) return { job: withoutUndefined(first.data), errors: [] };
  const issues = first.error.issues;
  const errors = issues.flatMap(issueToFieldErrors);
  const unknownKeys = issues.filter((i) => i.code === 'unrecognized_keys');
  if (unknownKeys.length < issues.length) return { errors };
  const second = jobSchema.safeParse(withoutKeys(cleaned, unknownKeys), PARSE_OPTIONS);
  return second.success ? { job: withoutUndefined(second.data), errors } : { errors };
}

const PARSE_OPTIONS = { reportInput: true, error: typeErrorDetail } as const;

function typeErrorDetail(issue: z.core.$ZodRawIssue): string {
  if (issue.code === 'invalid_type') return EXPECTED_TYPE_TEXT[issue.expected] ?? `must be of type ${issue.expected}`;
  if (issue.code === 'too_big') return integerRangeText(Number(issue.maximum));
  if (issue.code === 'too_small') return integerRangeText(-Number(issue.minimum) - 1);
  if (issue.code === 'invalid_value') return `must be ${issue.values.map((v) => JSON.stringify(v)).join(' or ')}`;
  return 'has an invalid value';
}

/** int32 fields, or int64 ones (as far as JavaScript numbers are exact). */
function integerRangeText(maximum: number): string {
  const min = maximum === MAX_INT32 ? -MAX_INT32 - 1 : -maximum;
  return `must be between ${min} and ${maximum}, inclusive`;
}

const MAX_INT32 = 2 ** 31 - 1;

const EXPECTED_TYPE_TEXT: Readonly<Record<string, string>> = {
  number: 'must be an integer',
  int: 'must be an integer',
  string: 'must be a string',
  boolean: 'must be a boolean',
  object: 'must be an object',
  record: 'must be an object',
  array: 'must be a list',
};

function issueToFieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => forbidden(formatPath([...issue.path, key]), NOT_SUPPORTED_BY_JOBFLEET));
  }
  return [invalid(formatPath(issue.path), issue.input, issue.message)];
}

/** Fields whose values are maps: their keys are printed as `[key]`, like Kubernetes' field.Path.Key. */
const MAP_FIELDS: ReadonlySet<string> = new Set(['labels', 'annotations', 'matchLabels', 'limits', 'requests', 'nodeSelector']);

function formatPath(path: readonly PropertyKey[]): string {
  let text = '';
  path.forEach((segment, i) => {
    const parent = path[i - 1];
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (typeof parent === 'string' && MAP_FIELDS.has(parent)) text += `[${String(segment)}]`;
    else text += text ? `.${String(segment)}` : String(segment);
  });
  return text;
}

/** Also drops undefined, which JavaScript callers may pass and JSON cannot carry. */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (!isPlainObject(value)) return value;
  const entries = Object.entries(value).filter(([, v]) => v !== null && v !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutNulls(v)]));
}

function withoutUndefined<T>(value: T): T {
  if (Array.isArray(value)) return value.map(withoutUndefined) as T;
  if (!isPlainObject(value)) return value;
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  return Object.fromEntries(entries.map(([k, v]) => [k, withoutUndefined(v)])) as T;
}

/**
 * A copy of `value` without the keys the issues name. A field left empty by that goes too, so
 * that `valueFrom: {secretKeyRef: …}` is reported once, as unsupported, and not also as empty.
 */
function withoutKeys(value: unknown, issues: readonly z.core.$ZodIssueUnrecognizedKeys[]): unknown {
  const copy = structuredClone(value);
  for (const issue of issues) {
    const parent = valueAt(copy, issue.path.slice(0, -1));
    const owner = valueAt(copy, issue.path);
    if (!isPlainObject(owner)) continue;
    issue.keys.forEach((key) => Reflect.deleteProperty(owner, key));
    const ownKey = issue.path.at(-1);
    const leftEmpty = Object.keys(owner).length === 0;
    if (leftEmpty && isPlainObject(parent) && typeof ownKey === 'string') Reflect.deleteProperty(parent, ownKey);
  }
  return copy;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  const step = (node: unknown, segment: PropertyKey) =>
    typeof node === 'object' && node !== null ? Reflect.get(node, segment) : undefined;
  return path.reduce<unknown>(step, root);
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The pieces other batch/v1 kinds are decoded with (CronJob's jobTemplate is a Job's spec and metadata). */
export { ignored as ignoredSchema, jobSpec as jobSpecSchema, objectMeta as objectMetaSchema };

/**
 * decodeJob for another schema built from the same pieces (apiVersion and kind must already be
 * right): the same type errors and unsupported-field errors, at the same paths.
 */
export function decodeWith<T>(schema: z.ZodType<T>, input: unknown): { value?: T; errors: FieldError[] } {
  const cleaned = withoutNulls(input);
  const first = schema.safeParse(cleaned, PARSE_OPTIONS);
  if (first.success) return { value: withoutUndefined(first.data), errors: [] };
  const issues = first.error.issues;
  const errors = issues.flatMap(issueToFieldErrors);
  const unknownKeys = issues.filter((i) => i.code === 'unrecognized_keys');
  if (unknownKeys.length < issues.length) return { errors };
  const second = schema.safeParse(withoutKeys(cleaned, unknownKeys), PARSE_OPTIONS);
  return second.success ? { value: withoutUndefined(second.data), errors } : { errors };
}
