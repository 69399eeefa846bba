/**
 * JSON ↔ protobuf for every kind jobfleet serves: each object, written in protobuf and read back,
 * is the same object (but for the zero values Go's JSON leaves out), and has no field its message
 * cannot carry; the special types convert as apimachinery does; real kubectl bodies read as the
 * JSON kubectl would have sent.
 */
import { describe, expect, it } from 'vitest';
import { decodeObject, decodeWatchEvents, encodeObject, encodeWatchEvent, fieldsWithoutProtobuf, PROTOBUF_MAGIC } from './envelope.js';
import { fromMessage, toMessage } from './convert.js';
import { protobufSchema } from './schema.js';

const T = '2026-01-02T03:04:05Z';
const UID = '5f0c8a3e-2d1b-4c5a-9e7f-0a1b2c3d4e5f';
const meta = (name: string, extra: Record<string, unknown> = {}) => ({ name, namespace: 'default', uid: UID, resourceVersion: '42', creationTimestamp: T, ...extra });

const job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: meta('pi', {
    generation: 3,
    labels: { app: 'pi', 'batch.kubernetes.io/job-name': 'pi' },
    annotations: { note: '' },
    finalizers: ['batch.kubernetes.io/job-tracking'],
    managedFields: [{ manager: 'kubectl-create', operation: 'Update', apiVersion: 'batch/v1', time: T, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:parallelism': {} } } }],
  }),
  spec: {
    parallelism: 0,
    completions: 5,
    activeDeadlineSeconds: 5_000_000_000,
    backoffLimit: 0,
    backoffLimitPerIndex: 1,
    maxFailedIndexes: 2,
    completionMode: 'Indexed',
    suspend: false,
    manualSelector: false,
    ttlSecondsAfterFinished: 0,
    podReplacementPolicy: 'Failed',
    managedBy: 'kubernetes.io/job-controller',
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': UID }, matchExpressions: [{ key: 'a', operator: 'In', values: ['x', 'y'] }] },
    podFailurePolicy: {
      rules: [
        { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [0, 42, -1] } },
        { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
      ],
    },
    successPolicy: { rules: [{ succeededIndexes: '0-2', succeededCount: 1 }] },
    template: {
      metadata: { labels: { app: 'pi' } },
      spec: {
        restartPolicy: 'Never',
        terminationGracePeriodSeconds: 0,
        activeDeadlineSeconds: 600,
        nodeSelector: { disk: 'ssd' },
        securityContext: { runAsUser: 0, runAsNonRoot: false, fsGroup: 2000 },
        initContainers: [{ name: 'side', image: 'busybox', restartPolicy: 'Always', resources: {} }],
        containers: [
          {
            name: 'main',
            image: 'busybox:1.36',
            command: ['sh', '-c'],
            args: ['echo $(X)'],
            workingDir: '/tmp',
            env: [{ name: 'X', value: 'x' }, { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } }],
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            resources: { limits: { cpu: '500m', memory: '64Mi' }, requests: { cpu: '250m' } },
            volumeMounts: [{ name: 'scratch', mountPath: '/scratch', readOnly: true }],
            livenessProbe: { httpGet: { path: '/healthz', port: 'http' }, initialDelaySeconds: 3 },
            readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 5 },
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
            imagePullPolicy: 'IfNotPresent',
          },
        ],
        volumes: [{ name: 'scratch', emptyDir: {} }, { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '1Gi' } }],
      },
    },
  },
  status: {
    startTime: T,
    completionTime: T,
    active: 1,
    succeeded: 2,
    failed: 1,
    ready: 0,
    terminating: 0,
    completedIndexes: '0-1',
    failedIndexes: '3',
    uncountedTerminatedPods: { succeeded: [UID] },
    conditions: [{ type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods', lastProbeTime: T, lastTransitionTime: T }],
  },
};

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: meta('pi-x7k2q', {
    generateName: 'pi-',
    labels: { 'job-name': 'pi' },
    ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: UID, controller: true, blockOwnerDeletion: true }],
    deletionTimestamp: T,
    deletionGracePeriodSeconds: 0,
  }),
  spec: { containers: [{ name: 'main', image: 'busybox', resources: {} }], restartPolicy: 'OnFailure', nodeName: 'node-1', terminationGracePeriodSeconds: 30 },
  status: {
    phase: 'Running',
    startTime: T,
    hostIP: '192.0.2.2',
    hostIPs: [{ ip: '192.0.2.2' }],
    podIP: '172.17.0.3',
    podIPs: [{ ip: '172.17.0.3' }],
    qosClass: 'BestEffort',
    conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: T, reason: 'PodCompleted' }, { type: 'PodScheduled', status: 'True', lastTransitionTime: T }],
    containerStatuses: [
      {
        name: 'main',
        image: 'busybox',
        imageID: 'docker://sha256:d2b4',
        containerID: 'docker://bbbe',
        ready: false,
        started: false,
        restartCount: 2,
        state: { running: { startedAt: T } },
        lastState: { terminated: { exitCode: 0, signal: 9, reason: 'Completed', message: 'ok', startedAt: T, finishedAt: T, containerID: 'docker://aaaa' } },
      },
    ],
    initContainerStatuses: [{ name: 'side', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { waiting: { reason: 'PodInitializing' } }, lastState: {} }],
  },
};

