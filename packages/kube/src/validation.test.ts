import { describe, expect, it } from 'vitest';
import { IMAGE_REFERENCE_MESSAGE } from './image-reference.js';
import { invalidMessages, job, jobWithContainer, jobWithPod, type Manifest } from './__tests__/fixtures.js';

const DNS_LABEL_RULE =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS_SUBDOMAIN_RULE =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_KEY_RULE =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const QUANTITY_RULE = "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
const RESTART_POLICY_REQUIRED = 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"';
const POD = 'spec.template.spec';
const C0 = `${POD}.containers[0]`;

interface Case {
  name: string;
  manifest: Manifest;
  want: string[];
}

describe('validation of a new Job', () => {
  it.each<Case>([
    { name: 'the base manifest is valid', manifest: job(), want: [] },
    {
      name: 'negative completions',
      manifest: job({ spec: { completions: -1 } }),
      want: ['spec.completions: Invalid value: -1: must be greater than or equal to 0'],
    },
    {
      name: 'negative parallelism',
      manifest: job({ spec: { parallelism: -2 } }),
      want: ['spec.parallelism: Invalid value: -2: must be greater than or equal to 0'],
    },
    {
      name: 'negative backoffLimit',
      manifest: job({ spec: { backoffLimit: -1 } }),
      want: ['spec.backoffLimit: Invalid value: -1: must be greater than or equal to 0'],
    },
    {
      name: 'negative activeDeadlineSeconds',
      manifest: job({ spec: { activeDeadlineSeconds: -5 } }),
      want: ['spec.activeDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0'],
    },
    { name: 'a Job deadline of 0 is allowed', manifest: job({ spec: { activeDeadlineSeconds: 0 } }), want: [] },
    {
      name: 'negative ttlSecondsAfterFinished',
      manifest: job({ spec: { ttlSecondsAfterFinished: -1 } }),
      want: ['spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0'],
    },
    { name: 'missing restartPolicy', manifest: jobWithPod({ restartPolicy: undefined }), want: [RESTART_POLICY_REQUIRED] },
    { name: 'restartPolicy Always', manifest: jobWithPod({ restartPolicy: 'Always' }), want: [RESTART_POLICY_REQUIRED] },
    { name: 'restartPolicy OnFailure', manifest: jobWithPod({ restartPolicy: 'OnFailure' }), want: [] },
    {
      name: 'an unknown restartPolicy',
      manifest: jobWithPod({ restartPolicy: 'Sometimes' }),
      want: [`${POD}.restartPolicy: Unsupported value: "Sometimes": supported values: "OnFailure", "Never"`],
    },
    { name: 'no containers', manifest: jobWithPod({ containers: [] }), want: [`${POD}.containers: Required value`] },
    {
      name: 'no template at all',
      manifest: job({ spec: { template: undefined } }),
      want: [`${POD}.containers: Required value`, RESTART_POLICY_REQUIRED],
    },
    {
      name: 'a container name that is not a DNS label',
      manifest: jobWithContainer({ name: 'Web_1' }),
      want: [`${C0}.name: Invalid value: "Web_1": ${DNS_LABEL_RULE}`],
    },
    { name: 'a container without name', manifest: jobWithContainer({ name: '' }), want: [`${C0}.name: Required value`] },
    {
      name: 'two containers with one name',
      manifest: jobWithPod({ containers: [{ name: 'a', image: 'busybox' }, { name: 'a', image: 'busybox' }] }),
      want: [`${POD}.containers[1].name: Duplicate value: "a"`],
    },
    {
      name: 'an init container named like a container',
      manifest: jobWithPod({
        containers: [{ name: 'a', image: 'busybox' }],
        initContainers: [{ name: 'init', image: 'busybox' }, { name: 'a', image: 'busybox' }],
      }),
      want: [`${POD}.initContainers[1].name: Duplicate value: "a"`],
    },
    { name: 'a container without image', manifest: jobWithContainer({ image: undefined }), want: [`${C0}.image: Required value`] },
    {
      name: 'an image with spaces around it',
      manifest: jobWithContainer({ image: ' busybox' }),
      want: [`${C0}.image: Invalid value: " busybox": must not have leading or trailing whitespace`],
    },
    {
      name: 'an image name that climbs out of the Docker API path',
      manifest: jobWithContainer({ image: 'busybox/../../../127.0.0.1:9999/x' }),
      want: [`${C0}.image: Invalid value: "busybox/../../../127.0.0.1:9999/x": ${IMAGE_REFERENCE_MESSAGE}`],
    },
    {
      name: 'an image name in upper case',
      manifest: jobWithContainer({ image: 'BusyBox' }),
      want: [`${C0}.image: Invalid value: "BusyBox": ${IMAGE_REFERENCE_MESSAGE}`],
    },
    {
      name: 'a very long image name is cut in the message',
      manifest: jobWithContainer({ image: 'a'.repeat(4000) }),
      want: [`${C0}.image: Invalid value: "${'a'.repeat(300)}…": ${IMAGE_REFERENCE_MESSAGE}`],
    },
    {
      name: 'an image with a registry, port, tag and digest',
      manifest: jobWithContainer({ image: `registry.example.com:5000/team/app:v1@sha256:${'a'.repeat(64)}` }),
      want: [],
    },
    {
      name: 'an unknown imagePullPolicy',
      manifest: jobWithContainer({ imagePullPolicy: 'Sometimes' }),
      want: [`${C0}.imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never"`],
    },
    {
      name: 'Indexed without completions',
      manifest: job({ spec: { completionMode: 'Indexed', parallelism: 2 } }),
      want: ['spec.completions: Required value: when completion mode is Indexed'],
    },
    { name: 'Indexed with completions', manifest: job({ spec: { completionMode: 'Indexed', completions: 3 } }), want: [] },
    {
      name: 'Indexed with too much parallelism',
      manifest: job({ spec: { completionMode: 'Indexed', completions: 10, parallelism: 100_001 } }),
      want: ['spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed'],
    },
    {
      name: 'Indexed with too many completions',
      manifest: job({ spec: { completionMode: 'Indexed', completions: 100_001 } }),
      want: ['spec.completions: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed'],
    },
    {
      name: 'Indexed whose last pod name is not a DNS label',
      manifest: job({ metadata: { name: 'a'.repeat(62) }, spec: { completionMode: 'Indexed', completions: 2 } }),
      want: [`metadata.name: Invalid value: "${'a'.repeat(62)}": will not able to create pod with invalid DNS label: ${'a'.repeat(62)}-1`],
    },
    {
      name: 'NonIndexed above jobfleet caps',
      manifest: job({ spec: { completions: 1_000_001, parallelism: 1_000_001 } }),
      want: [
        'spec.completions: Invalid value: 1000001: must be less than or equal to 1000000',
        'spec.parallelism: Invalid value: 1000001: must be less than or equal to 1000000',
      ],
    },
    {
      name: 'an unknown completionMode',
      manifest: job({ spec: { completionMode: 'Sometimes' } }),
      want: ['spec.completionMode: Unsupported value: "Sometimes": supported values: "NonIndexed", "Indexed"'],
    },
    {
      name: 'an unknown podReplacementPolicy',
      manifest: job({ spec: { podReplacementPolicy: 'Never' } }),
      want: ['spec.podReplacementPolicy: Unsupported value: "Never": supported values: "Failed", "TerminatingOrFailed"'],
    },
    { name: 'podReplacementPolicy Failed', manifest: job({ spec: { podReplacementPolicy: 'Failed' } }), want: [] },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('validation of metadata', () => {
  it.each<Case>([
    {
      name: 'no name',
      manifest: job({ metadata: { name: undefined } }),
      want: ['metadata.name: Required value: name or generateName is required'],
    },
    { name: 'generateName instead of name', manifest: job({ metadata: { name: undefined, generateName: 'pi-' } }), want: [] },
    {
      name: 'a name that is not a DNS subdomain',
      manifest: job({ metadata: { name: 'My.Job' } }),
      want: [`metadata.name: Invalid value: "My.Job": ${DNS_SUBDOMAIN_RULE}`],
    },
    {
      name: 'a name too long for the job-name label',
      manifest: job({ metadata: { name: 'a'.repeat(64) } }),
      want: [`metadata.name: Invalid value: "${'a'.repeat(64)}": must be no more than 63 characters`],
    },
    {
      name: 'a namespace that is not a DNS label',
      manifest: job({ metadata: { namespace: 'team.a' } }),
      want: ['metadata.namespace: Invalid value: "team.a": must not contain dots'],
    },
    {
      name: 'a label key with a space',
      manifest: job({ metadata: { labels: { 'bad key': 'x' } } }),
      want: [`metadata.labels: Invalid value: "bad key": ${LABEL_KEY_RULE}`],
    },
    {
      name: 'a label value too long',
      manifest: job({ metadata: { labels: { app: 'v'.repeat(64) } } }),
      want: [`metadata.labels: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`],
    },
    {
      name: 'a template label value with a space',
      manifest: job({ spec: { template: { metadata: { labels: { app: 'a b' } } } } }),
      want: [
        `metadata.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
        `spec.template.labels: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
      ],
    },
    { name: 'a node selector', manifest: jobWithPod({ nodeSelector: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux' } }), want: [] },
    {
      name: 'a node selector key with a space, and a value too long',
      manifest: jobWithPod({ nodeSelector: { 'bad key': 'x', disk: 'v'.repeat(64) } }),
      want: [`${POD}.nodeSelector: Invalid value: "bad key": ${LABEL_KEY_RULE}`, `${POD}.nodeSelector: Invalid value: "${'v'.repeat(64)}": must be no more than 63 characters`],
    },
    {
      name: 'a node selector value that is not a string',
      manifest: jobWithPod({ nodeSelector: { disk: 1 } }),
      want: [`${POD}.nodeSelector[disk]: Invalid value: 1: must be a string`],
    },
    {
      name: 'an annotation key with two slashes',
      manifest: job({ metadata: { annotations: { 'a/b/c': 'x' } } }),
      want: [
        `metadata.annotations: Invalid value: "a/b/c": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
      ],
    },
    {
      name: 'kubectl annotations are fine',
      manifest: job({ metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x": 1}' } } }),
      want: [],
    },
    {
      name: 'annotations over 256 KiB',
      manifest: job({ metadata: { annotations: { big: 'x'.repeat(256 * 1024) } } }),
      want: ['metadata.annotations: Too long: may not be more than 262144 bytes'],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('validation of volumes, env and resources', () => {
  it.each<Case>([
    {
      name: 'a mount of an undeclared volume',
      manifest: jobWithContainer({ volumeMounts: [{ name: 'data', mountPath: '/data' }] }),
      want: [`${C0}.volumeMounts[0].name: Not found: "data"`],
    },
    {
      name: 'a mount of a declared emptyDir',
      manifest: jobWithPod({
        volumes: [{ name: 'data', emptyDir: {} }],
        containers: [{ name: 'a', image: 'busybox', volumeMounts: [{ name: 'data', mountPath: '/data' }] }],
      }),
      want: [],
    },
    {
      name: 'two volumes with one name',
      manifest: jobWithPod({ volumes: [{ name: 'data', emptyDir: {} }, { name: 'data', emptyDir: { medium: 'Memory' } }] }),
      want: [`${POD}.volumes[1].name: Duplicate value: "data"`],
    },
    {
      name: 'mount problems',
      manifest: jobWithPod({
        volumes: [{ name: 'data' }],
        containers: [
          {
            name: 'a',
            image: 'busybox',
            volumeMounts: [
              { name: 'data', mountPath: 'relative', subPath: '../up' },
              { name: 'data', mountPath: 'relative' },
            ],
          },
        ],
      }),
      want: [
        `${POD}.containers[0].volumeMounts[0].mountPath: Invalid value: "relative": must be an absolute path`,
        `${POD}.containers[0].volumeMounts[0].subPath: Invalid value: "../up": must not contain '..'`,
        `${POD}.containers[0].volumeMounts[1].mountPath: Invalid value: "relative": must be an absolute path`,
        `${POD}.containers[0].volumeMounts[1].mountPath: Invalid value: "relative": must be unique`,
      ],
    },
    {
      name: 'an unknown emptyDir medium',
      manifest: jobWithPod({ volumes: [{ name: 'data', emptyDir: { medium: 'HugePages' } }] }),
      want: [`${POD}.volumes[0].emptyDir.medium: Unsupported value: "HugePages": supported values: "", "Memory"`],
    },
    {
      name: 'an env var name starting with a digit',
      manifest: jobWithContainer({ env: [{ name: '1BAD', value: 'x' }] }),
      want: [
        `${C0}.env[0].name: Invalid value: "1BAD": a valid environment variable name must consist of alphabetic characters, digits, '_', '-', or '.', and must not start with a digit (e.g. 'my.env-name',  or 'MY_ENV.NAME',  or 'MyEnvName1', regex used for validation is '[-._a-zA-Z][-._a-zA-Z0-9]*')`,
      ],
    },
    {
      name: 'env from the downward API',
      manifest: jobWithContainer({
        env: [
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'INDEX', valueFrom: { fieldRef: { fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } },
        ],
      }),
      want: [],
    },
    {
      name: 'env field refs Kubernetes refuses',
      manifest: jobWithContainer({
        env: [
          { name: 'A', valueFrom: { fieldRef: { fieldPath: 'status.phase' } } },
          { name: 'B', valueFrom: { fieldRef: { fieldPath: 'spec.nothing' } } },
          { name: 'C', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.uid' } } },
          { name: 'D', valueFrom: {} },
        ],
      }),
      want: [
        `${C0}.env[0].valueFrom.fieldRef.fieldPath: Unsupported value: "status.phase": supported values: "metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName", "spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP", "status.podIPs"`,
        `${C0}.env[1].valueFrom.fieldRef.fieldPath: Invalid value: "spec.nothing": error converting fieldPath: field label not supported: spec.nothing`,
        `${C0}.env[2].valueFrom: Invalid value: "": may not be specified when \`value\` is not empty`,
        `${C0}.env[3].valueFrom: Invalid value: "": must specify one of: \`fieldRef\`, \`resourceFieldRef\`, \`configMapKeyRef\` or \`secretKeyRef\``,
      ],
    },
    {
      name: 'valid resources',
      manifest: jobWithContainer({ resources: { limits: { cpu: '500m', memory: '256Mi' }, requests: { cpu: 0.25, memory: '129e6' } } }),
      want: [],
    },
    {
      name: 'a malformed quantity',
      manifest: jobWithContainer({ resources: { limits: { cpu: 'lots' } } }),
      want: [`${C0}.resources.limits[cpu]: Invalid value: "lots": ${QUANTITY_RULE}`],
    },
    {
      name: 'a negative quantity',
      manifest: jobWithContainer({ resources: { requests: { memory: '-1Mi' } } }),
      want: [`${C0}.resources.requests[memory]: Invalid value: "-1Mi": must be greater than or equal to 0`],
    },
    {
      name: 'requests above limits',
      manifest: jobWithContainer({ resources: { limits: { cpu: '1', memory: '1Gi' }, requests: { cpu: '2', memory: '1G' } } }),
      want: [`${C0}.resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1`],
    },
    {
      name: 'a resource jobfleet cannot enforce',
      manifest: jobWithContainer({ resources: { limits: { 'example.com/fpga': 1 } } }),
      want: [`${C0}.resources.limits[example.com/fpga]: Forbidden: not supported by jobfleet`],
    },
    {
      name: 'a pod deadline of 0',
      manifest: jobWithPod({ activeDeadlineSeconds: 0 }),
      want: [`${POD}.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive`],
    },
    {
      name: 'a negative grace period',
      manifest: jobWithPod({ terminationGracePeriodSeconds: -1 }),
      want: [`${POD}.terminationGracePeriodSeconds: Invalid value: -1: must be greater than or equal to 0`],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('validation of the selector', () => {
  const uid = 'u-1';
  const generatedLabels = {
    'controller-uid': uid,
    'job-name': 'pi',
    'batch.kubernetes.io/controller-uid': uid,
    'batch.kubernetes.io/job-name': 'pi',
  };
  const generated = { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } };

  it.each<Case>([
    {
      name: 'a user selector without manualSelector',
      manifest: job({ spec: { selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } } } } }),
      want: ['spec.selector: Invalid value: {"matchLabels":{"app":"x"}}: `selector` not auto-generated'],
    },
    {
      name: 'manualSelector without selector',
      manifest: job({ spec: { manualSelector: true } }),
      want: ['spec.selector: Required value'],
    },
    {
      name: 'a manual selector matching the template',
      manifest: job({ spec: { manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'x' } } } } }),
      want: [],
    },
    {
      name: 'a manual selector not matching the template',
      manifest: job({ spec: { manualSelector: true, selector: { matchLabels: { app: 'x' } }, template: { metadata: { labels: { app: 'y' } } } } }),
      want: ['spec.template.metadata.labels: Invalid value: {"app":"y"}: `selector` does not match template `labels`'],
    },
    {
      name: 'manual match expressions',
      manifest: job({
        spec: {
          manualSelector: true,
          selector: {
            matchExpressions: [
              { key: 'app', operator: 'In', values: ['x', 'y'] },
              { key: 'tier', operator: 'DoesNotExist' },
              { key: 'env', operator: 'NotIn', values: ['prod'] },
            ],
          },
          template: { metadata: { labels: { app: 'x' } } },
        },
      }),
      want: [],
    },
    {
      name: 'bad match expressions',
      manifest: job({
        spec: {
          manualSelector: true,
          selector: {
            matchExpressions: [
              { key: 'app', operator: 'In' },
              { key: 'b', operator: 'Exists', values: ['x'] },
              { key: 'c', operator: 'Like' },
            ],
          },
        },
      }),
      want: [
        "spec.selector.matchExpressions[0].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
        "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
        'spec.selector.matchExpressions[2].operator: Invalid value: "Like": not a valid selector operator',
      ],
    },
    {
      name: 'a generated selector with its labels',
      manifest: job({ metadata: { uid }, spec: { selector: generated, template: { metadata: { labels: generatedLabels } } } }),
      want: [],
    },
    {
      name: 'a generated selector whose template lacks a label',
      manifest: job({
        metadata: { uid },
        spec: { selector: generated, template: { metadata: { labels: { ...generatedLabels, 'job-name': undefined } } } },
      }),
      want: ["spec.template.metadata.labels[job-name]: Required value: must be 'pi'"],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('decoding', () => {
  it.each<Case>([
    {
      name: 'a string where an integer goes',
      manifest: job({ spec: { completions: '5' } }),
      want: ['spec.completions: Invalid value: "5": must be an integer'],
    },
    {
      name: 'a fraction where an integer goes',
      manifest: job({ spec: { parallelism: 1.5 } }),
      want: ['spec.parallelism: Invalid value: 1.5: must be an integer'],
    },
    {
      name: 'an int32 overflow',
      manifest: job({ spec: { backoffLimit: 2 ** 31 } }),
      want: ['spec.backoffLimit: Invalid value: 2147483648: must be between -2147483648 and 2147483647, inclusive'],
    },
    {
      name: 'a string where a boolean goes',
      manifest: job({ spec: { suspend: 'yes' } }),
      want: ['spec.suspend: Invalid value: "yes": must be a boolean'],
    },
    {
      name: 'a string where a list goes',
      manifest: jobWithContainer({ command: 'echo hi' }),
      want: [`${C0}.command: Invalid value: "echo hi": must be a list`],
    },
    {
      name: 'a number as a label value',
      manifest: job({ metadata: { labels: { version: 1 } } }),
      want: ['metadata.labels[version]: Invalid value: 1: must be a string'],
    },
    {
      name: 'a list where the template goes',
      manifest: job({ spec: { template: [] } }),
      want: ['spec.template: Invalid value: []: must be an object'],
    },
    { name: 'null means unset', manifest: job({ spec: { completions: null, selector: null } }), want: [] },
    {
      name: 'type errors and unsupported fields are reported together',
      manifest: job({ spec: { completions: 'five', managedByx: 'x' } }),
      want: ['spec.completions: Invalid value: "five": must be an integer', 'spec.managedByx: Forbidden: not supported by jobfleet'],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toStrictEqual(want);
  });
});

describe('unsupported fields', () => {
  it.each<{ path: string; manifest: Manifest }>([
    { path: 'spec.podFailurePolicy.rules[0].name', manifest: job({ spec: { podFailurePolicy: { rules: [{ name: 'r', action: 'Ignore', onExitCodes: { operator: 'In', values: [1] } }] } } }) },
    { path: 'spec.successPolicy.rules[0].extra', manifest: job({ spec: { completionMode: 'Indexed', completions: 2, successPolicy: { rules: [{ succeededCount: 1, extra: 1 }] } } }) },
    { path: `${POD}.topologySpreadConstraints`, manifest: jobWithPod({ topologySpreadConstraints: [] }) },
    { path: `${POD}.affinity.podAntiAffinity`, manifest: jobWithPod({ affinity: { podAntiAffinity: {} } }) },
    { path: `${POD}.securityContext.fsGroup`, manifest: jobWithPod({ securityContext: { fsGroup: 2000 } }) },
    { path: `${POD}.volumes[0].nfs`, manifest: jobWithPod({ volumes: [{ name: 'n', nfs: { server: 'x', path: '/' } }] }) },
    { path: `${C0}.securityContext.seccompProfile`, manifest: jobWithContainer({ securityContext: { seccompProfile: { type: 'Unconfined' } } }) },
    { path: `${C0}.livenessProbe`, manifest: jobWithContainer({ livenessProbe: {} }) },
    { path: `${C0}.env[0].valueFrom.secretKeyRef`, manifest: jobWithContainer({ env: [{ name: 'A', valueFrom: { secretKeyRef: {} } }] }) },
    { path: 'metadata.deletionTimestampx', manifest: job({ metadata: { deletionTimestampx: 'x' } }) },
    { path: 'extra', manifest: job({ extra: true }) },
  ])('$path is Forbidden', ({ path, manifest }) => {
    expect(invalidMessages(manifest)).toStrictEqual([`${path}: Forbidden: not supported by jobfleet`]);
  });

  it('reports unsupported fields together with validation errors', () => {
    const manifest = job({ spec: { completions: -1, podFailurePolicyx: {}, template: { spec: { restartPolicy: 'Always', topologySpreadConstraints: [] } } } });
    expect(invalidMessages(manifest)).toStrictEqual([
      `${POD}.topologySpreadConstraints: Forbidden: not supported by jobfleet`,
      'spec.podFailurePolicyx: Forbidden: not supported by jobfleet',
      'spec.completions: Invalid value: -1: must be greater than or equal to 0',
      RESTART_POLICY_REQUIRED,
    ]);
  });

  it('accepts the informational fields and drops them', () => {
    const manifest = job({
      metadata: { selfLink: '/x', managedFields: [{}], creationTimestamp: null, finalizers: ['a/b'], ownerReferences: [] },
      spec: {
        template: {
          metadata: { creationTimestamp: null },
          spec: {
            dnsPolicy: 'ClusterFirst',
            schedulerName: 'default-scheduler',
            securityContext: {},
            containers: [
              {
                name: 'pi',
                image: 'busybox',
                ports: [{ containerPort: 80 }],
                terminationMessagePath: '/dev/termination-log',
                terminationMessagePolicy: 'File',
                securityContext: {},
                resources: {},
              },
            ],
          },
        },
      },
      status: { succeeded: 1 },
    });
    expect(invalidMessages(manifest)).toStrictEqual([]);
  });
});

describe('a manifest with three errors', () => {
  it('reports all three', () => {
    const manifest = job({
      metadata: { name: 'Bad_Name' },
      spec: { parallelism: -1, template: { spec: { restartPolicy: 'Always' } } },
    });
    expect(invalidMessages(manifest)).toStrictEqual([
      `metadata.name: Invalid value: "Bad_Name": ${DNS_SUBDOMAIN_RULE}`,
      'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
      RESTART_POLICY_REQUIRED,
    ]);
  });
});
