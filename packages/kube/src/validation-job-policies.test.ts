/**
 * Validation of podFailurePolicy, successPolicy, backoffLimitPerIndex / maxFailedIndexes,
 * podReplacementPolicy and managedBy, with Kubernetes' paths and messages (pkg/apis/batch/
 * validation/validation.go; cases after its validation_test.go TestValidateJob). Where Kubernetes
 * prints a Go value (`[]int32{2, 1}`), jobfleet prints JSON (`[2,1]`), as everywhere else.
 */
import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-errors.js';
import { parseJob } from './parse.js';
import type { Job } from './types.js';
import { validateJobUpdate } from './validation.js';
import { invalidMessages, job, type Manifest } from './__tests__/fixtures.js';

const RULES = 'spec.podFailurePolicy.rules';
const DNS_SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const QUALIFIED_NAME_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";

/** A Job with these podFailurePolicy rules (restartPolicy Never, container "pi"). */
const withRules = (rules: unknown[], spec: Manifest = {}) => job({ spec: { ...spec, podFailurePolicy: { rules } } });
const exitCodes = (onExitCodes: Manifest, action = 'FailJob') => ({ action, onExitCodes });
const indexed = (spec: Manifest) => job({ spec: { completionMode: 'Indexed', completions: 5, parallelism: 2, ...spec } });

interface Case {
  name: string;
  manifest: Manifest;
  want: string[];
}