const node = {
  apiVersion: 'v1',
  kind: 'Node',
  metadata: { name: 'node-1', uid: 'node-node-1-1', resourceVersion: '1795960574442', creationTimestamp: T, labels: { 'kubernetes.io/hostname': 'node-1' }, annotations: { 'jobfleet.io/running-pods': '0' } },
  spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute', timeAdded: T }] },
  status: {
    capacity: { pods: '110', cpu: '2', memory: '25276026880' },
    allocatable: { pods: '110', cpu: '2', memory: '25276026880' },
    conditions: [{ type: 'Ready', status: 'Unknown', lastHeartbeatTime: T, lastTransitionTime: T, reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' }],
    addresses: [{ type: 'Hostname', address: 'node-1' }],
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
    nodeInfo: { machineID: '', systemUUID: '', bootID: '', kernelVersion: '', osImage: '', containerRuntimeVersion: 'docker', kubeletVersion: 'jobfleet', kubeProxyVersion: '', operatingSystem: 'linux', architecture: 'amd64' },
  },
};

const event = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata: meta('pi.17f0a1'),
  involvedObject: { apiVersion: 'batch/v1', kind: 'Job', namespace: 'default', name: 'pi', uid: UID, resourceVersion: '7', fieldPath: 'spec.containers{main}' },
  reason: 'SuccessfulCreate',
  message: 'Created pod: pi-x7k2q',
  source: { component: 'job-controller', host: 'node-1' },
  firstTimestamp: T,
  lastTimestamp: T,
  eventTime: '2026-01-02T03:04:05.123456Z',
  series: { count: 3, lastObservedTime: '2026-01-02T03:04:06.000001Z' },
  count: 1,
  type: 'Normal',
  reportingComponent: 'job-controller',
  reportingInstance: '',
};

/** A CronJob as its API answers it: suspend and the history limits set to zero on purpose (pointers in Go). */
const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: meta('nightly', { generation: 2, labels: { team: 'a' } }),
  spec: {
    schedule: '*/5 * * * *',
    timeZone: 'Europe/Paris',
    startingDeadlineSeconds: 0,
    concurrencyPolicy: 'Forbid',
    suspend: false,
    jobTemplate: {
      metadata: { labels: { from: 'cronjob' } },
      spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox', command: ['date'] }] } } },
    },
    successfulJobsHistoryLimit: 0,
    failedJobsHistoryLimit: 1,
  },
  status: { active: [{ kind: 'Job', namespace: 'default', name: 'nightly-29000000', uid: UID, apiVersion: 'batch/v1', resourceVersion: '41' }], lastScheduleTime: T, lastSuccessfulTime: T },
};

const namespace = { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'team-a', uid: UID, creationTimestamp: T, deletionTimestamp: T, labels: { 'kubernetes.io/metadata.name': 'team-a' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } };
const listMeta = { resourceVersion: '99', continue: 'eyJucyI6ImRlZmF1bHQifQ', remainingItemCount: 3 };

