import { describe, expect, it } from 'vitest';
import type { Container, Job, Pod } from '../types.js';
import { COMPLETION_INDEX_ENV, COMPLETION_INDEX_KEY, JOB_TRACKING_FINALIZER } from './labels.js';
import {
  isIndexed,
  isPodFinished,
  isPodReady,
  newPodForJob,
  podDictionary,
  podFinishTime,
  podGenerateName,
  podIndex,
  podRestartCount,
  randomSuffix,
} from './pods.js';
import { k8sTime } from './time.js';

const NOW = Date.UTC(2024, 5, 1, 8, 30, 15);
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

function newJob(name = 'pi', extra: { indexed?: boolean; initContainers?: Container[]; containers?: Container[] } = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'team-a', uid: 'job-uid' },
    spec: {
      completions: 3,
      parallelism: 3,
      completionMode: extra.indexed ? 'Indexed' : 'NonIndexed',
      template: {
        metadata: { labels: { app: 'calc', 'job-name': 'user-value' }, annotations: { note: 'kept' } },
        spec: {
          restartPolicy: 'Never',
          terminationGracePeriodSeconds: 5,
          containers: extra.containers ?? [
            { name: 'main', image: 'busybox', env: [{ name: 'A', value: '1' }] },
            { name: 'side', image: 'alpine' },
          ],
          ...(extra.initContainers ? { initContainers: extra.initContainers } : {}),
        },
      },
    },
  };
}

