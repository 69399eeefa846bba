/**
 * The scheduling fields of a pod template (affinity, tolerations, nodeName) and the extended
 * resource nvidia.com/gpu, checked as Kubernetes checks them (pkg/apis/core/validation:
 * ValidateNodeSelector, ValidateNodeSelectorRequirement, ValidateNodeFieldSelectorRequirement,
 * ValidatePreferredSchedulingTerms, ValidateTolerations, ValidateNodeName,
 * validateResourceRequirements). Cases named in quotes are ported from Kubernetes' TestValidatePod
 * and TestValidateContainers (pkg/apis/core/validation/validation_test.go) with the paths of a Job's
 * template; the others are jobfleet's.
 */
import { describe, expect, it } from 'vitest';
import { invalidMessages, jobWithContainer, jobWithPod, type Manifest } from './__tests__/fixtures.js';

const POD = 'spec.template.spec';
const C0 = `${POD}.containers[0]`;
const REQUIRED = `${POD}.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`;
const PREFERRED = `${POD}.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution`;
const LABEL_KEY_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_RULE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";
const DNS_SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

interface Case {
  name: string;
  manifest: Manifest;
  want: string[];
}

const required = (terms: unknown[]) => ({ requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: terms } });
const withNodeAffinity = (nodeAffinity: Manifest) => jobWithPod({ affinity: { nodeAffinity } });
const withTolerations = (tolerations: unknown[]) => jobWithPod({ tolerations });

