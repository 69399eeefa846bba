import { describe, expect, it } from 'vitest';
import { ANNOTATION_DELETED, JOB_TRACKING_FINALIZER } from './controller/labels.js';
import { formatFieldError } from './field-errors.js';
import {
  EVICTION_DISRUPTION,
  adoptedPod,
  deletionGracePeriod,
  isPodRemovable,
  markPodDeleted,
  ownershipChange,
  podStatusUpdate,
  podUpdate,
  releasedPod,
  withPodCondition,
} from './pod-api.js';
import type { Job, Pod } from './types.js';

const NOW = Date.parse('2025-01-01T00:00:00Z');

function pod(patch: { spec?: Partial<Pod['spec']>; metadata?: Partial<Pod['metadata']>; status?: Partial<Pod['status']> } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'pi-abcde',
      namespace: 'default',
      uid: 'pod-uid',
      creationTimestamp: '2025-01-01T00:00:00Z',
      labels: { 'batch.kubernetes.io/controller-uid': 'job-uid', 'batch.kubernetes.io/job-name': 'pi' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }],
      finalizers: [JOB_TRACKING_FINALIZER],
      ...patch.metadata,
    },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 30, containers: [{ name: 'pi', image: 'busybox' }], nodeName: 'node-a', ...patch.spec },
    status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastProbeTime: null, lastTransitionTime: '2025-01-01T00:00:00Z' }], ...patch.status },
  };
}

function job(patch: { name?: string; uid?: string; created?: string; selector?: Job['spec']['selector']; conditions?: NonNullable<Job['status']>['conditions']; managedBy?: string } = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: patch.name ?? 'pi', namespace: 'default', uid: patch.uid ?? 'job-uid', creationTimestamp: patch.created ?? '2025-01-01T00:00:00Z' },
    spec: {
      selector: patch.selector ?? { matchLabels: { 'batch.kubernetes.io/controller-uid': patch.uid ?? 'job-uid' } },
      template: { spec: { containers: [{ name: 'pi', image: 'busybox' }] } },
      ...(patch.managedBy ? { managedBy: patch.managedBy } : {}),
    },
    status: { conditions: patch.conditions ?? [] },
  };
}

describe('deletionGracePeriod (CheckGracefulDelete)', () => {
  it.each<{ name: string; pod: Pod; requested?: number; want: number }>([
    { name: 'the pod terminationGracePeriodSeconds', pod: pod(), want: 30 },
    { name: 'the one asked for', pod: pod(), requested: 5, want: 5 },
    { name: 'zero asked for', pod: pod(), requested: 0, want: 0 },
    { name: 'negative counts as 1', pod: pod(), requested: -3, want: 1 },
    { name: 'not on a node yet: at once', pod: pod({ spec: { nodeName: undefined } }), requested: 10, want: 0 },
    { name: 'Succeeded: at once', pod: pod({ status: { phase: 'Succeeded' } }), want: 0 },
    { name: 'Failed: at once', pod: pod({ status: { phase: 'Failed' } }), requested: 20, want: 0 },
    { name: 'no terminationGracePeriodSeconds: 30', pod: pod({ spec: { terminationGracePeriodSeconds: undefined } }), want: 30 },
  ])('$name', ({ pod, requested, want }) => {
    expect(deletionGracePeriod(pod, requested)).toBe(want);
  });
});

