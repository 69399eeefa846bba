/**
 * Kubernetes' validation of the failure- and success-handling fields of a JobSpec (pkg/apis/batch/
 * validation: validatePodFailurePolicy, validateSuccessPolicy, the backoffLimitPerIndex and
 * maxFailedIndexes rules, managedBy), with Kubernetes' field paths and messages.
 */
import { validateIndexesFormat } from './controller/indexes.js';
import { OMIT_VALUE, duplicate, invalid, notSupported, required, tooLong, tooMany, type FieldError } from './field-errors.js';
import type { JobSpec, PodFailurePolicyOnExitCodesRequirement, PodFailurePolicyOnPodConditionsPattern, PodFailurePolicyRule } from './types.js';
import { invalidEach, isDns1123Subdomain, isQualifiedName, validateNonNegative } from './validation-meta.js';

export const MAX_POD_FAILURE_POLICY_RULES = 20;
export const MAX_ON_EXIT_CODES_VALUES = 255;
export const MAX_ON_POD_CONDITIONS_PATTERNS = 20;
export const MAX_MANAGED_BY_LENGTH = 63;
export const MAX_SUCCESS_POLICY_RULES = 20;
export const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;
export const MAX_FAILED_INDEXES = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS = 10_000;
const MAX_FAILED_INDEXES_FOR_HIGH_COMPLETIONS = 10_000;

/** Sorted, as Kubernetes lists a set's values in its messages. */
export const POD_FAILURE_POLICY_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
export const ON_EXIT_CODES_OPERATORS = ['In', 'NotIn'];
export const CONDITION_STATUSES = ['False', 'True', 'Unknown'];

/** Go's %q of a []string: `["a" "b"]`. */
const goList = (values: readonly string[]) => `[${values.map((v) => JSON.stringify(v)).join(' ')}]`;

/** backoffLimitPerIndex, maxFailedIndexes and managedBy, in Kubernetes' order (before completionMode's checks). */
export function validatePerIndexFields(spec: JobSpec): FieldError[] {
  const errors = [
    ...validateNonNegative(spec.backoffLimitPerIndex, 'spec.backoffLimitPerIndex'),
    ...validateNonNegative(spec.maxFailedIndexes, 'spec.maxFailedIndexes'),
  ];
  if (spec.maxFailedIndexes !== undefined && spec.backoffLimitPerIndex === undefined) {
    errors.push(required('spec.backoffLimitPerIndex', 'when maxFailedIndexes is specified'));
  }
  if (spec.managedBy !== undefined) errors.push(...validateManagedBy(spec.managedBy));
  return errors;
}