const check = (cases: Case[]) =>
  it.each(cases)('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });

describe('podFailurePolicy', () => {
  check([
    {
      name: 'a valid policy with every action and both kinds of rule',
      manifest: withRules(
        [
          exitCodes({ containerName: 'pi', operator: 'In', values: [1, 2, 3] }, 'FailJob'),
          exitCodes({ operator: 'NotIn', values: [0, 5] }, 'Count'),
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          exitCodes({ operator: 'In', values: [42] }, 'FailIndex'),
        ],
        { completionMode: 'Indexed', completions: 2, backoffLimitPerIndex: 1 },
      ),
      want: [],
    },
    { name: 'no rules at all is valid', manifest: withRules([]), want: [] },
    {
      name: 'restartPolicy OnFailure',
      manifest: withRules([exitCodes({ operator: 'In', values: [1] })], { template: { spec: { restartPolicy: 'OnFailure' } } }),
      want: ['spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified'],
    },
    {
      name: 'a rule without action',
      manifest: withRules([{ onExitCodes: { operator: 'In', values: [1] } }]),
      want: [`${RULES}[0].action: Required value: valid values: ["Count" "FailIndex" "FailJob" "Ignore"]`],
    },
    {
      name: 'an unknown action',
      manifest: withRules([exitCodes({ operator: 'In', values: [1] }, 'UnknownAction')]),
      want: [`${RULES}[0].action: Unsupported value: "UnknownAction": supported values: "Count", "FailIndex", "FailJob", "Ignore"`],
    },
    {
      name: 'FailIndex without backoffLimitPerIndex',
      manifest: withRules([exitCodes({ operator: 'In', values: [1] }, 'FailIndex')]),
      want: [`${RULES}[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set`],
    },
    {
      name: 'onExitCodes without operator',
      manifest: withRules([exitCodes({ values: [1] })]),
      want: [`${RULES}[0].onExitCodes.operator: Required value: valid values: ["In" "NotIn"]`],
    },
    {
      name: 'an unknown operator',
      manifest: withRules([exitCodes({ operator: 'Contains', values: [1] })]),
      want: [`${RULES}[0].onExitCodes.operator: Unsupported value: "Contains": supported values: "In", "NotIn"`],
    },
    {
      name: 'a container name not in the template',
      manifest: withRules([exitCodes({ containerName: 'other', operator: 'In', values: [1] })]),
      want: [`${RULES}[0].onExitCodes.containerName: Invalid value: "other": must be one of the container or initContainer names in the pod template`],
    },
    {
      name: 'an init container name is fine',
      manifest: withRules([exitCodes({ containerName: 'setup', operator: 'In', values: [1] })], {
        template: { spec: { initContainers: [{ name: 'setup', image: 'busybox' }] } },
      }),
      want: [],
    },
    {
      name: 'no exit code',
      manifest: withRules([exitCodes({ operator: 'In', values: [] })]),
      want: [`${RULES}[0].onExitCodes.values: Invalid value: []: at least one value is required`],
    },
    {
      name: '0 with In',
      manifest: withRules([exitCodes({ operator: 'In', values: [0, 1] })]),
      want: [`${RULES}[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator`],
    },
    {
      name: 'a duplicate exit code',
      manifest: withRules([exitCodes({ operator: 'In', values: [1, 1] })]),
      want: [`${RULES}[0].onExitCodes.values[1]: Duplicate value: 1`],
    },
    {
      name: 'exit codes out of order',
      manifest: withRules([exitCodes({ operator: 'In', values: [2, 1] })]),
      want: [`${RULES}[0].onExitCodes.values: Invalid value: [2,1]: must be ordered`],
    },
    {
      name: 'more than 255 exit codes',
      manifest: withRules([exitCodes({ operator: 'In', values: Array.from({ length: 256 }, (_, i) => i + 1) })]),
      want: [`${RULES}[0].onExitCodes.values: Too many: 256: must have at most 255 items`],
    },
    {
      name: 'an exit code that is not an integer',
      manifest: withRules([exitCodes({ operator: 'In', values: ['1'] })]),
      want: [`${RULES}[0].onExitCodes.values[0]: Invalid value: "1": must be an integer`],
    },
    {
      name: 'both onExitCodes and onPodConditions',
      manifest: withRules([{ action: 'Ignore', onExitCodes: { operator: 'In', values: [1] }, onPodConditions: [{ type: 'DisruptionTarget' }] }]),
      want: [`${RULES}[0]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported`],
    },
    {
      name: 'neither onExitCodes nor onPodConditions (an empty list counts as none)',
      manifest: withRules([{ action: 'Ignore', onPodConditions: [] }]),
      want: [`${RULES}[0]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required`],
    },
    {
      name: 'an unknown condition status',
      manifest: withRules([{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'Maybe' }] }]),
      want: [`${RULES}[0].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"`],
    },
    {
      name: 'a condition type that is not a qualified name',
      manifest: withRules([{ action: 'Ignore', onPodConditions: [{ type: 'Bad Type' }] }]),
      want: [`${RULES}[0].onPodConditions[0].type: Invalid value: "Bad Type": ${QUALIFIED_NAME_RULE}`],
    },
    {
      name: 'more than 20 condition patterns',
      manifest: withRules([{ action: 'Ignore', onPodConditions: Array.from({ length: 21 }, (_, i) => ({ type: `C${i}` })) }]),
      want: [`${RULES}[0].onPodConditions: Too many: 21: must have at most 20 items`],
    },
    {
      name: 'more than 20 rules',
      manifest: withRules(Array.from({ length: 21 }, () => exitCodes({ operator: 'In', values: [1] }))),
      want: [`${RULES}: Too many: 21: must have at most 20 items`],
    },
    {
      name: 'podReplacementPolicy TerminatingOrFailed',
      manifest: withRules([exitCodes({ operator: 'In', values: [1] })], { podReplacementPolicy: 'TerminatingOrFailed' }),
      want: ['spec.podReplacementPolicy: Unsupported value: "TerminatingOrFailed": supported values: "Failed"'],
    },
    {
      name: 'an unknown field of a rule is refused, not ignored',
      manifest: withRules([{ ...exitCodes({ operator: 'In', values: [1] }), name: 'r' }]),
      want: [`${RULES}[0].name: Forbidden: not supported by jobfleet`],
    },
  ]);
});