describe('newPodForJob', () => {
  it.each<{ name: string; job: Job; index?: number }>([
    { name: 'NonIndexed', job: newJob() },
    { name: 'Indexed', job: newJob('pi', { indexed: true }), index: 2 },
  ])('$name: metadata, labels, owner, finalizer and Pending status', ({ job, index }) => {
    const pod = newPodForJob(job, { name: 'pi-abcde', uid: 'pod-uid', index, now: NOW });
    expect(pod.apiVersion).toBe('v1');
    expect(pod.kind).toBe('Pod');
    expect(pod.metadata).toMatchObject({
      name: 'pi-abcde',
      generateName: index === undefined ? 'pi-' : `pi-${index}-`,
      namespace: 'team-a',
      uid: 'pod-uid',
      creationTimestamp: k8sTime(NOW),
      finalizers: [JOB_TRACKING_FINALIZER],
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true, blockOwnerDeletion: true }],
    });
    expect(pod.metadata.finalizers).toStrictEqual(['batch.kubernetes.io/job-tracking']);
    // Template labels are kept, the controller's own win over a template value.
    expect(pod.metadata.labels).toMatchObject({
      app: 'calc',
      'job-name': 'pi',
      'controller-uid': 'job-uid',
      'batch.kubernetes.io/job-name': 'pi',
      'batch.kubernetes.io/controller-uid': 'job-uid',
    });
    expect(pod.metadata.annotations).toMatchObject({ note: 'kept' });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.terminationGracePeriodSeconds).toBe(5);
    expect(pod.spec.nodeName).toBeUndefined();
    expect(pod.status.phase).toBe('Pending');
    expect(pod.status.containerStatuses?.map((s) => [s.name, s.image, s.ready, s.restartCount, s.state.waiting?.reason])).toStrictEqual([
      ['main', 'busybox', false, 0, 'ContainerCreating'],
      ['side', 'alpine', false, 0, 'ContainerCreating'],
    ]);
    expect(isPodFinished(pod)).toBe(false);
    expect(isPodReady(pod)).toBe(false);
    expect(podIndex(pod)).toBe(index);
  });

  it('NonIndexed: no index label, annotation, env or hostname', () => {
    const pod = newPodForJob(newJob(), { name: 'pi-abcde', uid: 'u', now: NOW });
    expect(pod.metadata.labels?.[COMPLETION_INDEX_KEY]).toBeUndefined();
    expect(pod.metadata.annotations?.[COMPLETION_INDEX_KEY]).toBeUndefined();
    expect(pod.spec.hostname).toBeUndefined();
    expect(pod.spec.containers.flatMap((c) => c.env ?? []).map((e) => e.name)).toStrictEqual(['A']);
  });

  it('NonIndexed with no template annotations: no annotations field', () => {
    const job = newJob();
    delete job.spec.template.metadata?.annotations;
    const pod = newPodForJob(job, { name: 'pi-abcde', uid: 'u', now: NOW });
    expect(pod.metadata.annotations).toBeUndefined();
  });

  it('Indexed: index label and annotation, hostname <job>-<index>, JOB_COMPLETION_INDEX on every container and init container', () => {
    const job = newJob('calc', {
      indexed: true,
      initContainers: [{ name: 'setup', image: 'busybox' }, { name: 'setup2', image: 'busybox', env: [{ name: 'X', value: 'y' }] }],
    });
    const pod = newPodForJob(job, { name: 'calc-7-bcdfg', uid: 'u', index: 7, now: NOW });
    expect(pod.metadata.labels?.[COMPLETION_INDEX_KEY]).toBe('7');
    expect(pod.metadata.annotations?.[COMPLETION_INDEX_KEY]).toBe('7');
    expect(COMPLETION_INDEX_KEY).toBe('batch.kubernetes.io/job-completion-index');
    expect(pod.spec.hostname).toBe('calc-7');
    const indexEnv = {
      name: COMPLETION_INDEX_ENV,
      valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } },
    };
    expect(COMPLETION_INDEX_ENV).toBe('JOB_COMPLETION_INDEX');
    const all = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
    expect(all.map((c) => c.name)).toStrictEqual(['main', 'side', 'setup', 'setup2']);
    for (const c of all) expect(c.env?.filter((e) => e.name === COMPLETION_INDEX_ENV)).toStrictEqual([indexEnv]);
    // Existing variables stay, in front.
    expect(pod.spec.containers[0]?.env?.[0]).toStrictEqual({ name: 'A', value: '1' });
    expect(pod.spec.initContainers?.[1]?.env?.[0]).toStrictEqual({ name: 'X', value: 'y' });
  });

  it('index 0 is an index', () => {
    const pod = newPodForJob(newJob('pi', { indexed: true }), { name: 'pi-0-bcdfg', uid: 'u', index: 0, now: NOW });
    expect(pod.metadata.labels?.[COMPLETION_INDEX_KEY]).toBe('0');
    expect(pod.spec.hostname).toBe('pi-0');
    expect(podIndex(pod)).toBe(0);
  });

  it('does not modify the Job', () => {
    const job = newJob('pi', { indexed: true, initContainers: [{ name: 'i', image: 'busybox' }] });
    const before = structuredClone(job);
    newPodForJob(job, { name: 'pi-1-bcdfg', uid: 'u', index: 1, now: NOW });
    expect(job).toStrictEqual(before);
  });

  it('without init containers the pod has none', () => {
    const pod = newPodForJob(newJob('pi', { indexed: true }), { name: 'n', uid: 'u', index: 1, now: NOW });
    expect(pod.spec.initContainers).toBeUndefined();
  });
});

describe('isIndexed', () => {
  it.each([
    ['Indexed', true],
    ['NonIndexed', false],
  ] as const)('%s → %s', (mode, want) => {
    const job = newJob();
    job.spec.completionMode = mode;
    expect(isIndexed(job)).toBe(want);
  });
});

describe('podGenerateName', () => {
  const long = (n: number) => 'a'.repeat(n);
  it.each<{ name: string; jobName: string; index?: number; want: string }>([
    { name: 'NonIndexed: "<job>-"', jobName: 'pi', want: 'pi-' },
    { name: 'Indexed: "<job>-<index>-"', jobName: 'pi', index: 12, want: 'pi-12-' },
    { name: '57-character name: exactly 58 with the dash', jobName: long(57), want: `${long(57)}-` },
    { name: '63-character name: truncated to 58', jobName: long(63), want: long(58) },
    { name: 'Indexed fitting exactly', jobName: long(54), index: 10, want: `${long(54)}-10-` },
    { name: 'Indexed too long: the name is shortened, the index kept', jobName: long(56), index: 10, want: `${long(54)}-10-` },
    { name: 'Indexed 63-character name', jobName: long(60), index: 12345, want: `${long(51)}-12345-` },
  ])('$name', ({ jobName, index, want }) => {
    const got = podGenerateName(newJob(jobName), index);
    expect(got).toBe(want);
    expect(got.length).toBeLessThanOrEqual(58);
  });
});