/** Kinds jobfleet serves, each as its API answers it (zero values only where Go's JSON writes them). */
const KINDS: { name: string; obj: Record<string, unknown> }[] = [
  { name: 'Job', obj: job },
  { name: 'JobList', obj: { apiVersion: 'batch/v1', kind: 'JobList', metadata: listMeta, items: [job.metadata && { metadata: job.metadata, spec: job.spec, status: job.status }] } },
  { name: 'CronJob', obj: cronJob },
  { name: 'CronJobList', obj: { apiVersion: 'batch/v1', kind: 'CronJobList', metadata: listMeta, items: [{ metadata: cronJob.metadata, spec: cronJob.spec, status: cronJob.status }] } },
  { name: 'Pod', obj: pod },
  { name: 'PodList', obj: { apiVersion: 'v1', kind: 'PodList', metadata: { resourceVersion: '99' }, items: [{ metadata: pod.metadata, spec: pod.spec, status: pod.status }] } },
  { name: 'Node', obj: node },
  { name: 'NodeList', obj: { apiVersion: 'v1', kind: 'NodeList', metadata: { resourceVersion: '1' }, items: [{ metadata: node.metadata, spec: node.spec, status: node.status }] } },
  { name: 'Event', obj: event },
  { name: 'EventList', obj: { apiVersion: 'v1', kind: 'EventList', metadata: listMeta, items: [{ ...event, apiVersion: undefined, kind: undefined }] } },
  { name: 'Namespace', obj: namespace },
  { name: 'NamespaceList', obj: { apiVersion: 'v1', kind: 'NamespaceList', metadata: { resourceVersion: '5' }, items: [] } },
  { name: 'DeleteOptions', obj: { apiVersion: 'batch/v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, propagationPolicy: 'Foreground', preconditions: { uid: UID, resourceVersion: '7' }, dryRun: ['All'] } },
  {
    name: 'Status',
    obj: {
      apiVersion: 'v1',
      kind: 'Status',
      metadata: {},
      status: 'Failure',
      message: 'Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required value',
      reason: 'Invalid',
      details: { name: 'pi', group: 'batch', kind: 'Job', causes: [{ reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.restartPolicy' }], retryAfterSeconds: 10 },
      code: 422,
    },
  },
  { name: 'Status Success', obj: { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success', details: { name: 'pi', group: 'batch', kind: 'jobs', uid: UID } } },
  {
    name: 'SelfSubjectAccessReview',
    obj: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: { creationTimestamp: T },
      spec: { resourceAttributes: { namespace: 'default', verb: 'create', group: 'batch', resource: 'jobs' } },
      status: { allowed: true, reason: 'jobfleet has no access rules' },
    },
  },
  {
    name: 'SelfSubjectRulesReview',
    obj: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectRulesReview',
      metadata: {},
      spec: { namespace: 'default' },
      status: { resourceRules: [{ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }], nonResourceRules: [{ verbs: ['get'], nonResourceURLs: ['/version'] }], incomplete: false },
    },
  },
  { name: 'SelfSubjectReview', obj: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview', metadata: {}, status: { userInfo: { username: 'system:anonymous', groups: ['system:unauthenticated'], extra: { scopes: ['a', 'b'] } } } } },
  { name: 'Eviction', obj: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: 'pi-x7k2q', namespace: 'default' }, deleteOptions: { gracePeriodSeconds: 30 } } },
];

/** What Go's JSON would write for the decoded struct: our samples leave zero plain fields out, so the same object. */
function roundTrip(obj: Record<string, unknown>): unknown {
  return decodeObject(encodeObject(obj));
}

function withoutUndefined(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value)) as unknown;
}

describe('every kind jobfleet serves', () => {
  it.each(KINDS)('$name: fits its message and reads back the same', ({ obj }) => {
    expect(fieldsWithoutProtobuf(obj)).toEqual([]);
    const bytes = encodeObject(obj);
    expect(bytes.subarray(0, 4)).toEqual(PROTOBUF_MAGIC);
    expect(roundTrip(obj)).toEqual(withoutUndefined(obj));
  });

  it('names the fields an object has beyond its message (which protobuf would lose)', () => {
    expect(fieldsWithoutProtobuf({ ...job, spec: { ...job.spec, jobfleetOnly: 1 }, status: { ...job.status, extra: true } })).toEqual(['spec.jobfleetOnly', 'status.extra']);
    expect(fieldsWithoutProtobuf({ apiVersion: 'v1', kind: 'Table' })).toHaveLength(1);
  });
});

describe('zero values: set on purpose (pointers), left out (omitempty), or always written', () => {
  it('keeps a pointer field set to zero, drops a plain omitempty zero, keeps a zero Go always writes', () => {
    const obj = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'z', generation: 0, namespace: '' },
      spec: {
        backoffLimit: 0,
        suspend: false,
        template: { spec: { hostNetwork: false, containers: [{ name: '', image: 'busybox', stdin: false, tty: false, ports: [{ containerPort: 0, hostPort: 0 }] }] } },
      },
      status: { active: 0, ready: 0 },
    };
    expect(roundTrip(obj)).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'z' },
      spec: { backoffLimit: 0, suspend: false, template: { spec: { containers: [{ name: '', image: 'busybox', ports: [{ containerPort: 0 }] }] } } },
      status: { ready: 0 },
    });
  });

  it('keeps an empty message (emptyDir: {} is a volume type), drops empty lists and maps', () => {
    const obj = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: {}, finalizers: [] }, spec: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] } };
    expect(roundTrip(obj)).toEqual({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [], volumes: [{ name: 'v', emptyDir: {} }] } });
  });
});

