/**
 * Kubernetes' batch/v1 Job validation (pkg/apis/batch/validation) for the fields jobfleet keeps,
 * with Kubernetes' field paths and messages, plus jobfleet's own size caps.
 *
 * validateJob runs on a decoded, defaulted Job, before the API server generates the selector: a
 * Job without a selector is therefore fine, and one that comes with a generated selector (a Job
 * read back from jobfleet) is checked as Kubernetes checks it.
 */
import {
  LABEL_CONTROLLER_UID,
  LABEL_JOB_NAME,
  LEGACY_LABEL_CONTROLLER_UID,
  LEGACY_LABEL_JOB_NAME,
} from './controller/labels.js';
import { OMIT_VALUE, forbidden, invalid, notSupported, required, type FieldError } from './field-errors.js';
import type { Job, JobSpec, LabelSelector, PodTemplateSpec } from './types.js';
import {
  invalidEach,
  isDns1123Label,
  isLabelValue,
  isQualifiedName,
  validateJobMetadata,
  validateLabels,
  validateNonNegative,
} from './validation-meta.js';
import {
  validatePerIndexFields,
  validatePerIndexForMode,
  validatePodFailurePolicy,
  validatePodReplacementPolicy,
  validateSuccessPolicy,
} from './validation-job-policies.js';
import { validatePodTemplate, type PodPolicy } from './validation-pod.js';

/** Kubernetes' cap on parallelism of an Indexed Job; jobfleet applies it to completions too. */
export const MAX_INDEXED_PARALLELISM = 100_000;
export const MAX_INDEXED_COMPLETIONS = 100_000;
/** jobfleet's own caps for NonIndexed Jobs. */
export const MAX_COMPLETIONS = 1_000_000;
export const MAX_PARALLELISM = 1_000_000;

export const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
export const POD_REPLACEMENT_POLICIES = ['Failed', 'TerminatingOrFailed'];
export const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];
export const FIELD_IMMUTABLE_MESSAGE = 'field is immutable';

/** `policy` says which privileged pod fields the server allows (none by default). */
export function validateJob(job: Job, policy: PodPolicy = {}): FieldError[] {
  return [
    ...validateJobMetadata(job.metadata),
    ...validateGeneratedSelector(job),
    ...validateJobSpec(job.spec, policy),
    ...validateIndexedHostnames(job),
  ];
}

/** Also a CronJob's jobTemplate.spec (cronjob.ts re-roots the `spec.…` paths). */
export function validateJobSpec(spec: JobSpec, policy: PodPolicy): FieldError[] {
  return [
    ...validateNonNegative(spec.parallelism, 'spec.parallelism'),
    ...validateNonNegative(spec.completions, 'spec.completions'),
    ...validateNonNegative(spec.activeDeadlineSeconds, 'spec.activeDeadlineSeconds'),
    ...validateNonNegative(spec.backoffLimit, 'spec.backoffLimit'),
    ...validateNonNegative(spec.ttlSecondsAfterFinished, 'spec.ttlSecondsAfterFinished'),
    ...validatePerIndexFields(spec),
    ...validateCompletionMode(spec),
    ...validatePerIndexForMode(spec),
    ...validateSizeCaps(spec),
    ...validatePodFailurePolicy(spec),
    ...validateSuccessPolicy(spec),
    ...validatePodReplacementPolicy(spec),
    ...validatePodTemplate(spec.template, 'spec.template', policy),
    ...validateJobRestartPolicy(spec),
    ...validateSelector(spec),
  ];
}

function validateCompletionMode(spec: JobSpec): FieldError[] {
  const mode = spec.completionMode;
  if (mode === undefined) return [];
  if (!COMPLETION_MODES.includes(mode)) return [notSupported('spec.completionMode', mode, COMPLETION_MODES)];
  if (mode !== 'Indexed') return [];
  return [
    ...(spec.completions == null ? [required('spec.completions', 'when completion mode is Indexed')] : []),
    ...atMost(spec.parallelism, MAX_INDEXED_PARALLELISM, 'spec.parallelism', ' when completion mode is Indexed'),
    ...atMost(spec.completions, MAX_INDEXED_COMPLETIONS, 'spec.completions', ' when completion mode is Indexed'),
  ];
}

function validateSizeCaps(spec: JobSpec): FieldError[] {
  if (spec.completionMode === 'Indexed') return [];
  return [
    ...atMost(spec.completions, MAX_COMPLETIONS, 'spec.completions'),
    ...atMost(spec.parallelism, MAX_PARALLELISM, 'spec.parallelism'),
  ];
}

function atMost(value: number | null | undefined, max: number, field: string, suffix = ''): FieldError[] {
  return value != null && value > max ? [invalid(field, value, `must be less than or equal to ${max}${suffix}`)] : [];
}