describe('randomSuffix', () => {
  it('is five characters from the API server alphabet', () => {
    for (let i = 0; i < 200; i++) {
      const s = randomSuffix();
      expect(s).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{5}$/);
    }
  });

  it.each<{ name: string; random: () => number; length?: number; want: string }>([
    { name: 'lowest value: first letter', random: () => 0, want: 'bbbbb' },
    { name: 'highest value: last letter', random: () => 0.999999, want: '99999' },
    { name: 'middle', random: () => 0.5, want: NAME_ALPHABET[13]!.repeat(5) },
    { name: 'custom length', random: () => 0, length: 8, want: 'bbbbbbbb' },
  ])('$name', ({ random, length, want }) => {
    expect(randomSuffix(random, length)).toBe(want);
  });

  it('every letter of the alphabet can come out, and nothing else', () => {
    const seen = new Set<string>();
    for (let i = 0; i < NAME_ALPHABET.length; i++) seen.add(randomSuffix(() => i / NAME_ALPHABET.length, 1));
    expect([...seen].sort().join('')).toBe([...NAME_ALPHABET].sort().join(''));
  });
});

describe('pod helpers', () => {
  function pod(status: Partial<Pod['status']>, annotations?: Record<string, string>): Pod {
    return {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p', ...(annotations ? { annotations } : {}) },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
      status: { phase: 'Running', ...status },
    };
  }
  const term = (finishedAt?: string, exitCode = 0) => ({ name: 'c', image: 'i', ready: false, restartCount: 0, state: { terminated: { exitCode, ...(finishedAt ? { finishedAt } : {}) } } });

  it.each([
    ['Pending', false],
    ['Running', false],
    ['Succeeded', true],
    ['Failed', true],
    ['Unknown', false],
  ] as const)('isPodFinished(%s) = %s', (phase, want) => expect(isPodFinished(pod({ phase }))).toBe(want));

  it.each<{ name: string; p: Pod; want: boolean }>([
    { name: 'Ready=True', p: pod({ conditions: [{ type: 'Ready', status: 'True' }] }), want: true },
    { name: 'Ready=False', p: pod({ conditions: [{ type: 'Ready', status: 'False' }] }), want: false },
    { name: 'only ContainersReady=True', p: pod({ conditions: [{ type: 'ContainersReady', status: 'True' }] }), want: false },
    { name: 'no conditions', p: pod({}), want: false },
  ])('isPodReady: $name', ({ p, want }) => expect(isPodReady(p)).toBe(want));

  it('podRestartCount sums init and app containers', () => {
    const s = (restartCount: number) => ({ name: 'c', image: 'i', ready: false, restartCount, state: {} });
    expect(podRestartCount(pod({ initContainerStatuses: [s(1)], containerStatuses: [s(2), s(4)] }))).toBe(7);
    expect(podRestartCount(pod({}))).toBe(0);
  });

  // Kubernetes' TestGetFinishedTime (pkg/controller/job/backoff_utils_test.go), then jobfleet's own
  // cases (hostile or missing times). The sidecar case does not apply: init containers with
  // restartPolicy Always are refused by validation.
  const T = Date.UTC(2009, 10, 10, 23, 0, 0);
  const at = (ms: number) => k8sTime(ms);
  const running = { name: 'c', image: 'i', ready: true, restartCount: 0, state: { running: {} } };
  const withMeta = (p: Pod, meta: Partial<Pod['metadata']>): Pod => ({ ...p, metadata: { ...p.metadata, ...meta } });
  it.each<{ name: string; p: Pod; want: number | undefined }>([
    {
      name: 'multiple containers, all terminated: the latest',
      p: pod({ containerStatuses: [term(at(T - 1000)), term(at(T)), term(at(T - 2000))] }),
      want: T,
    },
    {
      name: 'two terminated, one running: falls back to deletionTimestamp',
      p: withMeta(pod({ containerStatuses: [term(at(T - 1000)), running, term(at(T - 2000))] }), { deletionTimestamp: at(T) }),
      want: T,
    },
    { name: 'fallback to deletionTimestamp', p: withMeta(pod({ containerStatuses: [running] }), { deletionTimestamp: at(T) }), want: T },
    {
      name: 'fallback to deletionTimestamp, decremented by the grace period',
      p: withMeta(pod({ containerStatuses: [running] }), { deletionTimestamp: at(T), deletionGracePeriodSeconds: 30 }),
      want: T - 30_000,
    },
    {
      name: 'fallback to Ready.lastTransitionTime when the condition is False',
      p: pod({ containerStatuses: [term()], conditions: [{ type: 'Ready', status: 'False', reason: 'PodFailed', lastTransitionTime: at(T) }] }),
      want: T,
    },
    {
      name: 'Ready=True is skipped: deletionTimestamp',
      p: withMeta(pod({ containerStatuses: [term()], conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: at(T - 30_000) }] }), { deletionTimestamp: at(T) }),
      want: T,
    },
    { name: 'fallback to creationTimestamp', p: withMeta(pod({ containerStatuses: [term()] }), { creationTimestamp: at(T) }), want: T },
    {
      name: 'a pod that never started (image missing): its Ready=False time',
      p: withMeta(
        pod({
          phase: 'Failed',
          containerStatuses: [{ name: 'c', image: 'i', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImageNeverPull' } } }],
          conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: at(T) }],
        }),
        { creationTimestamp: at(T - 5000) },
      ),
      want: T,
    },
    { name: 'no container status at all: creationTimestamp', p: withMeta(pod({}), { creationTimestamp: at(T) }), want: T },
    { name: 'an unparseable finishedAt counts as none', p: withMeta(pod({ containerStatuses: [term('garbage'), term(at(T))] }), { creationTimestamp: at(T - 9000) }), want: T - 9000 },
    { name: 'an unparseable deletionTimestamp is skipped', p: withMeta(pod({ containerStatuses: [running] }), { deletionTimestamp: 'x', creationTimestamp: at(T) }), want: T },
    { name: 'no time anywhere', p: pod({ containerStatuses: [running] }), want: undefined },
  ])('podFinishTime: $name', ({ p, want }) => expect(podFinishTime(p)).toBe(want));

  it.each<{ name: string; annotations?: Record<string, string>; want: number | undefined }>([
    { name: 'none', want: undefined },
    { name: '0', annotations: { [COMPLETION_INDEX_KEY]: '0' }, want: 0 },
    { name: '42', annotations: { [COMPLETION_INDEX_KEY]: '42' }, want: 42 },
  ])('podIndex: $name', ({ annotations, want }) => expect(podIndex(pod({}, annotations))).toBe(want));
});