describe('backoffLimitPerIndex and maxFailedIndexes', () => {
  check([
    { name: 'both on an Indexed Job', manifest: indexed({ backoffLimitPerIndex: 1, maxFailedIndexes: 2 }), want: [] },
    {
      name: 'a negative backoffLimitPerIndex',
      manifest: indexed({ backoffLimitPerIndex: -1 }),
      want: ['spec.backoffLimitPerIndex: Invalid value: -1: must be greater than or equal to 0'],
    },
    {
      name: 'maxFailedIndexes without backoffLimitPerIndex',
      manifest: indexed({ maxFailedIndexes: 1 }),
      want: ['spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified'],
    },
    {
      name: 'a NonIndexed Job',
      manifest: job({ spec: { backoffLimitPerIndex: 1, maxFailedIndexes: 1 } }),
      want: [
        'spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode',
        'spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode',
      ],
    },
    {
      name: 'maxFailedIndexes above completions',
      manifest: indexed({ backoffLimitPerIndex: 1, maxFailedIndexes: 6 }),
      want: ['spec.maxFailedIndexes: Invalid value: 6: must be less than or equal to completions'],
    },
    {
      name: 'maxFailedIndexes above 100000',
      manifest: indexed({ completions: 100_000, backoffLimitPerIndex: 1, maxFailedIndexes: 100_001 }),
      want: [
        'spec.maxFailedIndexes: Invalid value: 100001: must be less than or equal to completions',
        'spec.maxFailedIndexes: Invalid value: 100001: must be less than or equal to 100000',
      ],
    },
  ]);
});

describe('successPolicy', () => {
  check([
    { name: 'succeededIndexes and succeededCount', manifest: indexed({ successPolicy: { rules: [{ succeededIndexes: '0,2-4', succeededCount: 2 }, { succeededCount: 5 }] } }), want: [] },
    {
      name: 'a NonIndexed Job',
      manifest: job({ spec: { successPolicy: { rules: [{ succeededCount: 1 }] } } }),
      want: ['spec.successPolicy: Invalid value: {"rules":[{"succeededCount":1}]}: requires indexed completion mode'],
    },
    {
      name: 'no rules',
      manifest: indexed({ successPolicy: { rules: [] } }),
      want: ['spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified'],
    },
    {
      name: 'a rule with neither field',
      manifest: indexed({ successPolicy: { rules: [{}] } }),
      want: ['spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified'],
    },
    {
      name: 'an index interval with an empty end',
      manifest: indexed({ successPolicy: { rules: [{ succeededIndexes: '1-' }] } }),
      want: ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "1-": error parsing succeededIndexes: cannot convert string to integer for index: ""'],
    },
    {
      name: 'an index beyond completions',
      manifest: indexed({ successPolicy: { rules: [{ succeededIndexes: '0-5' }] } }),
      want: ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "0-5": error parsing succeededIndexes: too large index: "5"'],
    },
    {
      name: 'indexes out of order',
      manifest: indexed({ successPolicy: { rules: [{ succeededIndexes: '3,1' }] } }),
      want: ['spec.successPolicy.rules[0].succeededIndexes: Invalid value: "3,1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1'],
    },
    {
      name: 'an interval of three parts',
      manifest: indexed({ successPolicy: { rules: [{ succeededIndexes: '1-2-3' }] } }),
      want: [
        'spec.successPolicy.rules[0].succeededIndexes: Invalid value: "1-2-3": error parsing succeededIndexes: the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by \'-\'',
      ],
    },
    {
      name: 'succeededCount above completions',
      manifest: indexed({ successPolicy: { rules: [{ succeededCount: 6 }] } }),
      want: ['spec.successPolicy.rules[0].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)'],
    },
    {
      name: 'succeededCount above the indexes of the rule',
      manifest: indexed({ successPolicy: { rules: [{ succeededIndexes: '0,1', succeededCount: 3 }] } }),
      want: ['spec.successPolicy.rules[0].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)'],
    },
    {
      name: 'a negative succeededCount',
      manifest: indexed({ successPolicy: { rules: [{ succeededCount: -1 }] } }),
      want: ['spec.successPolicy.rules[0].succeededCount: Invalid value: -1: must be greater than or equal to 0'],
    },
    {
      name: 'more than 20 rules',
      manifest: indexed({ successPolicy: { rules: Array.from({ length: 21 }, () => ({ succeededCount: 1 })) } }),
      want: ['spec.successPolicy.rules: Too many: 21: must have at most 20 items'],
    },
  ]);
});