/** A missing policy was defaulted to Always, so both read as "Required", as in Kubernetes. */
function validateJobRestartPolicy(spec: JobSpec): FieldError[] {
  const policy: string | undefined = spec.template.spec.restartPolicy;
  const field = 'spec.template.spec.restartPolicy';
  if (policy === undefined || policy === 'Always' || policy === '') {
    return [required(field, `valid values: ${JOB_RESTART_POLICIES.map((p) => `"${p}"`).join(', ')}`)];
  }
  if (!JOB_RESTART_POLICIES.includes(policy)) return [notSupported(field, policy, JOB_RESTART_POLICIES)];
  if (spec.podFailurePolicy && policy !== 'Never') return [invalid(field, policy, 'only "Never" is supported when podFailurePolicy is specified')];
  return [];
}

function validateSelector(spec: JobSpec): FieldError[] {
  if (!spec.selector) return spec.manualSelector === true ? [required('spec.selector')] : [];
  const labels = spec.template.metadata?.labels;
  const selectorErrors = validateLabelSelector(spec.selector, 'spec.selector');
  // Like Kubernetes, an invalid selector is not matched against the labels.
  if (selectorErrors.length > 0 || selectorMatches(spec.selector, labels ?? {})) return selectorErrors;
  return [invalid('spec.template.metadata.labels', labels, '`selector` does not match template `labels`')];
}

function validateLabelSelector(selector: LabelSelector, field: string): FieldError[] {
  return [
    ...validateLabels(selector.matchLabels, `${field}.matchLabels`),
    ...(selector.matchExpressions ?? []).flatMap((requirement, i) =>
      validateRequirement(requirement, `${field}.matchExpressions[${i}]`),
    ),
  ];
}

type Requirement = NonNullable<LabelSelector['matchExpressions']>[number];

function validateRequirement(requirement: Requirement, field: string): FieldError[] {
  const values = requirement.values ?? [];
  return [
    ...validateOperator(requirement.operator, values, field),
    ...invalidEach(`${field}.key`, requirement.key, isQualifiedName),
    ...values.flatMap((value, i) => invalidEach(`${field}.values[${i}]`, value, isLabelValue)),
  ];
}

function validateOperator(operator: string, values: readonly string[], field: string): FieldError[] {
  if (operator === 'In' || operator === 'NotIn') {
    return values.length === 0 ? [required(`${field}.values`, "must be specified when `operator` is 'In' or 'NotIn'")] : [];
  }
  if (operator === 'Exists' || operator === 'DoesNotExist') {
    const why = "may not be specified when `operator` is 'Exists' or 'DoesNotExist'";
    return values.length > 0 ? [forbidden(`${field}.values`, why)] : [];
  }
  return [invalid(`${field}.operator`, operator, 'not a valid selector operator')];
}

export function selectorMatches(selector: LabelSelector, labels: Readonly<Record<string, string>>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value);
  return byLabels && (selector.matchExpressions ?? []).every((r) => requirementMatches(r, labels));
}

function requirementMatches(requirement: Requirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, requirement.key);
  const value = labels[requirement.key];
  const listed = value !== undefined && (requirement.values ?? []).includes(value);
  switch (requirement.operator) {
    case 'In':
      return has && listed;
    case 'NotIn':
      return !listed;
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    default:
      return false;
  }
}

/**
 * A selector the server did not ask for (manualSelector unset) must be the generated one. A Job
 * without a uid cannot have one yet, so its selector was written by the user; Kubernetes, which
 * generates the uid first, would instead answer `metadata.uid: Required value` in that case.
 */
function validateGeneratedSelector(job: Job): FieldError[] {
  const selector = job.spec.selector;
  if (job.spec.manualSelector === true || !selector) return [];
  const notGenerated = invalid('spec.selector', selector, '`selector` not auto-generated');
  const uid = job.metadata.uid;
  if (!uid) return [notGenerated];
  const expected = generatedLabels(job.metadata.name ?? '', uid);
  const labels = job.spec.template.metadata?.labels ?? {};
  const labelErrors = Object.entries(expected).flatMap(([key, value]) => validateHasLabel(labels, key, value));
  return selectorMatches(selector, expected) ? labelErrors : [...labelErrors, notGenerated];
}

function generatedLabels(name: string, uid: string): Record<string, string> {
  return {
    [LEGACY_LABEL_CONTROLLER_UID]: uid,
    [LEGACY_LABEL_JOB_NAME]: name,
    [LABEL_CONTROLLER_UID]: uid,
    [LABEL_JOB_NAME]: name,
  };
}