describe('types with a JSON form of their own', () => {
  const schema = protobufSchema();
  const convert = (typeName: string, json: unknown) => toMessage(schema, schema.type(typeName), json);
  const back = (typeName: string, message: Record<string, unknown>) => fromMessage(schema, schema.type(typeName), message);

  it.each<{ name: string; type: string; json: unknown; message: Record<string, unknown>; back?: unknown }>([
    { name: 'Time', type: 'k8s.io.apimachinery.pkg.apis.meta.v1.Time', json: '2026-01-02T03:04:05Z', message: { seconds: 1767323045, nanos: 0 } },
    { name: 'Time with an offset and a fraction', type: 'k8s.io.apimachinery.pkg.apis.meta.v1.Time', json: '2026-01-02T05:04:05.5+02:00', message: { seconds: 1767323045, nanos: 500_000_000 }, back: '2026-01-02T03:04:05Z' },
    { name: 'MicroTime', type: 'k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime', json: '2026-01-02T03:04:05.000123Z', message: { seconds: 1767323045, nanos: 123_000 } },
    { name: 'Quantity', type: 'k8s.io.apimachinery.pkg.api.resource.Quantity', json: '500m', message: { string: '500m' } },
    { name: 'Quantity written as a number', type: 'k8s.io.apimachinery.pkg.api.resource.Quantity', json: 2, message: { string: '2' }, back: '2' },
    { name: 'IntOrString int', type: 'k8s.io.apimachinery.pkg.util.intstr.IntOrString', json: 8080, message: { type: 0, intVal: 8080, strVal: '' } },
    { name: 'IntOrString string', type: 'k8s.io.apimachinery.pkg.util.intstr.IntOrString', json: '25%', message: { type: 1, intVal: 0, strVal: '25%' } },
    { name: 'RawExtension', type: 'k8s.io.apimachinery.pkg.runtime.RawExtension', json: { a: [1, 'b'] }, message: { raw: Buffer.from('{"a":[1,"b"]}') } },
    { name: 'FieldsV1', type: 'k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1', json: { 'f:metadata': {} }, message: { Raw: Buffer.from('{"f:metadata":{}}') } },
    { name: 'Verbs', type: 'k8s.io.apimachinery.pkg.apis.meta.v1.Verbs', json: ['get', 'list'], message: { items: ['get', 'list'] } },
  ])('$name', ({ type, json, message, back: expected }) => {
    expect(convert(type, json)).toEqual(message);
    expect(back(type, message)).toEqual(expected ?? json);
  });

  it('reads the zero Time (an empty message) as no time at all', () => {
    const decoded = decodeObject(encodeObject({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', creationTimestamp: T } }));
    expect(decoded).toMatchObject({ metadata: { creationTimestamp: T } });
    expect(back('k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta', { name: 'n', creationTimestamp: {} })).toEqual({ name: 'n' });
  });

  it('int64 beyond 32 bits (Long on the wire) reads back as the number', () => {
    expect(roundTrip({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'l' }, spec: { activeDeadlineSeconds: 2 ** 53 - 1 } })).toMatchObject({ spec: { activeDeadlineSeconds: 2 ** 53 - 1 } });
  });

  it('uses the Go JSON name where it is not the proto name (authentication/v1 BoundObjectReference.uID is "uid")', () => {
    const message = convert('k8s.io.api.authentication.v1.BoundObjectReference', { kind: 'Pod', name: 'p', uid: UID });
    expect(message).toEqual({ kind: 'Pod', name: 'p', uID: UID });
    expect(back('k8s.io.api.authentication.v1.BoundObjectReference', message)).toEqual({ kind: 'Pod', name: 'p', uid: UID });
  });

  it('refuses a value of the wrong type instead of writing something else', () => {
    expect(() => encodeObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'w' }, spec: { parallelism: '3' } })).toThrow(/spec\.parallelism: expected an integer/);
    expect(() => encodeObject({ apiVersion: 'batch/v1', kind: 'Job', metadata: { creationTimestamp: 'yesterday' } })).toThrow(/not an RFC 3339 time/);
    expect(() => encodeObject({ apiVersion: 'v1', kind: 'Table' })).toThrow(/does not implement the protobuf marshalling interface/);
  });
});