describe('node affinity (TestValidatePod)', () => {
  it.each<Case>([
    {
      name: '"serialized node affinity requirements"',
      manifest: withNodeAffinity({
        ...required([
          {
            matchExpressions: [{ key: 'key2', operator: 'In', values: ['value1', 'value2'] }],
            matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host1'] }],
          },
        ]),
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 10, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } },
        ],
      }),
      want: [],
    },
    {
      name: '"serialized node affinity requirements, II"',
      manifest: withNodeAffinity({
        ...required([{ matchExpressions: [] }]),
        preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: { matchExpressions: [] } }],
      }),
      want: [],
    },
    {
      name: '"invalid node selector requirement in node affinity, operator can\'t be null"',
      manifest: withNodeAffinity(required([{ matchExpressions: [{ key: 'key1' }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: "": not a valid selector operator`],
    },
    {
      name: '"invalid node selector requirement in node affinity, key is invalid"',
      manifest: withNodeAffinity(required([{ matchExpressions: [{ key: 'invalid key ___@#', operator: 'Exists' }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchExpressions[0].key: Invalid value: "invalid key ___@#": ${LABEL_KEY_RULE}`],
    },
    {
      name: '"invalid node field selector requirement in node affinity, more values for field selector"',
      manifest: withNodeAffinity(required([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['host1', 'host2'] }] }])),
      want: [
        `${REQUIRED}.nodeSelectorTerms[0].matchFields[0].values: Required value: must be only one value when \`operator\` is 'In' or 'NotIn' for node field selector`,
      ],
    },
    {
      name: '"invalid node field selector requirement in node affinity, invalid operator"',
      manifest: withNodeAffinity(required([{ matchFields: [{ key: 'metadata.name', operator: 'Exists' }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchFields[0].operator: Invalid value: "Exists": not a valid selector operator`],
    },
    {
      name: '"invalid node field selector requirement in node affinity, invalid key"',
      manifest: withNodeAffinity(required([{ matchFields: [{ key: 'metadata.namespace', operator: 'In', values: ['ns1'] }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchFields[0].key: Invalid value: "metadata.namespace": not a valid field selector key`],
    },
    {
      name: '"invalid preferredSchedulingTerm in node affinity, weight should be in range 1-100"',
      manifest: withNodeAffinity({
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 199, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['bar'] }] } },
        ],
      }),
      want: [`${PREFERRED}[0].weight: Invalid value: 199: must be in the range 1-100`],
    },
    {
      name: '"invalid requiredDuringSchedulingIgnoredDuringExecution node selector, nodeSelectorTerms must have at least one term"',
      manifest: withNodeAffinity(required([])),
      want: [`${REQUIRED}.nodeSelectorTerms: Required value: must have at least one node selector term`],
    },
    {
      name: 'In without values',
      manifest: withNodeAffinity(required([{ matchExpressions: [{ key: 'zone', operator: 'NotIn' }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified when \`operator\` is 'In' or 'NotIn'`],
    },
    {
      name: 'Exists with values',
      manifest: withNodeAffinity(required([{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist', values: ['x'] }] }])),
      want: [
        `${REQUIRED}.nodeSelectorTerms[0].matchExpressions[0].values: Forbidden: may not be specified when \`operator\` is 'Exists' or 'DoesNotExist'`,
      ],
    },
    {
      name: 'Gt with two values',
      manifest: withNodeAffinity(required([{ matchExpressions: [{ key: 'cores', operator: 'Gt', values: ['1', '2'] }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchExpressions[0].values: Required value: must be specified single value when \`operator\` is 'Lt' or 'Gt'`],
    },
    {
      name: 'an invalid label value in a required term (refused for new objects since Kubernetes 1.33)',
      manifest: withNodeAffinity(required([{ matchExpressions: [{ key: 'foo', operator: 'NotIn', values: ['invalid value: ___@#$%^'] }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: "invalid value: ___@#$%^": ${LABEL_VALUE_RULE}`],
    },
    {
      name: 'an invalid label value in a preferred term is allowed',
      manifest: withNodeAffinity({
        preferredDuringSchedulingIgnoredDuringExecution: [
          { weight: 1, preference: { matchExpressions: [{ key: 'foo', operator: 'In', values: ['not a label value'] }] } },
        ],
      }),
      want: [],
    },
    {
      name: 'a weight of 0 (the default of a missing weight)',
      manifest: withNodeAffinity({ preferredDuringSchedulingIgnoredDuringExecution: [{ preference: {} }] }),
      want: [`${PREFERRED}[0].weight: Invalid value: 0: must be in the range 1-100`],
    },
    {
      name: 'a node name that is not a DNS subdomain in matchFields',
      manifest: withNodeAffinity(required([{ matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['Node_1'] }] }])),
      want: [`${REQUIRED}.nodeSelectorTerms[0].matchFields[0].values[0]: Invalid value: "Node_1": ${DNS_SUBDOMAIN_RULE}`],
    },
    {
      name: 'an empty affinity',
      manifest: jobWithPod({ affinity: {} }),
      want: [],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('pod affinity and anti-affinity, which jobfleet does not implement', () => {
  it.each<Case>([
    {
      // Kubernetes: an Invalid weight; jobfleet refuses podAffinity as a whole.
      name: '"invalid weight in preferredDuringSchedulingIgnoredDuringExecution in pod affinity annotations, weight should be in range 1-100"',
      manifest: jobWithPod({
        affinity: {
          podAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              { weight: 109, podAffinityTerm: { labelSelector: { matchExpressions: [] }, namespaces: ['ns'], topologyKey: 'region' } },
            ],
          },
        },
      }),
      want: [`${POD}.affinity.podAffinity: Forbidden: not supported by jobfleet`],
    },
    {
      name: 'pod anti-affinity, with node affinity checked as well',
      manifest: jobWithPod({
        affinity: {
          nodeAffinity: required([]),
          podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'zone' }] },
        },
      }),
      // Unsupported fields come first, as for every field jobfleet does not implement.
      want: [
        `${POD}.affinity.podAntiAffinity: Forbidden: not supported by jobfleet`,
        `${REQUIRED}.nodeSelectorTerms: Required value: must have at least one node selector term`,
      ],
    },
    {
      name: 'a podAffinity that is not an object',
      manifest: jobWithPod({ affinity: { podAffinity: 'near' } }),
      want: [`${POD}.affinity.podAffinity: Forbidden: not supported by jobfleet`],
    },
    {
      name: 'an unknown affinity',
      manifest: jobWithPod({ affinity: { zoneAffinity: {} } }),
      want: [`${POD}.affinity.zoneAffinity: Forbidden: not supported by jobfleet`],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('tolerations (TestValidatePod)', () => {
  it.each<Case>([
    {
      name: '"populate forgiveness tolerations with exists operator in annotations."',
      manifest: withTolerations([{ key: 'foo', operator: 'Exists', value: '', effect: 'NoExecute', tolerationSeconds: 60 }]),
      want: [],
    },
    {
      name: '"populate forgiveness tolerations with equal operator in annotations."',
      manifest: withTolerations([{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoExecute', tolerationSeconds: 60 }]),
      want: [],
    },
    {
      name: '"populate tolerations equal operator in annotations."',
      manifest: withTolerations([{ key: 'foo', operator: 'Equal', value: 'bar', effect: 'NoSchedule' }]),
      want: [],
    },
    {
      name: '"empty key with Exists operator is OK for toleration, empty toleration key means match all taint keys."',
      manifest: withTolerations([{ operator: 'Exists', effect: 'NoSchedule' }]),
      want: [],
    },
    {
      name: '"empty operator is OK for toleration, defaults to Equal."',
      manifest: withTolerations([{ key: 'foo', value: 'bar', effect: 'NoSchedule' }]),
      want: [],
    },
    {
      name: '"empty effect is OK for toleration, empty toleration effect means match all taint effects."',
      manifest: withTolerations([{ key: 'foo', operator: 'Equal', value: 'bar' }]),
      want: [],
    },
    {
      name: '"negative tolerationSeconds is OK for toleration."',
      manifest: withTolerations([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: -2 }]),
      want: [],
    },
    {
      name: '"invalid toleration key"',
      manifest: withTolerations([{ key: 'nospecialchars^=@', operator: 'Equal', value: 'bar', effect: 'NoSchedule' }]),
      want: [`${POD}.tolerations[0].key: Invalid value: "nospecialchars^=@": ${LABEL_KEY_RULE}`],
    },
    {
      name: '"invalid toleration operator"',
      manifest: withTolerations([{ key: 'foo', operator: 'In', value: 'bar', effect: 'NoSchedule' }]),
      want: [`${POD}.tolerations[0].operator: Unsupported value: "In": supported values: "Equal", "Exists"`],
    },
    {
      name: '"value must be empty when `operator` is \'Exists\'"',
      manifest: withTolerations([{ key: 'foo', operator: 'Exists', value: 'bar', effect: 'NoSchedule' }]),
      want: [`${POD}.tolerations[0].operator: Invalid value: "bar": value must be empty when \`operator\` is 'Exists'`],
    },
    {
      name: '"operator must be \'Exists\' when `key` is empty"',
      manifest: withTolerations([{ operator: 'Equal', value: 'bar', effect: 'NoSchedule' }]),
      want: [`${POD}.tolerations[0].operator: Invalid value: "Equal": operator must be Exists when \`key\` is empty, which means "match all values and all keys"`],
    },
    {
      name: '"effect must be \'NoExecute\' when `TolerationSeconds` is set"',
      manifest: withTolerations([{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoSchedule', tolerationSeconds: 20 }]),
      want: [`${POD}.tolerations[0].effect: Invalid value: "NoSchedule": effect must be 'NoExecute' when \`tolerationSeconds\` is set`],
    },
    {
      name: 'an empty key with an empty operator',
      manifest: withTolerations([{ effect: 'NoSchedule' }]),
      want: [`${POD}.tolerations[0].operator: Invalid value: "": operator must be Exists when \`key\` is empty, which means "match all values and all keys"`],
    },
    {
      name: 'tolerationSeconds without an effect',
      manifest: withTolerations([{ key: 'k', operator: 'Exists', tolerationSeconds: 5 }]),
      want: [`${POD}.tolerations[0].effect: Invalid value: "": effect must be 'NoExecute' when \`tolerationSeconds\` is set`],
    },
    {
      name: 'a value that is not a label value',
      manifest: withTolerations([{ key: 'k', value: 'a b' }]),
      want: [`${POD}.tolerations[0].operator: Invalid value: "a b": ${LABEL_VALUE_RULE}`],
    },
    {
      name: 'a value too long for a label, its two problems joined by ";"',
      manifest: withTolerations([{ key: 'k', operator: 'Equal', value: `${'a'.repeat(63)}-` }]),
      want: [`${POD}.tolerations[0].operator: Invalid value: "${'a'.repeat(63)}-": must be no more than 63 characters;${LABEL_VALUE_RULE}`],
    },
    {
      name: 'an unknown effect',
      manifest: withTolerations([{ key: 'k', operator: 'Exists', effect: 'NoScheduleNoAdmit' }]),
      want: [`${POD}.tolerations[0].effect: Unsupported value: "NoScheduleNoAdmit": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`],
    },
    {
      name: 'several problems of one toleration, in Kubernetes\' order',
      manifest: withTolerations([{ operator: 'Lt', value: '5', effect: 'Sometimes', tolerationSeconds: 1 }]),
      want: [
        `${POD}.tolerations[0].operator: Invalid value: "Lt": operator must be Exists when \`key\` is empty, which means "match all values and all keys"`,
        `${POD}.tolerations[0].effect: Invalid value: "Sometimes": effect must be 'NoExecute' when \`tolerationSeconds\` is set`,
        `${POD}.tolerations[0].operator: Unsupported value: "Lt": supported values: "Equal", "Exists"`,
        `${POD}.tolerations[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"`,
      ],
    },
    {
      name: 'tolerationSeconds that is not an integer',
      manifest: withTolerations([{ key: 'k', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 1.5 }]),
      want: [`${POD}.tolerations[0].tolerationSeconds: Invalid value: 1.5: must be an integer`],
    },
    {
      name: 'an unknown toleration field',
      manifest: withTolerations([{ key: 'k', operator: 'Exists', priority: 1 }]),
      want: [`${POD}.tolerations[0].priority: Forbidden: not supported by jobfleet`],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('nodeName (ValidateNodeName)', () => {
  it.each<Case>([
    { name: '"just about everything" (nodeName foobar)', manifest: jobWithPod({ nodeSelector: { key: 'value' }, nodeName: 'foobar' }), want: [] },
    { name: 'an empty nodeName is unset', manifest: jobWithPod({ nodeName: '' }), want: [] },
    {
      name: 'a nodeName that is not a DNS subdomain',
      manifest: jobWithPod({ nodeName: 'Worker_1' }),
      want: [`${POD}.nodeName: Invalid value: "Worker_1": ${DNS_SUBDOMAIN_RULE}`],
    },
    { name: 'a nodeName that is not a string', manifest: jobWithPod({ nodeName: 7 }), want: [`${POD}.nodeName: Invalid value: 7: must be a string`] },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

/** TestValidateContainers' extended-resource cases, with nvidia.com/gpu for example.com/a. */
describe('the extended resource nvidia.com/gpu (validateResourceRequirements)', () => {
  const gpu = (resources: Manifest) => jobWithContainer({ resources });
  it.each<Case>([
    { name: 'a limit alone (the request defaults to it)', manifest: gpu({ limits: { 'nvidia.com/gpu': 2 } }), want: [] },
    { name: 'an equal request and limit', manifest: gpu({ limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '1000m' } }), want: [] },
    {
      name: '"Invalid extended resource requirement: request must be == limit"',
      manifest: gpu({ limits: { 'nvidia.com/gpu': '1' }, requests: { 'nvidia.com/gpu': '2' } }),
      want: [`${C0}.resources.requests: Invalid value: "2": must be equal to nvidia.com/gpu limit of 1`],
    },
    {
      name: 'a request below the limit',
      manifest: gpu({ limits: { 'nvidia.com/gpu': 2 }, requests: { 'nvidia.com/gpu': 1 } }),
      want: [`${C0}.resources.requests: Invalid value: "1": must be equal to nvidia.com/gpu limit of 2`],
    },
    {
      name: '"Invalid extended resource requirement without limit"',
      manifest: gpu({ requests: { 'nvidia.com/gpu': '2' } }),
      want: [`${C0}.resources.limits: Required value: Limit must be set for non overcommitable resources`],
    },
    {
      name: '"Invalid fractional extended resource in container request"',
      manifest: gpu({ requests: { 'nvidia.com/gpu': '500m' } }),
      want: [
        `${C0}.resources.requests[nvidia.com/gpu]: Invalid value: "500m": must be an integer`,
        `${C0}.resources.limits: Required value: Limit must be set for non overcommitable resources`,
      ],
    },
    {
      name: '"Invalid fractional extended resource in container limit"',
      manifest: gpu({ limits: { 'nvidia.com/gpu': '2.5' } }),
      want: [`${C0}.resources.limits[nvidia.com/gpu]: Invalid value: "2.5": must be an integer`],
    },
    {
      name: '"Invalid fractional extended resource in init container limit"',
      manifest: jobWithPod({ initContainers: [{ name: 'init', image: 'busybox', resources: { limits: { 'nvidia.com/gpu': '1.5' } } }] }),
      want: [`${POD}.initContainers[0].resources.limits[nvidia.com/gpu]: Invalid value: "1.5": must be an integer`],
    },
    {
      name: 'a negative fraction breaks both rules',
      manifest: gpu({ limits: { 'nvidia.com/gpu': '-0.5' } }),
      want: [
        `${C0}.resources.limits[nvidia.com/gpu]: Invalid value: "-0.5": must be greater than or equal to 0`,
        `${C0}.resources.limits[nvidia.com/gpu]: Invalid value: "-0.5": must be an integer`,
      ],
    },
    {
      name: 'cpu may still be requested below its limit',
      manifest: gpu({ limits: { cpu: '2', 'nvidia.com/gpu': 1 }, requests: { cpu: '500m', 'nvidia.com/gpu': 1 } }),
      want: [],
    },
    {
      name: 'another extended resource is not supported',
      manifest: gpu({ limits: { 'amd.com/gpu': 1 } }),
      want: [`${C0}.resources.limits[amd.com/gpu]: Forbidden: not supported by jobfleet`],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});