function validateHasLabel(labels: Readonly<Record<string, string>>, key: string, expected: string): FieldError[] {
  const field = `spec.template.metadata.labels[${key}]`;
  if (!Object.hasOwn(labels, key)) return [required(field, `must be '${expected}'`)];
  return labels[key] === expected ? [] : [invalid(field, labels, `must be '${expected}'`)];
}

/** An Indexed Job's last pod is named `<job>-<completions-1>`, which must be a DNS label. */
function validateIndexedHostnames(job: Job): FieldError[] {
  const { completionMode, completions } = job.spec;
  const name = job.metadata.name;
  if (completionMode !== 'Indexed' || completions == null || completions <= 0 || !name) return [];
  const hostname = `${name}-${completions - 1}`;
  if (isDns1123Label(hostname).length === 0) return [];
  return [invalid('metadata.name', name, `will not able to create pod with invalid DNS label: ${hostname}`)];
}

/**
 * The rules of an update (PUT, or PATCH once merged) that validateJob does not cover: immutable
 * fields. Both Jobs must be decoded and defaulted; validate `newJob` itself with validateJob.
 * The template is reported without its value (`spec.template: Invalid value: field is immutable`)
 * instead of Kubernetes' Go dump of the whole PodTemplateSpec.
 */
export function validateJobUpdate(oldJob: Job, newJob: Job): FieldError[] {
  return [
    ...validateMetadataUpdate(oldJob, newJob),
    ...validateCompletionsUpdate(oldJob.spec, newJob.spec),
    ...immutable(oldJob.spec.selector, newJob.spec.selector, 'spec.selector'),
    ...validateTemplateUpdate(oldJob, newJob),
    ...immutable(oldJob.spec.completionMode, newJob.spec.completionMode, 'spec.completionMode'),
    ...immutable(oldJob.spec.podFailurePolicy, newJob.spec.podFailurePolicy, 'spec.podFailurePolicy'),
    ...immutable(oldJob.spec.backoffLimitPerIndex, newJob.spec.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'),
    ...immutable(oldJob.spec.managedBy, newJob.spec.managedBy, 'spec.managedBy'),
    ...immutable(oldJob.spec.successPolicy, newJob.spec.successPolicy, 'spec.successPolicy'),
  ];
}

/** An empty uid means "keep the stored one", as Kubernetes fills it in before validating. */
function validateMetadataUpdate(oldJob: Job, newJob: Job): FieldError[] {
  const [oldMeta, newMeta] = [oldJob.metadata, newJob.metadata];
  return [
    ...immutable(oldMeta.name ?? '', newMeta.name ?? '', 'metadata.name'),
    ...immutable(oldMeta.namespace ?? '', newMeta.namespace ?? '', 'metadata.namespace'),
    ...(newMeta.uid ? immutable(oldMeta.uid ?? '', newMeta.uid, 'metadata.uid') : []),
  ];
}

/** Elastic Indexed Jobs may change completions together with parallelism. */
function validateCompletionsUpdate(oldSpec: JobSpec, newSpec: JobSpec): FieldError[] {
  const [before, after] = [oldSpec.completions ?? undefined, newSpec.completions ?? undefined];
  if (before === after) return [];
  if (newSpec.completionMode !== 'Indexed') return immutable(before, after, 'spec.completions');
  // A missing completions is reported by validateJob.
  if (after === undefined || after === newSpec.parallelism) return [];
  return [invalid('spec.completions', after, 'can only be modified in tandem with spec.parallelism')];
}

/**
 * Template labels, annotations and the node selector (Kubernetes' mutable scheduling directives) may
 * change while a Job is suspended and has never started.
 */
function validateTemplateUpdate(oldJob: Job, newJob: Job): FieldError[] {
  const metadataMutable = oldJob.spec.suspend === true && !oldJob.status?.startTime;
  const withoutLabels = (t: PodTemplateSpec) => ({ ...t, metadata: { ...t.metadata, labels: undefined, annotations: undefined }, spec: { ...t.spec, nodeSelector: undefined } });
  const comparable = (template: PodTemplateSpec) => (metadataMutable ? withoutLabels(template) : template);
  if (deepEqual(comparable(oldJob.spec.template), comparable(newJob.spec.template))) return [];
  return [invalid('spec.template', OMIT_VALUE, FIELD_IMMUTABLE_MESSAGE)];
}

function immutable(oldValue: unknown, newValue: unknown, field: string): FieldError[] {
  return deepEqual(oldValue, newValue) ? [] : [invalid(field, newValue, FIELD_IMMUTABLE_MESSAGE)];
}

/** Structural equality where a missing key, undefined and null are the same. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (a == null || b == null) return a == null && b == null;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  if (typeof a !== 'object' || typeof b !== 'object') return a === b;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].every((key) => deepEqual(Reflect.get(a, key), Reflect.get(b, key)));
}