describe('podDictionary', () => {
  it("is the Job's pod waiting, then finished on a node, as JSON: the same for the same Job, leaving the template alone", () => {
    const job = newJob('pi');
    const before = JSON.stringify(job);
    const dictionary = podDictionary(job);
    expect(podDictionary(job)).toBe(dictionary);
    expect(JSON.stringify(job)).toBe(before);
    const split = dictionary.indexOf('}{"apiVersion"') + 1;
    const [pending, finished] = [JSON.parse(dictionary.slice(0, split)) as Pod, JSON.parse(dictionary.slice(split)) as Pod];
    expect(pending).toStrictEqual(JSON.parse(JSON.stringify(newPodForJob(job, { name: 'pi-bcdfg', uid: '00000000-0000-0000-0000-000000000000', now: 0 }))));
    expect(pending.spec.nodeName).toBeUndefined();
    // The finished one differs from the waiting one in its node and status only.
    expect({ ...finished, spec: { ...finished.spec, nodeName: undefined }, status: undefined }).toStrictEqual({ ...pending, spec: { ...pending.spec, nodeName: undefined }, status: undefined });
    expect(finished.spec.nodeName).toBe('node');
    expect(finished.status).toMatchObject({ phase: 'Succeeded', containerStatuses: [{ name: 'main', state: { terminated: { reason: 'Completed' } } }, { name: 'side' }] });
    expect(Object.keys(finished).at(-1)).toBe('status');
  });
});