/** The per-index rules that depend on the completion mode. */
export function validatePerIndexForMode(spec: JobSpec): FieldError[] {
  const { completions, parallelism, maxFailedIndexes, backoffLimitPerIndex } = spec;
  if (spec.completionMode !== 'Indexed') {
    return [
      ...(backoffLimitPerIndex !== undefined ? [invalid('spec.backoffLimitPerIndex', backoffLimitPerIndex, 'requires indexed completion mode')] : []),
      ...(maxFailedIndexes !== undefined ? [invalid('spec.maxFailedIndexes', maxFailedIndexes, 'requires indexed completion mode')] : []),
    ];
  }
  const errors: FieldError[] = [];
  if (completions != null && maxFailedIndexes !== undefined && maxFailedIndexes > completions) {
    errors.push(invalid('spec.maxFailedIndexes', maxFailedIndexes, 'must be less than or equal to completions'));
  }
  if (maxFailedIndexes !== undefined && maxFailedIndexes > MAX_FAILED_INDEXES) {
    errors.push(invalid('spec.maxFailedIndexes', maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES}`));
  }
  if (completions != null && completions > COMPLETIONS_SOFT_LIMIT && backoffLimitPerIndex !== undefined) {
    const suffix = `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
    if (maxFailedIndexes === undefined) errors.push(required('spec.maxFailedIndexes', `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`));
    if (parallelism !== undefined && parallelism > PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS) {
      errors.push(invalid('spec.parallelism', parallelism, `must be less than or equal to ${PARALLELISM_LIMIT_FOR_HIGH_COMPLETIONS} ${suffix}`));
    }
    if (maxFailedIndexes !== undefined && maxFailedIndexes > MAX_FAILED_INDEXES_FOR_HIGH_COMPLETIONS) {
      errors.push(invalid('spec.maxFailedIndexes', maxFailedIndexes, `must be less than or equal to ${MAX_FAILED_INDEXES_FOR_HIGH_COMPLETIONS} ${suffix}`));
    }
  }
  return errors;
}

const HTTP_PATH_FMT = "[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+";
const HTTP_PATH = new RegExp(`^${HTTP_PATH_FMT}$`);

/** IsDomainPrefixedPath and the length cap. */
export function validateManagedBy(value: string): FieldError[] {
  const field = 'spec.managedBy';
  const errors: FieldError[] = [];
  const slash = value.indexOf('/');
  const [host, path] = slash === -1 ? [value, ''] : [value.slice(0, slash), value.slice(slash + 1)];
  if (value.length === 0) errors.push(required(field));
  else if (slash === -1 || host.length === 0 || path.length === 0) {
    errors.push(invalid(field, value, 'must be a domain-prefixed path (such as "acme.io/foo")'));
  } else {
    errors.push(...invalidEach(field, host, isDns1123Subdomain));
    if (!HTTP_PATH.test(path)) errors.push(invalid(field, path, `Invalid path (regex used for validation is '${HTTP_PATH_FMT}')`));
  }
  if (value.length > MAX_MANAGED_BY_LENGTH) errors.push(tooLong(field, value, MAX_MANAGED_BY_LENGTH));
  return errors;
}

export function validatePodFailurePolicy(spec: JobSpec): FieldError[] {
  const policy = spec.podFailurePolicy;
  if (!policy) return [];
  const field = 'spec.podFailurePolicy.rules';
  const errors: FieldError[] = [];
  if (policy.rules.length > MAX_POD_FAILURE_POLICY_RULES) errors.push(tooMany(field, policy.rules.length, MAX_POD_FAILURE_POLICY_RULES));
  const podSpec = spec.template.spec;
  const names = new Set([...podSpec.containers, ...(podSpec.initContainers ?? [])].map((c) => c.name));
  policy.rules.forEach((rule, i) => errors.push(...validateRule(spec, rule, `${field}[${i}]`, names)));
  return errors;
}

function validateRule(spec: JobSpec, rule: PodFailurePolicyRule, field: string, names: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  const action: string = rule.action;
  if (action === '') errors.push(required(`${field}.action`, `valid values: ${goList(POD_FAILURE_POLICY_ACTIONS)}`));
  else if (action === 'FailIndex') {
    if (spec.backoffLimitPerIndex === undefined) errors.push(invalid(`${field}.action`, action, 'requires the backoffLimitPerIndex to be set'));
  } else if (!POD_FAILURE_POLICY_ACTIONS.includes(action)) errors.push(notSupported(`${field}.action`, action, POD_FAILURE_POLICY_ACTIONS));
  const onConditions = rule.onPodConditions ?? [];
  if (rule.onExitCodes) errors.push(...validateOnExitCodes(rule.onExitCodes, `${field}.onExitCodes`, names));
  if (onConditions.length > 0) errors.push(...validateOnPodConditions(onConditions, `${field}.onPodConditions`));
  if (rule.onExitCodes && onConditions.length > 0) {
    errors.push(invalid(field, OMIT_VALUE, 'specifying both OnExitCodes and OnPodConditions is not supported'));
  }
  if (!rule.onExitCodes && onConditions.length === 0) {
    errors.push(invalid(field, OMIT_VALUE, 'specifying one of OnExitCodes and OnPodConditions is required'));
  }
  return errors;
}

function validateOnExitCodes(req: PodFailurePolicyOnExitCodesRequirement, field: string, names: ReadonlySet<string>): FieldError[] {
  const errors: FieldError[] = [];
  const operator: string = req.operator;
  if (operator === '') errors.push(required(`${field}.operator`, `valid values: ${goList(ON_EXIT_CODES_OPERATORS)}`));
  else if (!ON_EXIT_CODES_OPERATORS.includes(operator)) errors.push(notSupported(`${field}.operator`, operator, ON_EXIT_CODES_OPERATORS));
  if (req.containerName !== undefined && !names.has(req.containerName)) {
    errors.push(invalid(`${field}.containerName`, req.containerName, 'must be one of the container or initContainer names in the pod template'));
  }
  const values = req.values;
  if (values.length === 0) errors.push(invalid(`${field}.values`, values, 'at least one value is required'));
  else if (values.length > MAX_ON_EXIT_CODES_VALUES) errors.push(tooMany(`${field}.values`, values.length, MAX_ON_EXIT_CODES_VALUES));
  const seen = new Set<number>();
  let ordered = true;
  values.forEach((value, j) => {
    if (operator === 'In' && value === 0) errors.push(invalid(`${field}.values[${j}]`, value, 'must not be 0 for the In operator'));
    if (seen.has(value)) errors.push(duplicate(`${field}.values[${j}]`, value));
    else seen.add(value);
    if (j > 0 && (values[j - 1] ?? 0) > value) ordered = false;
  });
  if (!ordered) errors.push(invalid(`${field}.values`, values, 'must be ordered'));
  return errors;
}

function validateOnPodConditions(patterns: PodFailurePolicyOnPodConditionsPattern[], field: string): FieldError[] {
  const errors: FieldError[] = [];
  if (patterns.length > MAX_ON_POD_CONDITIONS_PATTERNS) errors.push(tooMany(field, patterns.length, MAX_ON_POD_CONDITIONS_PATTERNS));
  patterns.forEach((pattern, j) => {
    errors.push(...invalidEach(`${field}[${j}].type`, pattern.type, isQualifiedName));
    const status: string = pattern.status ?? '';
    if (status === '') errors.push(required(`${field}[${j}].status`, `valid values: ${goList(CONDITION_STATUSES)}`));
    else if (!CONDITION_STATUSES.includes(status)) errors.push(notSupported(`${field}[${j}].status`, status, CONDITION_STATUSES));
  });
  return errors;
}

export function validateSuccessPolicy(spec: JobSpec): FieldError[] {
  const policy = spec.successPolicy;
  if (!policy) return [];
  if (spec.completionMode !== 'Indexed') return [invalid('spec.successPolicy', policy, 'requires indexed completion mode')];
  const field = 'spec.successPolicy.rules';
  const errors: FieldError[] = [];
  if (policy.rules.length === 0) errors.push(required(field, 'at least one rules must be specified when the successPolicy is specified'));
  if (policy.rules.length > MAX_SUCCESS_POLICY_RULES) errors.push(tooMany(field, policy.rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = spec.completions ?? undefined;
  policy.rules.forEach((rule, i) => {
    const path = `${field}[${i}]`;
    if (rule.succeededCount === undefined && rule.succeededIndexes === undefined) {
      errors.push(required(path, 'at least one of succeededCount or succeededIndexes must be specified'));
    }
    let total = 0;
    if (rule.succeededIndexes !== undefined) {
      const indexes = rule.succeededIndexes;
      if (indexes.length > MAX_SUCCEEDED_INDEXES_LENGTH) errors.push(tooLong(`${path}.succeededIndexes`, indexes, MAX_SUCCEEDED_INDEXES_LENGTH));
      // A missing completions is reported on its own (Indexed requires it).
      const parsed = validateIndexesFormat(indexes, completions ?? 2 ** 31 - 1);
      if ('error' in parsed) errors.push(invalid(`${path}.succeededIndexes`, indexes, `error parsing succeededIndexes: ${parsed.error}`));
      else total = parsed.total;
    }
    if (rule.succeededCount !== undefined) {
      const count = rule.succeededCount;
      errors.push(...validateNonNegative(count, `${path}.succeededCount`));
      if (completions !== undefined && count > completions) {
        errors.push(invalid(`${path}.succeededCount`, count, `must be less than or equal to ${completions} (the number of specified completions)`));
      }
      if (rule.succeededIndexes !== undefined && count > total) {
        errors.push(invalid(`${path}.succeededCount`, count, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
  return errors;
}

/** With a podFailurePolicy only Failed is allowed, as in Kubernetes. */
export function validatePodReplacementPolicy(spec: JobSpec): FieldError[] {
  const policy: string | undefined = spec.podReplacementPolicy;
  if (policy === undefined) return [];
  const field = 'spec.podReplacementPolicy';
  if (spec.podFailurePolicy) return policy === 'Failed' ? [] : [notSupported(field, policy, ['Failed'])];
  const supported = ['Failed', 'TerminatingOrFailed'];
  return supported.includes(policy) ? [] : [notSupported(field, policy, supported)];
}