describe('bodies real kubectl sent (v1.32.4)', () => {
  // kubectl create job cap1 --image=busybox -- echo hi
  const CREATE_JOB =
    '6b3873000a0f0a0862617463682f763112034a6f621288010a140a046361703112001a0022002a00320038004200126632640a100a0012001a0022002a003200380042001250122d0a0463617031120762757379626f781a046563686f1a0268692a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200';
  // kubectl create namespace capns
  const CREATE_NAMESPACE = '6b3873000a0f0a02763112094e616d657370616365121d0a150a056361706e7312001a0022002a0032003800420012001a020a001a002200';

  it('create job reads as the Job kubectl --dry-run=client -o json prints (every plain field Go wrote, left out)', () => {
    expect(decodeObject(Buffer.from(CREATE_JOB, 'hex'))).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'cap1' },
      spec: { template: { metadata: {}, spec: { containers: [{ name: 'cap1', image: 'busybox', command: ['echo', 'hi'], resources: {} }], restartPolicy: 'Never' } } },
      status: {},
    });
  });

  it('create namespace', () => {
    expect(decodeObject(Buffer.from(CREATE_NAMESPACE, 'hex'))).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'capns' }, spec: {}, status: {} });
  });
});

describe('watch frames', () => {
  it('are a big-endian length and a WatchEvent (no magic) whose object is the object envelope', () => {
    const status = { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: 'too old resource version: 1 (5)', reason: 'Expired', code: 410 };
    const frames = Buffer.concat([encodeWatchEvent('ADDED', job), encodeWatchEvent('ERROR', status)]);
    const first = frames.readUInt32BE(0);
    const event = protobufSchema().type('k8s.io.apimachinery.pkg.apis.meta.v1.WatchEvent').decode(frames.subarray(4, 4 + first)) as unknown as { type: string; object: { raw: Uint8Array } };
    expect(event.type).toBe('ADDED');
    expect(Buffer.from(event.object.raw)).toEqual(encodeObject(job));
    expect(decodeWatchEvents(frames)).toEqual([
      { type: 'ADDED', object: withoutUndefined(job) },
      { type: 'ERROR', object: status },
    ]);
  });

  it('a partial frame is left for later', () => {
    const frame = encodeWatchEvent('MODIFIED', namespace);
    expect(decodeWatchEvents(frame.subarray(0, frame.length - 1))).toEqual([]);
  });
});