describe('markPodDeleted', () => {
  it('sets deletionTimestamp to now + grace, the grace and the mark', () => {
    const marked = markPodDeleted(pod(), { now: NOW, graceSeconds: 10, cause: 'api' });
    expect(marked?.metadata.deletionTimestamp).toBe('2025-01-01T00:00:10Z');
    expect(marked?.metadata.deletionGracePeriodSeconds).toBe(10);
    expect(marked?.metadata.annotations?.[ANNOTATION_DELETED]).toBe('api');
    expect(marked?.status.phase).toBe('Running');
  });

  it('fails a pod no node has taken, so that its Job counts it', () => {
    const marked = markPodDeleted(pod({ spec: { nodeName: undefined }, status: { phase: 'Pending' } }), { now: NOW, graceSeconds: 0, cause: 'api' });
    expect(marked?.status.phase).toBe('Failed');
    expect(marked?.metadata.deletionTimestamp).toBe('2025-01-01T00:00:00Z');
  });

  it('only shortens the grace period of a pod being deleted, keeping the deletion start', () => {
    const first = markPodDeleted(pod(), { now: NOW, graceSeconds: 30, cause: 'api' });
    if (!first) throw new Error('not marked');
    expect(markPodDeleted(first, { now: NOW + 5_000, graceSeconds: 30, cause: 'api' })).toBeUndefined();
    expect(markPodDeleted(first, { now: NOW + 5_000, graceSeconds: 60, cause: 'api' })).toBeUndefined();
    const shorter = markPodDeleted(first, { now: NOW + 5_000, graceSeconds: 2, cause: 'eviction' });
    expect(shorter?.metadata.deletionTimestamp).toBe('2025-01-01T00:00:02Z');
    expect(shorter?.metadata.deletionGracePeriodSeconds).toBe(2);
    expect(shorter?.metadata.annotations?.[ANNOTATION_DELETED]).toBe('api');
  });

  it('turns a terminating pod nobody deleted (a lost node) into a deleted one', () => {
    const lost = pod({ metadata: { deletionTimestamp: '2024-12-31T23:59:00Z', deletionGracePeriodSeconds: 0, annotations: { 'jobfleet.io/node-lost-at': '1' } } });
    const marked = markPodDeleted(lost, { now: NOW, graceSeconds: 30, cause: 'api' });
    expect(marked?.metadata.annotations?.[ANNOTATION_DELETED]).toBe('api');
  });
});

describe('withPodCondition (UpdatePodCondition)', () => {
  it('adds the eviction condition once, with Kubernetes reason and message', () => {
    const evicted = withPodCondition(pod(), EVICTION_DISRUPTION, NOW);
    expect(evicted?.status.conditions?.at(-1)).toStrictEqual({
      type: 'DisruptionTarget',
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
      lastProbeTime: null,
      lastTransitionTime: '2025-01-01T00:00:00Z',
    });
    expect(evicted && withPodCondition(evicted, EVICTION_DISRUPTION, NOW + 1000)).toBeUndefined();
  });
});