describe('managedBy and podReplacementPolicy', () => {
  check([
    { name: 'another controller', manifest: job({ spec: { managedBy: 'example.com/custom-job-controller' } }), want: [] },
    { name: "Kubernetes' own controller", manifest: job({ spec: { managedBy: 'kubernetes.io/job-controller' } }), want: [] },
    { name: 'empty', manifest: job({ spec: { managedBy: '' } }), want: ['spec.managedBy: Required value'] },
    {
      name: 'no domain',
      manifest: job({ spec: { managedBy: 'custom' } }),
      want: ['spec.managedBy: Invalid value: "custom": must be a domain-prefixed path (such as "acme.io/foo")'],
    },
    { name: 'a domain that is not a DNS subdomain', manifest: job({ spec: { managedBy: 'Example.com/x' } }), want: [`spec.managedBy: Invalid value: "Example.com": ${DNS_SUBDOMAIN_RULE}`] },
    {
      name: 'a path with a space',
      manifest: job({ spec: { managedBy: 'example.com/a b' } }),
      want: ["spec.managedBy: Invalid value: \"a b\": Invalid path (regex used for validation is '[A-Za-z0-9/\\-._~%!$&'()*+,;=:]+')"],
    },
    { name: 'longer than 63 characters', manifest: job({ spec: { managedBy: `example.com/${'a'.repeat(60)}` } }), want: ['spec.managedBy: Too long: may not be more than 63 bytes'] },
    { name: 'podReplacementPolicy TerminatingOrFailed', manifest: job({ spec: { podReplacementPolicy: 'TerminatingOrFailed' } }), want: [] },
    {
      name: 'an unknown podReplacementPolicy',
      manifest: job({ spec: { podReplacementPolicy: 'Never' } }),
      want: ['spec.podReplacementPolicy: Unsupported value: "Never": supported values: "Failed", "TerminatingOrFailed"'],
    },
  ]);
});

describe('updates: the new fields are immutable, as in Kubernetes', () => {
  const stored = (patch: Manifest): Job => parseJob(job({ ...patch, metadata: { name: 'pi', namespace: 'default', uid: 'u-1' } }));
  const base = stored({
    spec: {
      completionMode: 'Indexed',
      completions: 4,
      parallelism: 2,
      backoffLimitPerIndex: 1,
      managedBy: 'example.com/a',
      podFailurePolicy: { rules: [{ action: 'Ignore', onExitCodes: { operator: 'In', values: [42] } }] },
      successPolicy: { rules: [{ succeededCount: 2 }] },
    },
  });
  it.each<{ name: string; change: (j: Job) => void; want: string[] }>([
    { name: 'maxFailedIndexes may change', change: (j) => (j.spec.maxFailedIndexes = 1), want: [] },
    { name: 'backoffLimitPerIndex', change: (j) => (j.spec.backoffLimitPerIndex = 2), want: ['spec.backoffLimitPerIndex: Invalid value: 2: field is immutable'] },
    { name: 'managedBy', change: (j) => (j.spec.managedBy = 'example.com/b'), want: ['spec.managedBy: Invalid value: "example.com/b": field is immutable'] },
    {
      name: 'podFailurePolicy',
      change: (j) => (j.spec.podFailurePolicy = { rules: [] }),
      want: ['spec.podFailurePolicy: Invalid value: {"rules":[]}: field is immutable'],
    },
    {
      name: 'successPolicy',
      change: (j) => delete j.spec.successPolicy,
      want: ['spec.successPolicy: Invalid value: "null": field is immutable'],
    },
  ])('$name', ({ change, want }) => {
    const next = structuredClone(base);
    change(next);
    expect(validateJobUpdate(base, next).map(formatFieldError)).toStrictEqual(want);
  });
});