describe('isPodRemovable', () => {
  const deleted = (patch: Parameters<typeof pod>[0] = {}) =>
    pod({ ...patch, metadata: { deletionTimestamp: '2025-01-01T00:00:00Z', deletionGracePeriodSeconds: 0, annotations: { [ANNOTATION_DELETED]: 'api' }, ...patch.metadata } });
  it.each<{ name: string; pod: Pod; counted: boolean; want: boolean }>([
    { name: 'deleted, ended, counted', pod: deleted({ status: { phase: 'Failed' } }), counted: true, want: true },
    { name: 'deleted, ended, not counted yet', pod: deleted({ status: { phase: 'Failed' } }), counted: false, want: false },
    { name: 'deleted, still running', pod: deleted(), counted: true, want: false },
    { name: 'ended, not deleted', pod: pod({ status: { phase: 'Succeeded' } }), counted: true, want: false },
    { name: 'terminating but not deleted (a lost node, a stop)', pod: pod({ metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' }, status: { phase: 'Failed' } }), counted: true, want: false },
    { name: "held by a client's finalizer", pod: deleted({ metadata: { finalizers: ['example.com/keep'] }, status: { phase: 'Failed' } }), counted: true, want: false },
    { name: 'an orphan without finalizers', pod: deleted({ metadata: { finalizers: undefined, ownerReferences: undefined }, status: { phase: 'Succeeded' } }), counted: true, want: true },
  ])('$name', ({ pod, counted, want }) => {
    expect(isPodRemovable(pod, counted)).toBe(want);
  });
});

describe('ownershipChange (ClaimPods)', () => {
  const orphan = (labels: Record<string, string>, extra: Partial<Pod['metadata']> = {}) => pod({ metadata: { labels, ownerReferences: undefined, finalizers: undefined, ...extra } });
  const own = job();
  it.each<{ name: string; pod: Pod; owner?: Job; candidates?: Job[]; want: string }>([
    { name: 'owned and matching: kept', pod: pod(), owner: own, want: 'none' },
    { name: 'owned, labels no longer match: released', pod: pod({ metadata: { labels: { app: 'x' } } }), owner: own, want: 'release pi' },
    { name: 'owned by a finished Job: kept', pod: pod({ metadata: { labels: {} } }), owner: job({ conditions: [{ type: 'Complete', status: 'True' }] }), want: 'none' },
    { name: 'owned by a Job another controller manages: kept', pod: pod({ metadata: { labels: {} } }), owner: job({ managedBy: 'example.com/other' }), want: 'none' },
    { name: 'being deleted: never released', pod: pod({ metadata: { labels: {}, deletionTimestamp: '2025-01-01T00:00:00Z' } }), owner: own, want: 'none' },
    { name: 'owner gone: nothing to do', pod: pod({ metadata: { labels: {} } }), want: 'none' },
    { name: 'orphan matching its Job: adopted back', pod: orphan({ 'batch.kubernetes.io/controller-uid': 'job-uid' }), candidates: [own], want: 'adopt pi' },
    { name: 'orphan matching nothing: stays', pod: orphan({ app: 'x' }), candidates: [own], want: 'none' },
    { name: 'orphan being deleted: not adopted', pod: orphan({ 'batch.kubernetes.io/controller-uid': 'job-uid' }, { deletionTimestamp: '2025-01-01T00:00:00Z' }), candidates: [own], want: 'none' },
    { name: 'an empty selector matches nothing', pod: orphan({ app: 'x' }), candidates: [job({ selector: {} })], want: 'none' },
    {
      name: 'several matching: the oldest',
      pod: orphan({ app: 'x' }),
      candidates: [job({ name: 'young', uid: 'u2', created: '2025-02-01T00:00:00Z', selector: { matchLabels: { app: 'x' } } }), job({ name: 'old', uid: 'u1', selector: { matchLabels: { app: 'x' } } })],
      want: 'adopt old',
    },
    {
      name: 'several matching: the one its controller-uid label names',
      pod: orphan({ app: 'x', 'batch.kubernetes.io/controller-uid': 'u2' }),
      candidates: [job({ name: 'young', uid: 'u2', created: '2025-02-01T00:00:00Z', selector: { matchLabels: { app: 'x' } } }), job({ name: 'old', uid: 'u1', selector: { matchLabels: { app: 'x' } } })],
      want: 'adopt young',
    },
    { name: 'a finished Job adopts nothing', pod: orphan({ 'batch.kubernetes.io/controller-uid': 'job-uid' }), candidates: [job({ conditions: [{ type: 'Failed', status: 'True' }] })], want: 'none' },
  ])('$name', ({ pod, owner, candidates, want }) => {
    const change = ownershipChange(pod, owner, candidates ?? []);
    expect(change.kind === 'none' ? 'none' : `${change.kind} ${change.job.metadata.name}`).toBe(want);
  });

  it('release removes the controller reference and the Job finalizer; adoption puts them back', () => {
    const released = releasedPod(pod({ metadata: { finalizers: [JOB_TRACKING_FINALIZER, 'example.com/keep'] } }), own);
    expect(released.metadata.ownerReferences).toBeUndefined();
    expect(released.metadata.finalizers).toStrictEqual(['example.com/keep']);
    const adopted = adoptedPod(released, own);
    expect(adopted.metadata.ownerReferences).toStrictEqual([{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }]);
    expect(adopted.metadata.finalizers).toStrictEqual(['example.com/keep', JOB_TRACKING_FINALIZER]);
  });
});

describe('podUpdate (ValidatePodUpdate)', () => {
  const asJson = (p: Pod) => JSON.parse(JSON.stringify(p)) as Record<string, unknown>;
  const update = (stored: Pod, change: (p: Record<string, any>) => void) => {
    const requested = asJson(stored);
    change(requested);
    return podUpdate(stored, requested);
  };
  const messages = (r: { errors: Parameters<typeof formatFieldError>[0][] }) => r.errors.map(formatFieldError);

  it.each<{ name: string; stored?: Pod; change: (p: Record<string, any>) => void; want: string[] }>([
    { name: 'labels and annotations', change: (p) => ((p.metadata.labels.team = 'a'), (p.metadata.annotations = { note: 'x' })), want: [] },
    { name: 'status is ignored', change: (p) => (p.status.phase = 'Succeeded'), want: [] },
    { name: 'a client-go style echo with empty values', change: (p) => ((p.spec.containers[0].resources = {}), (p.spec.volumes = []), (p.metadata.managedFields = null)), want: [] },
    { name: 'removing the owner references', change: (p) => delete p.metadata.ownerReferences, want: [] },
    {
      name: 'adding an owner reference',
      change: (p) => p.metadata.ownerReferences.push({ apiVersion: 'v1', kind: 'Pod', name: 'x', uid: 'y' }),
      want: [
        'metadata.ownerReferences[1]: Forbidden: jobfleet sets the owner of a pod itself (the Job whose selector matches its labels adopts it): a client may only remove owner references',
      ],
    },
    {
      name: 'owner references checked as Kubernetes does',
      change: (p) => (p.metadata.ownerReferences = [{ apiVersion: '', kind: 'Job', name: '', uid: 'u' }]),
      want: ['metadata.ownerReferences.apiVersion: Invalid value: "": version must not be empty', 'metadata.ownerReferences.name: Invalid value: "": name must not be empty'],
    },
    {
      name: 'two controllers',
      change: (p) => p.metadata.ownerReferences.push({ apiVersion: 'batch/v1', kind: 'Job', name: 'other', uid: 'u2', controller: true }),
      want: [
        expect.stringContaining('Only one reference can have Controller set to true. Found "true" in references for Job/pi and Job/other') as unknown as string,
        expect.stringContaining('Forbidden: jobfleet sets the owner') as unknown as string,
      ],
    },
    { name: 'name is immutable', change: (p) => (p.metadata.name = 'other'), want: ['metadata.name: Invalid value: "other": field is immutable'] },
    { name: 'an invalid label', change: (p) => (p.metadata.labels['bad key'] = 'v'), want: [expect.stringMatching(/^metadata\.labels: Invalid value: "bad key": name part must consist of/) as unknown as string] },
    { name: 'a label value that is not a string', change: (p) => (p.metadata.labels.n = 5), want: ['metadata.labels[n]: Invalid value: 5: must be a string'] },
    { name: 'a running pod keeps its image', change: (p) => (p.spec.containers[0].image = 'busybox:1.36'), want: [expect.stringContaining('spec.containers[0].image: Forbidden: a worker runs this pod already') as unknown as string] },
    { name: 'an image that is no Docker reference', change: (p) => (p.spec.containers[0].image = 'Bad Image'), want: [expect.stringContaining('spec.containers[0].image: Invalid value: "Bad Image"') as unknown as string] },
    { name: 'an empty image', change: (p) => (p.spec.containers[0].image = ''), want: ['spec.containers[0].image: Required value'] },
    { name: 'adding a container', change: (p) => p.spec.containers.push({ name: 'b', image: 'busybox' }), want: ['spec.containers: Forbidden: pod updates may not add or remove containers'] },
    {
      name: 'any other spec field',
      change: (p) => (p.spec.restartPolicy = 'OnFailure'),
      want: [
        'spec: Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)\n- spec.restartPolicy: "Never"\n+ spec.restartPolicy: "OnFailure"',
      ],
    },
    // Kubernetes' TestPodUpdate toleration cases (validateOnlyAddedTolerations), on a running pod.
    { name: 'added valid new toleration', stored: pod({ spec: { tolerations: [{ key: 'key1', value: 'value1', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 10 }] } }), change: (p) => p.spec.tolerations.push({ key: 'key2', value: 'value2', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 10 }), want: [] },
    { name: 'modified existing toleration value', stored: pod({ spec: { tolerations: [{ key: 'key1', value: 'value1', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 10 }] } }), change: (p) => (p.spec.tolerations[0].value = 'value2'), want: ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds'] },
    { name: 'modified tolerationSeconds in existing toleration', stored: pod({ spec: { tolerations: [{ key: 'key1', value: 'value1', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 10 }] } }), change: (p) => (p.spec.tolerations[0].tolerationSeconds = 20), want: [] },
    { name: 'removed existing toleration', stored: pod({ spec: { tolerations: [{ key: 'key1', value: 'value1', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 10 }] } }), change: (p) => (p.spec.tolerations = []), want: ['spec.tolerations: Forbidden: existing toleration can not be modified except its tolerationSeconds'] },
    { name: 'added invalid new toleration', stored: pod({ spec: { tolerations: [{ key: 'key1', value: 'value1', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 10 }] } }), change: (p) => p.spec.tolerations.push({ key: 'key2', value: 'value2', operator: 'Equal', effect: 'NoSchedule', tolerationSeconds: 10 }), want: ["spec.tolerations[1].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set"] },
    { name: 'a toleration that is not one', change: (p) => (p.spec.tolerations = [{ key: 'k', colour: 'red' }]), want: [expect.stringMatching(/^spec\.tolerations: Invalid value: .*must be a list of tolerations$/) as unknown as string] },
    { name: 'unchanged tolerations with a label change', stored: pod({ spec: { tolerations: [{ key: 'key1', value: 'value1', operator: 'Equal', effect: 'NoExecute', tolerationSeconds: 10 }] } }), change: (p) => (p.metadata.labels.extra = 'x'), want: [] },
    { name: 'activeDeadlineSeconds may not grow', stored: pod({ spec: { activeDeadlineSeconds: 10, nodeName: undefined } }), change: (p) => (p.spec.activeDeadlineSeconds = 20), want: ['spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value'] },
    { name: 'activeDeadlineSeconds may not be removed', stored: pod({ spec: { activeDeadlineSeconds: 10, nodeName: undefined } }), change: (p) => delete p.spec.activeDeadlineSeconds, want: ['spec.activeDeadlineSeconds: Invalid value: "null": must not update from a positive integer to nil value'] },
    {
      name: "a client's finalizer",
      change: (p) => p.metadata.finalizers.push('example.com/keep'),
      want: ['metadata.finalizers: Forbidden: not supported by jobfleet: a client may only remove finalizers (found new finalizers ["example.com/keep"])'],
    },
    { name: 'removing the Job finalizer', change: (p) => delete p.metadata.finalizers, want: [] },
    { name: 'no new finalizer on a pod being deleted', stored: pod({ metadata: { deletionTimestamp: '2025-01-01T00:00:00Z' } }), change: (p) => p.metadata.finalizers.push('example.com/x'), want: ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ["example.com/x"]'] },
  ])('$name', ({ stored, change, want }) => {
    expect(messages(update(stored ?? pod(), change))).toStrictEqual(want);
  });

  it('keeps what only the server writes and takes the labels', () => {
    const stored = pod({ metadata: { deletionTimestamp: '2025-01-01T00:00:30Z', deletionGracePeriodSeconds: 30 } });
    const result = update(stored, (p) => {
      p.metadata.labels = { app: 'x' };
      p.metadata.uid = '';
      delete p.metadata.deletionTimestamp;
      p.metadata.creationTimestamp = '2030-01-01T00:00:00Z';
    });
    expect(result.errors).toStrictEqual([]);
    expect(result.pod.metadata).toMatchObject({ labels: { app: 'x' }, uid: 'pod-uid', deletionTimestamp: '2025-01-01T00:00:30Z', creationTimestamp: '2025-01-01T00:00:00Z' });
    expect(result.pod.status).toStrictEqual(stored.status);
  });

  it('a running pod takes an added toleration (and a changed tolerationSeconds); the rest of its spec stays', () => {
    const stored = pod({ spec: { tolerations: [{ key: 'spot', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 60 }] } });
    const result = update(stored, (p) => {
      p.spec.tolerations[0].tolerationSeconds = 5;
      p.spec.tolerations.push({ key: 'maintenance', operator: 'Exists', effect: 'NoExecute' });
    });
    expect(result.errors).toStrictEqual([]);
    expect(result.pod.spec).toStrictEqual({
      ...stored.spec,
      tolerations: [
        { key: 'spot', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 },
        { key: 'maintenance', operator: 'Exists', effect: 'NoExecute' },
      ],
    });
  });

  it('a pod no worker took yet, or one that ended, takes a new image and a shorter deadline', () => {
    const pending = pod({ spec: { nodeName: undefined, activeDeadlineSeconds: 100 }, status: { phase: 'Pending' } });
    const result = update(pending, (p) => ((p.spec.containers[0].image = 'busybox:1.36'), (p.spec.activeDeadlineSeconds = 50)));
    expect(result.errors).toStrictEqual([]);
    expect(result.pod.spec.containers[0]?.image).toBe('busybox:1.36');
    expect(result.pod.spec.activeDeadlineSeconds).toBe(50);
    expect(update(pod({ status: { phase: 'Succeeded' } }), (p) => (p.spec.containers[0].image = 'busybox:1.36')).errors).toStrictEqual([]);
  });
});

describe('podStatusUpdate (ValidatePodStatusUpdate, jobfleet: the workers own the status)', () => {
  const asJson = (p: Pod) => JSON.parse(JSON.stringify(p)) as Record<string, any>;
  it("a request that leaves the workers' conditions out keeps them (a merge patch replaces the list)", () => {
    const requested = asJson(pod());
    requested.status.conditions = [{ type: 'example.com/Gate', status: 'True' }];
    const result = podStatusUpdate(pod(), requested);
    expect(result.errors).toStrictEqual([]);
    expect(result.pod.status.conditions?.map((c) => c.type)).toStrictEqual(['Ready', 'example.com/Gate']);
  });

  it('a client adds its own condition, keeps the owner references and the spec', () => {
    const stored = pod();
    const requested = asJson(stored);
    requested.status.conditions.push({ type: 'DisruptionTarget', status: 'True', reason: 'Custom' });
    requested.metadata.ownerReferences = [];
    requested.spec.restartPolicy = 'OnFailure';
    const result = podStatusUpdate(stored, requested);
    expect(result.errors).toStrictEqual([]);
    expect(result.pod.status.conditions?.map((c) => c.type)).toStrictEqual(['Ready', 'DisruptionTarget']);
    expect(result.pod.metadata.ownerReferences).toStrictEqual(stored.metadata.ownerReferences);
    expect(result.pod.spec).toStrictEqual(stored.spec);
  });

  it.each<{ name: string; change: (p: Record<string, any>) => void; want: string[] }>([
    { name: 'the phase', change: (p) => (p.status.phase = 'Failed'), want: ["status.phase: Forbidden: jobfleet's workers own the pod's status: a client may only add, change or remove conditions of its own types"] },
    {
      name: "a worker's condition",
      change: (p) => (p.status.conditions[0].status = 'False'),
      want: ['status.conditions: Forbidden: the conditions "PodScheduled", "Initialized", "ContainersReady", "Ready", "PodReadyToStartContainers" are set by jobfleet\'s workers'],
    },
    { name: 'a condition type that is no qualified name', change: (p) => p.status.conditions.push({ type: 'bad type', status: 'True' }), want: [expect.stringMatching(/^metadata\.conditions\[1\]\.Type: Invalid value: "bad type"/) as unknown as string] },
  ])('refuses $name', ({ change, want }) => {
    const requested = asJson(pod());
    change(requested);
    expect(podStatusUpdate(pod(), requested).errors.map(formatFieldError)).toStrictEqual(want);
  });
});
