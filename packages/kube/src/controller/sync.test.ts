/**
 * Table-driven tests of the pure Job controller decision (syncJob), after Kubernetes'
 * TestControllerSyncJob: each case is job setup / pod setup / expectations.
 */
import { describe, expect, it } from 'vitest';
import type { Job, JobConditionType, JobSpec, JobStatus, Pod, PodPhase } from '../types.js';
import type { Delays } from './backoff.js';
import { ANNOTATION_STOP_REASON, COMPLETION_INDEX_KEY } from './labels.js';
import {
  EMPTY_CONTROL_STATE,
  MESSAGE,
  REASON,
  isJobFinished,
  jobFinishTime,
  syncJob,
  ttlDeadline,
  type JobControlState,
  type PodToStop,
  type SyncDecision,
  type SyncInput,
} from './sync.js';
import { k8sTime } from './time.js';

/** A whole second, so that k8sTime (which rounds down to the second) is exact. */
const T0 = Date.UTC(2024, 0, 15, 12, 0, 0);
const sec = (n: number) => n * 1000;

const DELAYS: Delays = {
  podFailureBackoffBaseMs: 10_000,
  podFailureBackoffMaxMs: 60_000,
  containerRestartBackoffBaseMs: 1_000,
  containerRestartBackoffMaxMs: 5_000,
};

// ---------------------------------------------------------------------------------------------
// Builders
// ---------------------------------------------------------------------------------------------

function newJob(spec: Partial<JobSpec> = {}, status: JobStatus = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'job-uid-1' },
    spec: {
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
    status,
  };
}

/** A work queue Job: completions unset. */
function workQueueJob(parallelism: number, spec: Partial<JobSpec> = {}, status: JobStatus = {}): Job {
  return newJob({ ...spec, completions: undefined, parallelism }, status);
}

function indexedJob(completions: number, parallelism: number, spec: Partial<JobSpec> = {}, status: JobStatus = {}): Job {
  return newJob({ ...spec, completionMode: 'Indexed', completions, parallelism }, status);
}

function onFailureJob(backoffLimit: number, spec: Partial<JobSpec> = {}): Job {
  return newJob({
    ...spec,
    backoffLimit,
    parallelism: 2,
    completions: 2,
    template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } },
  });
}

interface PodOpts {
  name?: string;
  index?: number;
  ready?: boolean;
  restarts?: number;
  initRestarts?: number;
  /** ms; defaults to T0 - 1 s for finished pods. */
  finishedAt?: number;
  createdAt?: number;
  /** deletionTimestamp set: the pod is terminating. */
  deleting?: boolean;
  /** Stopped by the controller without counting (suspend, surplus). */
  stopReason?: string;
}

let podSeq = 0;

function newPod(phase: PodPhase, o: PodOpts = {}): Pod {
  const name = o.name ?? `${phase.toLowerCase()}-${++podSeq}`;
  const finishedAt = k8sTime(o.finishedAt ?? T0 - sec(1));
  const state =
    phase === 'Succeeded'
      ? { terminated: { exitCode: 0, reason: 'Completed', finishedAt } }
      : phase === 'Failed'
        ? { terminated: { exitCode: 1, reason: 'Error', finishedAt } }
        : phase === 'Running'
          ? { running: { startedAt: k8sTime(T0 - sec(60)) } }
          : { waiting: { reason: 'ContainerCreating' } };
  const annotations: Record<string, string> = {};
  const labels: Record<string, string> = { 'job-name': 'pi' };
  if (o.index !== undefined) {
    annotations[COMPLETION_INDEX_KEY] = String(o.index);
    labels[COMPLETION_INDEX_KEY] = String(o.index);
  }
  if (o.stopReason) annotations[ANNOTATION_STOP_REASON] = o.stopReason;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: k8sTime(o.createdAt ?? T0 - sec(120)),
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ...(o.deleting ? { deletionTimestamp: k8sTime(T0 - sec(2)) } : {}),
    },
    spec: { restartPolicy: 'Never', nodeName: 'node-1', containers: [{ name: 'c', image: 'busybox' }] },
    status: {
      phase,
      conditions: [{ type: 'Ready', status: o.ready ? 'True' : 'False' }],
      ...(o.initRestarts !== undefined
        ? { initContainerStatuses: [{ name: 'init', image: 'busybox', ready: false, restartCount: o.initRestarts, state: { terminated: { exitCode: 0 } } }] }
        : {}),
      containerStatuses: [{ name: 'c', image: 'busybox', ready: o.ready ?? false, restartCount: o.restarts ?? 0, state }],
    },
  };
}

const running = (name: string, o: PodOpts = {}) => newPod('Running', { ready: true, ...o, name });
const pending = (name: string, o: PodOpts = {}) => newPod('Pending', { ...o, name });
const succeeded = (name: string, o: PodOpts = {}) => newPod('Succeeded', { ...o, name });
const failed = (name: string, o: PodOpts = {}) => newPod('Failed', { ...o, name });
const terminating = (name: string, o: PodOpts = {}) => newPod('Running', { ...o, name, deleting: true });

/** A pod that failed before any container ran (image missing), as the worker reports it. */
function neverStarted(name: string, failedAt: number): Pod {
  const pod = newPod('Failed', { name });
  return {
    ...pod,
    status: {
      phase: 'Failed',
      reason: 'ErrImageNeverPull',
      conditions: [{ type: 'Ready', status: 'False', reason: 'PodCompleted', lastTransitionTime: k8sTime(failedAt) }],
      containerStatuses: [{ name: 'c', image: 'busybox', ready: false, restartCount: 0, state: { waiting: { reason: 'ErrImageNeverPull' } } }],
    },
  };
}

/** A condition in the status, as the tables spell it: "Type=Status/Reason". */
function cond(type: JobConditionType, reason: string, status: 'True' | 'False' = 'True', at = T0) {
  const message =
    reason === REASON.backoffLimitExceeded
      ? MESSAGE.backoffLimitExceeded
      : reason === REASON.deadlineExceeded
        ? MESSAGE.deadlineExceeded
        : reason === REASON.completionsReached
          ? MESSAGE.completionsReached
          : reason === REASON.suspended
            ? 'Job suspended'
            : 'Job resumed';
  return { type, status, reason, message, lastProbeTime: k8sTime(at), lastTransitionTime: k8sTime(at) };
}

// ---------------------------------------------------------------------------------------------
// The table runner
// ---------------------------------------------------------------------------------------------

interface Want {
  create?: SyncDecision['create'];
  stop?: PodToStop[];
  counted?: string[];
  countedEarly?: string[];
  remove?: string[];
  /** Subset of the new status (toMatchObject). */
  status?: Partial<JobStatus>;
  /** The full condition list, "Type=Status/Reason" in order. */
  conditions?: string[];
  control?: JobControlState;
  /** Checked only when the key is present (undefined means "no requeue"). */
  requeueAfterMs?: number | undefined;
  /** Event reasons, in order. */
  events?: string[];
}

interface Case {
  name: string;
  // job setup
  job: Job;
  control?: JobControlState;
  now?: number;
  // pod setup
  pods?: Pod[];
  // expectations
  want: Want;
}

function run(c: Case): { input: SyncInput; decision: SyncDecision } {
  const input: SyncInput = { job: c.job, control: c.control ?? EMPTY_CONTROL_STATE, pods: c.pods ?? [], now: c.now ?? T0, delays: DELAYS };
  const before = structuredClone(input);
  const decision = syncJob(input);
  expect(input, 'syncJob must not modify its input').toStrictEqual(before);
  return { input, decision };
}

const condText = (status: JobStatus) => (status.conditions ?? []).map((c) => `${c.type}=${c.status}/${c.reason ?? ''}`);

function checkWant(decision: SyncDecision, want: Want): void {
  if (want.create) expect(decision.create).toStrictEqual(want.create);
  if (want.stop) expect(decision.stop).toStrictEqual(want.stop);
  if (want.counted) expect(decision.counted).toStrictEqual(want.counted);
  if (want.countedEarly) expect(decision.countedEarly).toStrictEqual(want.countedEarly);
  if (want.remove) expect(decision.remove).toStrictEqual(want.remove);
  if (want.status) expect(decision.status).toMatchObject(want.status);
  if (want.conditions) expect(condText(decision.status)).toStrictEqual(want.conditions);
  if (want.control) expect(decision.control).toStrictEqual(want.control);
  if ('requeueAfterMs' in want) expect(decision.requeueAfterMs).toBe(want.requeueAfterMs);
  if (want.events) expect(decision.events.map((e) => e.reason)).toStrictEqual(want.events);
}

/** What must hold after every sync, whatever the case. */
function checkInvariants(input: SyncInput, d: SyncDecision): void {
  const s = d.status;
  expect(s.active ?? 0).toBeGreaterThanOrEqual(0);
  expect(s.ready ?? 0).toBeGreaterThanOrEqual(0);
  expect(s.ready ?? 0).toBeLessThanOrEqual(s.active ?? 0);
  // Always reported, 0 too, as Kubernetes 1.33 does.
  expect(s.terminating).toBeGreaterThanOrEqual(0);
  expect(s.ready).toBeGreaterThanOrEqual(0);
  // Counters only go up.
  expect(s.succeeded ?? 0).toBeGreaterThanOrEqual(input.job.status?.succeeded ?? 0);
  expect(s.failed ?? 0).toBeGreaterThanOrEqual(input.job.status?.failed ?? 0);
  // Each sync either creates or stops, never both.
  expect(d.create.count > 0 && d.stop.length > 0).toBe(false);
  if (d.create.indexes) expect(d.create.indexes).toHaveLength(d.create.count);
  // Counted names are exactly the finished pods given, each once.
  const finished = input.pods.filter((p) => p.status.phase === 'Succeeded' || p.status.phase === 'Failed').map((p) => p.metadata.name);
  expect([...d.counted].sort()).toStrictEqual([...finished].sort());
  // Only pods that were given and still run are stopped, each once.
  const unfinishedNames = new Set(input.pods.filter((p) => !finished.includes(p.metadata.name)).map((p) => p.metadata.name));
  for (const st of d.stop) expect(unfinishedNames.has(st.name)).toBe(true);
  expect(new Set(d.stop.map((st) => st.name)).size).toBe(d.stop.length);
  // Terminal conditions come after their interim ones and only once nothing runs.
  const types = (s.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);
  if (types.includes('Complete')) {
    expect(types.indexOf('SuccessCriteriaMet')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('SuccessCriteriaMet')).toBeLessThan(types.indexOf('Complete'));
    expect(types).not.toContain('Failed');
    expect(s.completionTime).toBeDefined();
  }
  if (types.includes('Failed')) {
    expect(types.indexOf('FailureTarget')).toBeGreaterThanOrEqual(0);
    expect(types.indexOf('FailureTarget')).toBeLessThan(types.indexOf('Failed'));
    expect(s.completionTime).toBeUndefined();
  }
  const newlyTerminal = (types.includes('Complete') || types.includes('Failed')) && !isJobFinished(input.job);
  if (newlyTerminal) {
    expect(input.pods.filter((p) => !finished.includes(p.metadata.name))).toStrictEqual([]);
    expect(s.active).toBe(0);
    expect(d.create.count).toBe(0);
  }
  if (isJobFinished(input.job) || newlyTerminal) expect(d.create.count).toBe(0);
}

function runTable(cases: Case[]) {
  it.each(cases)('$name', (c) => {
    const { input, decision } = run(c);
    checkWant(decision, c.want);
    checkInvariants(input, decision);
  });
}

// ---------------------------------------------------------------------------------------------
// The tables
// ---------------------------------------------------------------------------------------------

describe('syncJob: creating pods', () => {
  runTable([
    {
      name: 'first sync sets startTime and creates one pod',
      job: newJob(),
      want: { create: { count: 1 }, status: { startTime: k8sTime(T0), active: 1, ready: 0, succeeded: 0, failed: 0 }, conditions: [], events: [], requeueAfterMs: undefined },
    },
    {
      name: 'first sync creates min(parallelism, completions): parallelism 3, completions 2',
      job: newJob({ parallelism: 3, completions: 2 }),
      want: { create: { count: 2 }, status: { active: 2 } },
    },
    {
      name: 'first sync creates min(parallelism, completions): parallelism 2, completions 5',
      job: newJob({ parallelism: 2, completions: 5 }),
      want: { create: { count: 2 }, status: { active: 2 } },
    },
    {
      name: 'startTime set before is kept',
      job: newJob({ parallelism: 2, completions: 5 }, { startTime: k8sTime(T0 - sec(30)) }),
      pods: [running('a')],
      want: { create: { count: 1 }, status: { startTime: k8sTime(T0 - sec(30)), active: 2, ready: 1 } },
    },
    {
      name: 'only the completions still missing are started',
      job: newJob({ parallelism: 3, completions: 5 }, { succeeded: 4, startTime: k8sTime(T0) }),
      want: { create: { count: 1 } },
    },
    {
      name: 'parallelism 0 creates nothing',
      job: newJob({ parallelism: 0, completions: 3 }),
      want: { create: { count: 0 }, stop: [], status: { active: 0 } },
    },
    {
      name: 'enough pods running: nothing to do',
      job: newJob({ parallelism: 2, completions: 5 }, { startTime: k8sTime(T0) }),
      pods: [running('a'), pending('b')],
      want: { create: { count: 0 }, stop: [], status: { active: 2, ready: 1 } },
    },
    {
      name: 'a terminating pod holds its place: no replacement while it runs',
      job: newJob({ parallelism: 2, completions: 5 }, { startTime: k8sTime(T0) }),
      pods: [running('a'), terminating('b')],
      want: { create: { count: 0 }, stop: [], status: { active: 1, terminating: 1 } },
    },
    {
      name: 'terminating pods are subtracted from what is created',
      job: newJob({ parallelism: 4, completions: 10 }, { startTime: k8sTime(T0) }),
      pods: [terminating('a'), terminating('b')],
      want: { create: { count: 2 }, status: { active: 2, terminating: 2 } },
    },
    {
      name: 'work queue: parallelism pods at first',
      job: workQueueJob(3),
      want: { create: { count: 3 }, status: { active: 3 } },
    },
    {
      name: 'status.ready counts only active pods with Ready=True',
      job: newJob({ parallelism: 3, completions: 3 }, { startTime: k8sTime(T0) }),
      pods: [running('a'), running('b', { ready: false }), running('c'), terminating('d', { ready: true })],
      want: { create: { count: 0 }, status: { active: 3, ready: 2, terminating: 1 } },
    },
  ]);
});

describe('syncJob: counting finished pods (NonIndexed)', () => {
  runTable([
    {
      name: 'a succeeded and a failed pod are counted, running ones are not',
      job: newJob({ parallelism: 3, completions: 5 }, { startTime: k8sTime(T0) }),
      pods: [succeeded('s', { finishedAt: T0 - sec(5) }), failed('f', { finishedAt: T0 - sec(60) }), running('r')],
      want: { counted: ['f', 's'], status: { succeeded: 1, failed: 1, active: 3 }, create: { count: 2 } },
    },
    {
      name: 'counts add to those of earlier syncs',
      job: newJob({ parallelism: 2, completions: 10 }, { startTime: k8sTime(T0), succeeded: 3, failed: 2 }),
      pods: [succeeded('s1'), succeeded('s2'), running('r')],
      want: { counted: ['s1', 's2'], status: { succeeded: 5, failed: 2 } },
    },
    {
      name: 'a pod stopped without counting (stop-reason annotation) is counted as neither',
      job: newJob({ parallelism: 2, completions: 10 }, { startTime: k8sTime(T0), failed: 1 }),
      pods: [failed('x', { stopReason: 'Surplus' }), running('r')],
      want: { counted: ['x'], status: { succeeded: 0, failed: 1 }, control: { failuresInRow: 0 } },
    },
    {
      name: 'nothing finished: nothing counted',
      job: newJob({ parallelism: 2, completions: 10 }, { startTime: k8sTime(T0), succeeded: 1 }),
      pods: [running('a'), pending('b'), terminating('c')],
      want: { counted: [], status: { succeeded: 1, failed: 0 } },
    },
  ]);

  it('a pod counted by one sync is not counted again by the next (the caller drops counted pods)', () => {
    const job = newJob({ parallelism: 2, completions: 10 }, { startTime: k8sTime(T0) });
    const pods = [succeeded('s'), failed('f', { finishedAt: T0 - sec(100) }), running('r')];
    const first = syncJob({ job, control: EMPTY_CONTROL_STATE, pods, now: T0, delays: DELAYS });
    expect(first.status).toMatchObject({ succeeded: 1, failed: 1 });
    const uncounted = pods.filter((p) => !first.counted.includes(p.metadata.name ?? ''));
    expect(uncounted.map((p) => p.metadata.name)).toStrictEqual(['r']);

    const second = syncJob({ job: { ...job, status: first.status }, control: first.control, pods: uncounted, now: T0 + sec(1), delays: DELAYS });
    expect(second.counted).toStrictEqual([]);
    expect(second.status).toMatchObject({ succeeded: 1, failed: 1 });
    expect(second.control).toStrictEqual(first.control);
  });
});

describe('syncJob: Indexed Jobs', () => {
  runTable([
    {
      name: 'first sync creates indexes 0..parallelism-1',
      job: indexedJob(5, 3),
      want: { create: { count: 3, indexes: [0, 1, 2] }, status: { completedIndexes: '', succeeded: 0, active: 3 } },
    },
    {
      name: 'completed indexes print as "0-2,4" and succeeded is their number',
      job: indexedJob(6, 2, {}, { startTime: k8sTime(T0) }),
      pods: [succeeded('a', { index: 0 }), succeeded('b', { index: 1 }), succeeded('c', { index: 2 }), succeeded('d', { index: 4 })],
      want: { status: { completedIndexes: '0-2,4', succeeded: 4 }, create: { count: 2, indexes: [3, 5] } },
    },
    {
      name: 'new completions merge with the stored ones',
      job: indexedJob(8, 1, {}, { startTime: k8sTime(T0), completedIndexes: '0-2,4', succeeded: 4 }),
      pods: [succeeded('a', { index: 3 }), succeeded('b', { index: 6 })],
      want: { status: { completedIndexes: '0-4,6', succeeded: 6 }, create: { count: 1, indexes: [5] } },
    },
    {
      name: 'two adjacent indexes print as Kubernetes prints them: "0,1"',
      job: indexedJob(4, 1, {}, { startTime: k8sTime(T0) }),
      pods: [succeeded('a', { index: 0 }), succeeded('b', { index: 1 })],
      want: { status: { completedIndexes: '0,1', succeeded: 2 } },
    },
    {
      name: 'the same index succeeding twice is counted once',
      job: indexedJob(3, 3, {}, { startTime: k8sTime(T0), completedIndexes: '1', succeeded: 1 }),
      pods: [succeeded('a', { index: 1 }), succeeded('b', { index: 1 }), running('c', { index: 0 }), running('d', { index: 2 })],
      want: { counted: ['a', 'b'], status: { completedIndexes: '1', succeeded: 1, active: 2 }, create: { count: 0 } },
    },
    {
      name: 'new pods take the lowest pending indexes not held by running or terminating pods',
      job: indexedJob(6, 4, {}, { startTime: k8sTime(T0), completedIndexes: '0', succeeded: 1 }),
      pods: [running('a', { index: 1 }), terminating('b', { index: 2 })],
      want: { create: { count: 2, indexes: [3, 4] }, status: { active: 3, terminating: 1 } },
    },
    {
      name: 'a failed index is run again (after its backoff)',
      job: indexedJob(3, 3, {}, { startTime: k8sTime(T0) }),
      pods: [running('a', { index: 0 }), failed('b', { index: 1, finishedAt: T0 - sec(30) }), running('c', { index: 2 })],
      want: { create: { count: 1, indexes: [1] }, status: { failed: 1, succeeded: 0, completedIndexes: '' } },
    },
    {
      name: 'no more pods than pending indexes',
      job: indexedJob(3, 3, {}, { startTime: k8sTime(T0), completedIndexes: '0,1', succeeded: 2 }),
      pods: [],
      want: { create: { count: 1, indexes: [2] } },
    },
    {
      name: 'all indexes completed: SuccessCriteriaMet then Complete',
      job: indexedJob(3, 3, {}, { startTime: k8sTime(T0), completedIndexes: '0,1', succeeded: 2 }),
      pods: [succeeded('c', { index: 2 })],
      want: {
        status: { completedIndexes: '0-2', succeeded: 3, active: 0 },
        conditions: ['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached'],
        events: ['Completed'],
      },
    },
  ]);
});

describe('syncJob: work queue (completions unset)', () => {
  runTable([
    {
      name: 'after a success no new pods start and running ones are not stopped',
      job: workQueueJob(3, {}, { startTime: k8sTime(T0) }),
      pods: [succeeded('s'), running('a')],
      want: { create: { count: 0 }, stop: [], status: { succeeded: 1, active: 1 }, conditions: [] },
    },
    {
      name: 'after a success a failed pod is not replaced',
      job: workQueueJob(2, {}, { startTime: k8sTime(T0), succeeded: 1 }),
      pods: [failed('f', { finishedAt: T0 - sec(60) }), running('a')],
      want: { create: { count: 0 }, stop: [], status: { succeeded: 1, failed: 1, active: 1 }, conditions: [] },
    },
    {
      name: 'Complete once a pod succeeded and none is active',
      job: workQueueJob(3, {}, { startTime: k8sTime(T0), succeeded: 1 }),
      pods: [succeeded('b'), failed('c', { finishedAt: T0 - sec(60) })],
      want: {
        status: { succeeded: 2, failed: 1, active: 0, completionTime: k8sTime(T0) },
        conditions: ['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached'],
        events: ['Completed'],
      },
    },
    {
      name: 'a terminating pod delays Complete (SuccessCriteriaMet only)',
      job: workQueueJob(2, {}, { startTime: k8sTime(T0), succeeded: 1 }),
      pods: [terminating('t')],
      want: { conditions: ['SuccessCriteriaMet=True/CompletionsReached'], events: [], status: { terminating: 1, active: 0 } },
    },
    {
      name: 'no success yet: running pods are topped up to parallelism',
      job: workQueueJob(3, {}, { startTime: k8sTime(T0) }),
      pods: [running('a'), failed('f', { finishedAt: T0 - sec(60) })],
      want: { create: { count: 2 }, status: { failed: 1, active: 3 } },
    },
    {
      name: 'suspending after a success still stops the running pods',
      job: workQueueJob(2, { suspend: true }, { startTime: k8sTime(T0 - sec(10)), succeeded: 1 }),
      pods: [running('a')],
      want: { stop: [{ name: 'a', reason: 'Suspended', uncounted: true }], conditions: ['Suspended=True/JobSuspended'] },
    },
    {
      name: 'after a success the deadline timer is still reported',
      job: workQueueJob(2, { activeDeadlineSeconds: 100 }, { startTime: k8sTime(T0 - sec(40)), succeeded: 1 }),
      pods: [running('a')],
      want: { create: { count: 0 }, stop: [], requeueAfterMs: sec(60) },
    },
  ]);
});

describe('syncJob: backoffLimit (restartPolicy Never)', () => {
  runTable([
    {
      name: 'failed == backoffLimit is not a failure yet',
      job: newJob({ backoffLimit: 2, parallelism: 1, completions: 1 }, { startTime: k8sTime(T0), failed: 1 }),
      pods: [failed('f', { finishedAt: T0 - sec(100) })],
      control: { failuresInRow: 1, lastFailureAt: T0 - sec(200) },
      want: { status: { failed: 2 }, conditions: [], create: { count: 1 } },
    },
    {
      name: 'failed > backoffLimit with pods running: FailureTarget, pods stopped and counted',
      job: newJob({ backoffLimit: 1, parallelism: 3, completions: 5 }, { startTime: k8sTime(T0), failed: 1 }),
      pods: [failed('f'), running('a'), pending('b'), terminating('t')],
      want: {
        conditions: ['FailureTarget=True/BackoffLimitExceeded'],
        stop: [
          { name: 'a', reason: 'BackoffLimitExceeded', uncounted: false },
          { name: 'b', reason: 'BackoffLimitExceeded', uncounted: false },
        ],
        create: { count: 0 },
        status: { failed: 2, active: 0, ready: 0, terminating: 3 },
        events: [],
      },
    },
    {
      name: 'failed > backoffLimit with nothing running: FailureTarget then Failed',
      job: newJob({ backoffLimit: 1, parallelism: 1, completions: 5 }, { startTime: k8sTime(T0), failed: 1 }),
      pods: [failed('f')],
      want: {
        conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'],
        status: { failed: 2, active: 0 },
        events: ['BackoffLimitExceeded'],
        create: { count: 0 },
      },
    },
    {
      name: 'FailureTarget set and a pod still terminating: no Failed yet',
      job: newJob({ backoffLimit: 0 }, { startTime: k8sTime(T0), failed: 1, conditions: [cond('FailureTarget', REASON.backoffLimitExceeded, 'True', T0 - sec(5))] }),
      pods: [terminating('t')],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded'], status: { terminating: 1, active: 0 }, events: [], stop: [] },
    },
    {
      name: 'FailureTarget set and the last pod ended: Failed, its failure counted',
      job: newJob({ backoffLimit: 0 }, { startTime: k8sTime(T0), failed: 1, conditions: [cond('FailureTarget', REASON.backoffLimitExceeded, 'True', T0 - sec(5))] }),
      pods: [failed('t')],
      want: {
        conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'],
        status: { failed: 2, active: 0 },
        events: ['BackoffLimitExceeded'],
      },
    },
    {
      name: 'backoffLimit 0: the first failure fails the Job',
      job: newJob({ backoffLimit: 0 }),
      pods: [failed('f')],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'], status: { failed: 1 } },
    },
    {
      name: 'backoff limit is checked before the deadline',
      job: newJob({ backoffLimit: 0, activeDeadlineSeconds: 10 }, { startTime: k8sTime(T0 - sec(100)) }),
      pods: [failed('f')],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'] },
    },
  ]);

  it('the Failed condition carries the reason and message of the backoff limit and the event is a Warning', () => {
    const d = syncJob({ job: newJob({ backoffLimit: 0 }), control: EMPTY_CONTROL_STATE, pods: [failed('f')], now: T0, delays: DELAYS });
    const failedCond = d.status.conditions?.find((c) => c.type === 'Failed');
    expect(failedCond).toStrictEqual(cond('Failed', REASON.backoffLimitExceeded));
    expect(failedCond?.message).toBe('Job has reached the specified backoff limit');
    expect(d.events).toStrictEqual([{ type: 'Warning', reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }]);
    expect(d.status.completionTime).toBeUndefined();
  });
});

describe('syncJob: backoffLimit (restartPolicy OnFailure)', () => {
  const started = (job: Job): Job => ({ ...job, status: { startTime: k8sTime(T0) } });
  runTable([
    {
      name: 'restarts summed over active pods reach backoffLimit: FailureTarget',
      job: started(onFailureJob(3)),
      pods: [running('a', { restarts: 1 }), running('b', { restarts: 2 })],
      want: {
        conditions: ['FailureTarget=True/BackoffLimitExceeded'],
        stop: [
          { name: 'a', reason: 'BackoffLimitExceeded', uncounted: false },
          { name: 'b', reason: 'BackoffLimitExceeded', uncounted: false },
        ],
        status: { failed: 0 },
      },
    },
    {
      name: 'restarts below backoffLimit: nothing happens',
      job: started(onFailureJob(3)),
      pods: [running('a', { restarts: 1 }), running('b', { restarts: 1 })],
      want: { conditions: [], stop: [], create: { count: 0 } },
    },
    {
      name: 'init container restarts count too',
      job: started(onFailureJob(3)),
      pods: [pending('a', { restarts: 1, initRestarts: 2 }), running('b')],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded'] },
    },
    {
      name: 'backoffLimit 0: any restart fails the Job',
      job: started(onFailureJob(0)),
      pods: [running('a', { restarts: 1 }), running('b')],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded'] },
    },
    {
      name: 'backoffLimit 0 and no restart: nothing happens',
      job: started(onFailureJob(0)),
      pods: [running('a'), running('b')],
      want: { conditions: [], stop: [] },
    },
    {
      name: 'restarts of terminating pods do not count',
      job: started(onFailureJob(2)),
      pods: [running('a', { restarts: 1 }), terminating('b', { restarts: 5 })],
      want: { conditions: [] },
    },
    {
      name: 'restartPolicy Never ignores restart counts',
      job: newJob({ backoffLimit: 1, parallelism: 2, completions: 2 }, { startTime: k8sTime(T0) }),
      pods: [running('a', { restarts: 4 }), running('b')],
      want: { conditions: [] },
    },
  ]);
});

describe('syncJob: activeDeadlineSeconds', () => {
  runTable([
    {
      name: 'past the deadline: FailureTarget DeadlineExceeded, active pods stopped and counted',
      job: newJob({ activeDeadlineSeconds: 100, parallelism: 2, completions: 4 }, { startTime: k8sTime(T0 - sec(100)) }),
      pods: [running('a'), pending('b')],
      want: {
        conditions: ['FailureTarget=True/DeadlineExceeded'],
        stop: [
          { name: 'a', reason: 'DeadlineExceeded', uncounted: false },
          { name: 'b', reason: 'DeadlineExceeded', uncounted: false },
        ],
        create: { count: 0 },
        status: { active: 0, terminating: 2 },
        events: [],
      },
    },
    {
      name: 'past the deadline and nothing running: Failed DeadlineExceeded',
      job: newJob({ activeDeadlineSeconds: 100 }, { startTime: k8sTime(T0 - sec(200)) }),
      pods: [],
      want: { conditions: ['FailureTarget=True/DeadlineExceeded', 'Failed=True/DeadlineExceeded'], events: ['DeadlineExceeded'], create: { count: 0 } },
    },
    {
      name: 'before the deadline: requeue after the time left',
      job: newJob({ activeDeadlineSeconds: 100 }, { startTime: k8sTime(T0 - sec(40)) }),
      pods: [running('a')],
      want: { conditions: [], requeueAfterMs: sec(60) },
    },
    {
      name: 'first sync: requeue after the whole deadline',
      job: newJob({ activeDeadlineSeconds: 30 }),
      want: { create: { count: 1 }, requeueAfterMs: sec(30) },
    },
    {
      name: 'the deadline wins over a longer backoff wait',
      job: newJob({ activeDeadlineSeconds: 100 }, { startTime: k8sTime(T0 - sec(95)), failed: 1 }),
      control: { failuresInRow: 1, lastFailureAt: T0 },
      want: { create: { count: 0 }, requeueAfterMs: sec(5) },
    },
    {
      name: 'a suspended Job is not failed by its deadline',
      job: newJob(
        { activeDeadlineSeconds: 100, suspend: true },
        { startTime: k8sTime(T0 - sec(500)), conditions: [cond('Suspended', REASON.suspended, 'True', T0 - sec(450))] },
      ),
      pods: [terminating('t')],
      want: { conditions: ['Suspended=True/JobSuspended'], requeueAfterMs: undefined, events: [] },
    },
    {
      name: 'once SuccessCriteriaMet, the deadline no longer fails the Job',
      job: newJob(
        { activeDeadlineSeconds: 100, parallelism: 2, completions: 1 },
        { startTime: k8sTime(T0 - sec(500)), succeeded: 1, conditions: [cond('SuccessCriteriaMet', REASON.completionsReached, 'True', T0 - sec(1))] },
      ),
      pods: [terminating('t')],
      want: { conditions: ['SuccessCriteriaMet=True/CompletionsReached'], events: [] },
    },
  ]);

  it('the Failed condition carries the deadline message', () => {
    const job = newJob({ activeDeadlineSeconds: 10 }, { startTime: k8sTime(T0 - sec(10)) });
    const d = syncJob({ job, control: EMPTY_CONTROL_STATE, pods: [], now: T0, delays: DELAYS });
    expect(d.status.conditions).toStrictEqual([cond('FailureTarget', REASON.deadlineExceeded), cond('Failed', REASON.deadlineExceeded)]);
    expect(d.events).toStrictEqual([{ type: 'Warning', reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }]);
  });
});

describe('syncJob: re-creation backoff', () => {
  const job = newJob({ parallelism: 1, completions: 3, backoffLimit: 20 }, { startTime: k8sTime(T0 - sec(600)), failed: 1 });
  runTable([
    {
      name: 'no failure in a row: create at once',
      job,
      control: { failuresInRow: 0 },
      want: { create: { count: 1 }, requeueAfterMs: undefined },
    },
    {
      name: 'one failure 4 s ago, base 10 s: wait 6 s',
      job,
      control: { failuresInRow: 1, lastFailureAt: T0 - sec(4) },
      want: { create: { count: 0 }, requeueAfterMs: sec(6) },
    },
    {
      name: 'one failure exactly base ago: create',
      job,
      control: { failuresInRow: 1, lastFailureAt: T0 - sec(10) },
      want: { create: { count: 1 }, requeueAfterMs: undefined },
    },
    {
      name: 'three failures in a row: 10 s * 2^2 = 40 s',
      job,
      control: { failuresInRow: 3, lastFailureAt: T0 - sec(30) },
      want: { create: { count: 0 }, requeueAfterMs: sec(10) },
    },
    {
      name: 'ten failures in a row: capped at the maximum (60 s)',
      job,
      control: { failuresInRow: 10, lastFailureAt: T0 - sec(59) },
      want: { create: { count: 0 }, requeueAfterMs: sec(1) },
    },
    {
      name: 'ten failures in a row, cap elapsed: create',
      job,
      control: { failuresInRow: 10, lastFailureAt: T0 - sec(60) },
      want: { create: { count: 1 } },
    },
    {
      name: 'a pod failing now starts the backoff from its finish time',
      job,
      control: { failuresInRow: 0 },
      pods: [failed('f', { finishedAt: T0 - sec(1) })],
      want: { create: { count: 0 }, control: { failuresInRow: 1, lastFailureAt: T0 - sec(1) }, requeueAfterMs: sec(9), status: { failed: 2 } },
    },
    {
      name: 'a second failure doubles the wait',
      job,
      control: { failuresInRow: 1, lastFailureAt: T0 - sec(100) },
      pods: [failed('f', { finishedAt: T0 - sec(2) })],
      want: { create: { count: 0 }, control: { failuresInRow: 2, lastFailureAt: T0 - sec(2) }, requeueAfterMs: sec(18) },
    },
    {
      name: 'a success resets failuresInRow and the wait',
      job,
      control: { failuresInRow: 2, lastFailureAt: T0 },
      pods: [succeeded('s', { finishedAt: T0 - sec(1) })],
      want: { create: { count: 1 }, control: { failuresInRow: 0 }, requeueAfterMs: undefined, status: { succeeded: 1 } },
    },
    {
      name: 'finished pods are taken in finish order: success then failure leaves one failure in a row',
      job,
      control: { failuresInRow: 4, lastFailureAt: T0 - sec(300) },
      pods: [failed('f', { finishedAt: T0 - sec(3) }), succeeded('s', { finishedAt: T0 - sec(5) })],
      want: { counted: ['s', 'f'], control: { failuresInRow: 1, lastFailureAt: T0 - sec(3) }, requeueAfterMs: sec(7) },
    },
    {
      name: 'finished pods are taken in finish order: failure then success leaves none',
      job,
      control: { failuresInRow: 4, lastFailureAt: T0 - sec(300) },
      pods: [succeeded('s', { finishedAt: T0 - sec(3) }), failed('f', { finishedAt: T0 - sec(5) })],
      want: { counted: ['f', 's'], control: { failuresInRow: 0 }, create: { count: 1 } },
    },
    {
      name: 'a pod that never started (no container finish time) backs off from its Ready=False time',
      job,
      control: { failuresInRow: 0 },
      pods: [neverStarted('n', T0 - sec(1))],
      want: { create: { count: 0 }, control: { failuresInRow: 1, lastFailureAt: T0 - sec(1) }, requeueAfterMs: sec(9), status: { failed: 2 } },
    },
    {
      name: 'never-started pods in a row double the wait each time',
      job,
      control: { failuresInRow: 3, lastFailureAt: T0 - sec(50) },
      pods: [neverStarted('n', T0)],
      want: { create: { count: 0 }, control: { failuresInRow: 4, lastFailureAt: T0 }, requeueAfterMs: sec(60) },
    },
    {
      name: 'a never-started pod without any condition backs off from its creation time',
      job,
      control: { failuresInRow: 0 },
      pods: [{ ...neverStarted('n', T0), status: { ...neverStarted('n', T0).status, conditions: [] } }],
      want: { create: { count: 1 }, control: { failuresInRow: 1, lastFailureAt: T0 - sec(120) }, requeueAfterMs: undefined },
    },
    {
      name: 'a failed pod with no readable time at all backs off from now',
      job,
      control: { failuresInRow: 0 },
      pods: [{ ...neverStarted('n', T0), metadata: { name: 'n', namespace: 'default' }, status: { phase: 'Failed' } }],
      want: { create: { count: 0 }, control: { failuresInRow: 1, lastFailureAt: T0 }, requeueAfterMs: sec(10) },
    },
  ]);
});

describe('syncJob: suspend and resume', () => {
  runTable([
    {
      name: 'a Job created suspended gets no pods and no startTime',
      job: newJob({ suspend: true, parallelism: 2, completions: 2 }),
      want: { create: { count: 0 }, conditions: ['Suspended=True/JobSuspended'], events: ['Suspended'], status: { active: 0 } },
    },
    {
      name: 'suspending stops the active pods without counting them',
      job: newJob({ suspend: true, parallelism: 2, completions: 4 }, { startTime: k8sTime(T0 - sec(30)) }),
      pods: [running('a'), pending('b'), terminating('t')],
      want: {
        stop: [
          { name: 'b', reason: 'Suspended', uncounted: true },
          { name: 'a', reason: 'Suspended', uncounted: true },
        ],
        create: { count: 0 },
        conditions: ['Suspended=True/JobSuspended'],
        events: ['Suspended'],
        status: { active: 0, ready: 0, terminating: 3, failed: 0 },
      },
    },
    {
      name: 'already suspended: no second event',
      job: newJob({ suspend: true }, { startTime: k8sTime(T0 - sec(30)), conditions: [cond('Suspended', REASON.suspended, 'True', T0 - sec(20))] }),
      pods: [terminating('t')],
      want: { events: [], stop: [], create: { count: 0 }, requeueAfterMs: undefined },
    },
    {
      name: 'resuming resets startTime, sets Suspended=False JobResumed and creates pods',
      job: newJob(
        { suspend: false, parallelism: 2, completions: 4, activeDeadlineSeconds: 50 },
        { startTime: k8sTime(T0 - sec(500)), conditions: [cond('Suspended', REASON.suspended, 'True', T0 - sec(400))] },
      ),
      want: {
        conditions: ['Suspended=False/JobResumed'],
        events: ['Resumed'],
        status: { startTime: k8sTime(T0) },
        create: { count: 2 },
        requeueAfterMs: sec(50),
      },
    },
  ]);

  it('a Job created suspended has no startTime', () => {
    const d = syncJob({ job: newJob({ suspend: true }), control: EMPTY_CONTROL_STATE, pods: [], now: T0, delays: DELAYS });
    expect(d.status.startTime).toBeUndefined();
    expect(d.create.count).toBe(0);
  });

  it('the resumed condition records when it changed', () => {
    const job = newJob({}, { startTime: k8sTime(T0 - sec(500)), conditions: [cond('Suspended', REASON.suspended, 'True', T0 - sec(400))] });
    const d = syncJob({ job, control: EMPTY_CONTROL_STATE, pods: [], now: T0, delays: DELAYS });
    expect(d.status.conditions).toStrictEqual([cond('Suspended', REASON.resumed, 'False')]);
  });
});

describe('syncJob: lowering parallelism', () => {
  runTable([
    {
      name: 'surplus pods are stopped uncounted: not-ready first, then the newest',
      job: newJob({ parallelism: 1, completions: 10 }, { startTime: k8sTime(T0 - sec(600)) }),
      pods: [
        running('old-ready', { createdAt: T0 - sec(300) }),
        running('mid-notready', { ready: false, createdAt: T0 - sec(200) }),
        running('new-ready', { createdAt: T0 - sec(100) }),
      ],
      want: {
        stop: [
          { name: 'mid-notready', reason: 'Surplus', uncounted: true },
          { name: 'new-ready', reason: 'Surplus', uncounted: true },
        ],
        create: { count: 0 },
        status: { active: 1, ready: 1, terminating: 2 },
      },
    },
    {
      name: 'not-ready pods go first even when older',
      job: newJob({ parallelism: 2, completions: 10 }, { startTime: k8sTime(T0 - sec(600)) }),
      pods: [pending('old-pending', { createdAt: T0 - sec(500) }), running('new-ready', { createdAt: T0 - sec(10) }), running('older-ready', { createdAt: T0 - sec(50) })],
      want: { stop: [{ name: 'old-pending', reason: 'Surplus', uncounted: true }] },
    },
    {
      name: 'terminating pods are not stopped again',
      job: newJob({ parallelism: 1, completions: 10 }, { startTime: k8sTime(T0 - sec(600)) }),
      pods: [running('a'), terminating('t1'), terminating('t2')],
      want: { stop: [], create: { count: 0 }, status: { active: 1, terminating: 2 } },
    },
  ]);
});

describe('syncJob: success', () => {
  runTable([
    {
      name: 'completions reached with a pod still running: SuccessCriteriaMet, the pod stopped uncounted',
      job: newJob({ parallelism: 3, completions: 2 }, { startTime: k8sTime(T0), succeeded: 1 }),
      pods: [succeeded('s'), running('r')],
      want: {
        conditions: ['SuccessCriteriaMet=True/CompletionsReached'],
        stop: [{ name: 'r', reason: 'Completed', uncounted: true }],
        status: { succeeded: 2, active: 0, terminating: 1 },
        events: [],
      },
    },
    {
      name: 'completions reached and nothing running: SuccessCriteriaMet then Complete',
      job: newJob({ parallelism: 1, completions: 1 }, { startTime: k8sTime(T0 - sec(30)) }),
      pods: [succeeded('s')],
      want: {
        conditions: ['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached'],
        status: { succeeded: 1, active: 0, ready: 0, completionTime: k8sTime(T0) },
        events: ['Completed'],
        create: { count: 0 },
      },
    },
    {
      name: 'SuccessCriteriaMet set, last pod still terminating: no Complete yet',
      job: newJob({ completions: 1 }, { startTime: k8sTime(T0), succeeded: 1, conditions: [cond('SuccessCriteriaMet', REASON.completionsReached, 'True', T0 - sec(3))] }),
      pods: [terminating('t')],
      want: { conditions: ['SuccessCriteriaMet=True/CompletionsReached'], status: { terminating: 1 }, events: [], create: { count: 0 } },
    },
    {
      name: 'SuccessCriteriaMet set, last pod gone: Complete',
      job: newJob({ completions: 1 }, { startTime: k8sTime(T0), succeeded: 1, conditions: [cond('SuccessCriteriaMet', REASON.completionsReached, 'True', T0 - sec(3))] }),
      pods: [failed('t', { stopReason: 'Completed' })],
      want: {
        conditions: ['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached'],
        status: { succeeded: 1, failed: 0 },
        events: ['Completed'],
      },
    },
  ]);

  it('Complete keeps the SuccessCriteriaMet time and completionTime equals the Complete time', () => {
    const job = newJob({ completions: 1 }, { startTime: k8sTime(T0), succeeded: 1, conditions: [cond('SuccessCriteriaMet', REASON.completionsReached, 'True', T0 - sec(3))] });
    const d = syncJob({ job, control: EMPTY_CONTROL_STATE, pods: [], now: T0, delays: DELAYS });
    expect(d.status.conditions).toStrictEqual([cond('SuccessCriteriaMet', REASON.completionsReached, 'True', T0 - sec(3)), cond('Complete', REASON.completionsReached)]);
    expect(d.status.completionTime).toBe(d.status.conditions?.[1]?.lastTransitionTime);
    expect(d.events).toStrictEqual([{ type: 'Normal', reason: 'Completed', message: 'Job completed' }]);
  });
});

describe('syncJob: a finished Job', () => {
  const complete = [cond('SuccessCriteriaMet', REASON.completionsReached, 'True', T0 - sec(60)), cond('Complete', REASON.completionsReached, 'True', T0 - sec(60))];
  const failedConds = [cond('FailureTarget', REASON.backoffLimitExceeded, 'True', T0 - sec(60)), cond('Failed', REASON.backoffLimitExceeded, 'True', T0 - sec(60))];
  runTable([
    {
      name: 'a Complete Job creates no pods and stops any active one',
      job: newJob({ parallelism: 3, completions: 5 }, { startTime: k8sTime(T0 - sec(600)), succeeded: 5, conditions: complete, completionTime: k8sTime(T0 - sec(60)) }),
      pods: [running('a'), terminating('t')],
      want: { create: { count: 0 }, stop: [{ name: 'a', reason: 'JobFinished', uncounted: false }], status: { active: 0, ready: 0, terminating: 2 }, events: [] },
    },
    {
      name: 'a Failed Job creates no pods even below completions',
      job: newJob({ parallelism: 3, completions: 5 }, { startTime: k8sTime(T0 - sec(600)), failed: 7, conditions: failedConds }),
      pods: [],
      want: { create: { count: 0 }, stop: [], status: { active: 0 }, conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'], events: [] },
    },
    {
      name: 'a finished Job still counts its last finished pods',
      job: newJob({ parallelism: 3, completions: 5 }, { startTime: k8sTime(T0 - sec(600)), failed: 7, conditions: failedConds }),
      pods: [failed('f')],
      want: { counted: ['f'], status: { failed: 8 }, create: { count: 0 } },
    },
    {
      name: 'a finished Job is not failed again by its deadline',
      job: newJob({ activeDeadlineSeconds: 1 }, { startTime: k8sTime(T0 - sec(600)), succeeded: 1, conditions: complete, completionTime: k8sTime(T0 - sec(60)) }),
      pods: [],
      want: { conditions: ['SuccessCriteriaMet=True/CompletionsReached', 'Complete=True/CompletionsReached'], events: [], requeueAfterMs: undefined },
    },
  ]);
});

describe('isJobFinished, jobFinishTime, ttlDeadline', () => {
  const at = T0 - sec(30);
  it.each<{ name: string; job: Job; want: { finished: boolean; finishTime?: number; ttlDeadline?: number } }>([
    { name: 'running Job', job: newJob({ ttlSecondsAfterFinished: 0 }, { startTime: k8sTime(T0) }), want: { finished: false } },
    {
      name: 'Complete Job with TTL 0: one second after the (whole-second) finish time',
      job: newJob({ ttlSecondsAfterFinished: 0 }, { conditions: [cond('SuccessCriteriaMet', REASON.completionsReached, 'True', at), cond('Complete', REASON.completionsReached, 'True', at)] }),
      want: { finished: true, finishTime: at, ttlDeadline: at + sec(1) },
    },
    {
      name: 'Failed Job with TTL 100',
      job: newJob({ ttlSecondsAfterFinished: 100 }, { conditions: [cond('FailureTarget', REASON.deadlineExceeded, 'True', at), cond('Failed', REASON.deadlineExceeded, 'True', at)] }),
      want: { finished: true, finishTime: at, ttlDeadline: at + sec(101) },
    },
    {
      name: 'finished Job without TTL',
      job: newJob({}, { conditions: [cond('SuccessCriteriaMet', REASON.completionsReached, 'True', at), cond('Complete', REASON.completionsReached, 'True', at)] }),
      want: { finished: true, finishTime: at },
    },
    {
      name: 'interim conditions alone are not finished',
      job: newJob({ ttlSecondsAfterFinished: 0 }, { conditions: [cond('FailureTarget', REASON.deadlineExceeded, 'True', at)] }),
      want: { finished: false },
    },
    {
      name: 'a Complete condition with status False is not finished',
      job: newJob({ ttlSecondsAfterFinished: 0 }, { conditions: [{ ...cond('Complete', REASON.completionsReached, 'True', at), status: 'False' }] }),
      want: { finished: false },
    },
  ])('$name', ({ job, want }) => {
    expect(isJobFinished(job)).toBe(want.finished);
    expect(jobFinishTime(job)).toBe(want.finishTime);
    expect(ttlDeadline(job)).toBe(want.ttlDeadline);
  });
});

// ---------------------------------------------------------------------------------------------
// Kubernetes 1.33 features: podFailurePolicy, backoffLimitPerIndex, successPolicy,
// podReplacementPolicy, managedBy (after job_controller_test.go's TestSyncJobWithJobPodFailurePolicy,
// TestSyncJobWithJobBackoffLimitPerIndex, TestSyncJobWithJobSuccessPolicy, TestJobPodReplacementPolicy).
// ---------------------------------------------------------------------------------------------

/** The pod with its container ended by `exitCode`. */
function exitedWith(pod: Pod, exitCode: number): Pod {
  const statuses = (pod.status.containerStatuses ?? []).map((s) => ({
    ...s,
    state: { terminated: { ...(s.state.terminated ?? { exitCode }), exitCode } },
  }));
  return { ...pod, status: { ...pod.status, containerStatuses: statuses } };
}

function annotated(pod: Pod, annotations: Record<string, string>): Pod {
  return { ...pod, metadata: { ...pod.metadata, annotations: { ...(pod.metadata.annotations ?? {}), ...annotations } } };
}

function disrupted(pod: Pod): Pod {
  const conditions = [...(pod.status.conditions ?? []), { type: 'DisruptionTarget' as const, status: 'True' as const, reason: 'DeletionByTaintManager' }];
  return { ...pod, status: { ...pod.status, conditions } };
}

const FAIL_JOB_ON_5 = { rules: [{ action: 'FailJob' as const, onExitCodes: { operator: 'In' as const, values: [5] } }] };
const IGNORE_42 = { rules: [{ action: 'Ignore' as const, onExitCodes: { operator: 'In' as const, values: [42] } }] };
const IGNORE_DISRUPTION = { rules: [{ action: 'Ignore' as const, onPodConditions: [{ type: 'DisruptionTarget', status: 'True' as const }] }] };
const COUNT_ALL = { rules: [{ action: 'Count' as const, onExitCodes: { operator: 'NotIn' as const, values: [0] } }] };
const FAIL_INDEX_ON_3 = { rules: [{ action: 'FailIndex' as const, onExitCodes: { operator: 'In' as const, values: [3] } }] };

describe('syncJob: podFailurePolicy', () => {
  runTable([
    {
      name: 'a FailJob rule matched: FailureTarget PodFailurePolicy with Kubernetes\' message, running pods stopped and counted',
      job: newJob({ parallelism: 2, completions: 4, podFailurePolicy: FAIL_JOB_ON_5 }, { startTime: k8sTime(T0) }),
      pods: [exitedWith(failed('a'), 5), running('b')],
      want: {
        conditions: ['FailureTarget=True/PodFailurePolicy'],
        stop: [{ name: 'b', reason: 'PodFailurePolicy', uncounted: false }],
        status: { failed: 1, active: 0, terminating: 1 },
        events: [],
        create: { count: 0 },
      },
    },
    {
      name: 'a FailJob rule matched and nothing runs: Failed at once, a Warning event',
      job: newJob({ backoffLimit: 6, podFailurePolicy: FAIL_JOB_ON_5 }, { startTime: k8sTime(T0) }),
      pods: [exitedWith(failed('a'), 5)],
      want: { conditions: ['FailureTarget=True/PodFailurePolicy', 'Failed=True/PodFailurePolicy'], status: { failed: 1, terminating: 0 }, events: ['PodFailurePolicy'] },
    },
    {
      name: 'an exit code no rule matches counts toward backoffLimit as usual',
      job: newJob({ backoffLimit: 0, podFailurePolicy: FAIL_JOB_ON_5 }, { startTime: k8sTime(T0) }),
      pods: [exitedWith(failed('a'), 1)],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'], status: { failed: 1 } },
    },
    {
      name: 'an Ignore rule matched: not counted (even with backoffLimit 0), replaced after the backoff',
      job: newJob({ backoffLimit: 0, podFailurePolicy: IGNORE_42 }, { startTime: k8sTime(T0) }),
      pods: [exitedWith(failed('a'), 42)],
      want: { conditions: [], status: { failed: 0, active: 0 }, counted: ['a'], create: { count: 0 }, requeueAfterMs: sec(9), control: { failuresInRow: 1, lastFailureAt: T0 - sec(1) } },
    },
    {
      name: 'an Ignore rule on DisruptionTarget: a disrupted pod is not counted',
      job: newJob({ backoffLimit: 0, podFailurePolicy: IGNORE_DISRUPTION }, { startTime: k8sTime(T0) }),
      pods: [disrupted(failed('a', { finishedAt: T0 - sec(30) }))],
      want: { conditions: [], status: { failed: 0, active: 1 }, create: { count: 1 } },
    },
    {
      name: 'the Ignore rule on DisruptionTarget does not match a pod without the condition',
      job: newJob({ backoffLimit: 0, podFailurePolicy: IGNORE_DISRUPTION }, { startTime: k8sTime(T0) }),
      pods: [failed('a')],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'], status: { failed: 1 } },
    },
    {
      name: 'a Count rule counts the failure',
      job: newJob({ backoffLimit: 0, podFailurePolicy: COUNT_ALL }, { startTime: k8sTime(T0) }),
      pods: [exitedWith(failed('a'), 3)],
      want: { conditions: ['FailureTarget=True/BackoffLimitExceeded', 'Failed=True/BackoffLimitExceeded'], status: { failed: 1 } },
    },
    {
      name: 'FailureTarget is kept while the stopped pods end, whatever they exit with',
      job: newJob({ parallelism: 2, completions: 4, podFailurePolicy: IGNORE_42 }, {
        startTime: k8sTime(T0),
        failed: 1,
        conditions: [{ type: 'FailureTarget', status: 'True', reason: 'PodFailurePolicy', message: 'm', lastProbeTime: k8sTime(T0), lastTransitionTime: k8sTime(T0) }],
      }),
      pods: [exitedWith(failed('b', { deleting: true }), 42)],
      want: { conditions: ['FailureTarget=True/PodFailurePolicy', 'Failed=True/PodFailurePolicy'], status: { failed: 1 }, remove: ['b'] },
    },
    {
      name: 'with a podFailurePolicy a terminating pod is replaced only once it failed',
      job: newJob({ parallelism: 2, completions: 4, podFailurePolicy: IGNORE_42, podReplacementPolicy: 'Failed' }, { startTime: k8sTime(T0) }),
      pods: [running('a'), terminating('b')],
      want: { create: { count: 0 }, countedEarly: [], status: { active: 1, terminating: 1, failed: 0 } },
    },
  ]);

  it("the FailureTarget and Failed conditions carry Kubernetes' message", () => {
    const job = newJob({ podFailurePolicy: FAIL_JOB_ON_5 }, { startTime: k8sTime(T0) });
    const d = syncJob({ job, control: EMPTY_CONTROL_STATE, pods: [exitedWith(failed('pi-abcde'), 5)], now: T0, delays: DELAYS });
    const message = 'Container c for pod default/pi-abcde failed with exit code 5 matching FailJob rule at index 0';
    expect(d.status.conditions?.map((c) => c.message)).toStrictEqual([message, message]);
    expect(d.events).toStrictEqual([{ type: 'Warning', reason: 'PodFailurePolicy', message }]);
  });
});

const perIndexJob = (completions: number, parallelism: number, spec: Partial<JobSpec> = {}, status: JobStatus = {}) =>
  indexedJob(completions, parallelism, { backoffLimitPerIndex: 1, backoffLimit: 2147483647, ...spec }, { startTime: k8sTime(T0), ...status });
const failures = (n: number, ignored = 0) => ({
  'batch.kubernetes.io/job-index-failure-count': String(n),
  ...(ignored > 0 ? { 'batch.kubernetes.io/job-index-ignored-failure-count': String(ignored) } : {}),
});

describe('syncJob: backoffLimitPerIndex and maxFailedIndexes', () => {
  runTable([
    {
      name: "new pods carry the index's failure count (0), failedIndexes is reported empty",
      job: perIndexJob(3, 2, {}, { startTime: undefined }),
      want: { create: { count: 2, indexes: [0, 1], annotations: [failures(0), failures(0)] }, status: { failedIndexes: '', completedIndexes: '' } },
    },
    {
      name: 'a first failure of an index: counted, remembered, the index waits for its own backoff',
      job: perIndexJob(3, 3),
      pods: [annotated(failed('a', { index: 0 }), failures(0)), running('b', { index: 1 }), running('c', { index: 2 })],
      want: {
        status: { failed: 1, failedIndexes: '' },
        conditions: [],
        create: { count: 0 },
        requeueAfterMs: sec(9),
        control: { failuresInRow: 1, lastFailureAt: T0 - sec(1), indexes: { 0: { failed: 1, ignored: 0, at: T0 - sec(1) } } },
      },
    },
    {
      name: "after its backoff the index is run again; the pod carries the index's failures",
      job: perIndexJob(3, 3),
      control: { failuresInRow: 1, lastFailureAt: T0 - sec(10), indexes: { 0: { failed: 1, ignored: 0, at: T0 - sec(10) } } },
      pods: [running('b', { index: 1 }), running('c', { index: 2 })],
      want: { create: { count: 1, indexes: [0], annotations: [failures(1)] }, control: { failuresInRow: 1, lastFailureAt: T0 - sec(10) } },
    },
    {
      name: 'the global backoff does not hold back the indexes without failures',
      job: perIndexJob(3, 3),
      control: { failuresInRow: 5, lastFailureAt: T0, indexes: { 0: { failed: 1, ignored: 0, at: T0 } } },
      pods: [running('b', { index: 1 })],
      want: { create: { count: 1, indexes: [2], annotations: [failures(0)] }, requeueAfterMs: sec(10) },
    },
    {
      name: 'a pod already failed backoffLimitPerIndex times fails its index; the others go on',
      job: perIndexJob(4, 2),
      pods: [annotated(failed('a', { index: 1 }), failures(1)), running('b', { index: 0 })],
      want: { status: { failed: 1, failedIndexes: '1' }, conditions: [], create: { count: 1, indexes: [2], annotations: [failures(0)] } },
    },
    {
      name: 'every index finished, some failed: FailedIndexes',
      job: perIndexJob(4, 2, {}, { completedIndexes: '0,2', succeeded: 2, failedIndexes: '1', failed: 3 }),
      pods: [annotated(failed('a', { index: 3 }), failures(1))],
      want: {
        status: { failed: 4, failedIndexes: '1,3', completedIndexes: '0,2', succeeded: 2 },
        conditions: ['FailureTarget=True/FailedIndexes', 'Failed=True/FailedIndexes'],
        events: ['FailedIndexes'],
      },
    },
    {
      name: 'more failed indexes than maxFailedIndexes: MaxFailedIndexesExceeded, running pods stopped',
      job: perIndexJob(4, 2, { backoffLimitPerIndex: 0, maxFailedIndexes: 0 }),
      pods: [failed('a', { index: 0 }), running('b', { index: 1 })],
      want: {
        status: { failed: 1, failedIndexes: '0' },
        conditions: ['FailureTarget=True/MaxFailedIndexesExceeded'],
        stop: [{ name: 'b', reason: 'MaxFailedIndexesExceeded', uncounted: false }],
      },
    },
    {
      name: 'a FailIndex rule fails the index at its first failure',
      job: perIndexJob(2, 2, { podFailurePolicy: FAIL_INDEX_ON_3 }),
      pods: [annotated(exitedWith(failed('a', { index: 1 }), 3), failures(0)), running('b', { index: 0 })],
      want: { status: { failed: 1, failedIndexes: '1' }, conditions: [], create: { count: 0 }, control: { failuresInRow: 1, lastFailureAt: T0 - sec(1) } },
    },
    {
      name: 'an ignored failure goes to the ignored count and does not use up the index',
      job: perIndexJob(2, 2, { backoffLimitPerIndex: 0, podFailurePolicy: IGNORE_42 }),
      pods: [annotated(exitedWith(failed('a', { index: 0, finishedAt: T0 - sec(30) }), 42), failures(0)), running('b', { index: 1 })],
      want: { status: { failed: 0, failedIndexes: '' }, create: { count: 1, indexes: [0], annotations: [{ ...failures(0), 'batch.kubernetes.io/job-index-ignored-failure-count': '1' }] } },
    },
    {
      name: 'an unreadable failure count counts as 0',
      job: perIndexJob(2, 1),
      pods: [annotated(failed('a', { index: 0 }), { 'batch.kubernetes.io/job-index-failure-count': '-3' })],
      want: { status: { failedIndexes: '' }, control: { failuresInRow: 1, lastFailureAt: T0 - sec(1), indexes: { 0: { failed: 1, ignored: 0, at: T0 - sec(1) } } } },
    },
  ]);
});

describe('syncJob: successPolicy', () => {
  runTable([
    {
      name: 'succeededIndexes met: SuccessCriteriaMet SuccessPolicy, the other pods stopped uncounted',
      job: indexedJob(5, 2, { successPolicy: { rules: [{ succeededIndexes: '0' }] } }, { startTime: k8sTime(T0) }),
      pods: [succeeded('a', { index: 0 }), running('b', { index: 1 })],
      want: {
        conditions: ['SuccessCriteriaMet=True/SuccessPolicy'],
        stop: [{ name: 'b', reason: 'Completed', uncounted: true }],
        status: { completedIndexes: '0', succeeded: 1, active: 0, terminating: 1 },
        create: { count: 0 },
        events: [],
      },
    },
    {
      name: 'nothing runs any more: Complete with the SuccessPolicy reason',
      job: indexedJob(5, 2, { successPolicy: { rules: [{ succeededCount: 1 }] } }, {
        startTime: k8sTime(T0),
        completedIndexes: '0',
        succeeded: 1,
        conditions: [{ type: 'SuccessCriteriaMet', status: 'True', reason: 'SuccessPolicy', message: 'Matched rules at index 0', lastProbeTime: k8sTime(T0), lastTransitionTime: k8sTime(T0) }],
      }),
      pods: [failed('b', { index: 1, deleting: true, stopReason: 'Completed' })],
      want: {
        conditions: ['SuccessCriteriaMet=True/SuccessPolicy', 'Complete=True/SuccessPolicy'],
        status: { failed: 0, active: 0, ready: 0, terminating: 0, completionTime: k8sTime(T0) },
        events: ['Completed'],
        remove: ['b'],
      },
    },
    {
      name: 'succeededCount not met yet: pods go on',
      job: indexedJob(5, 2, { successPolicy: { rules: [{ succeededCount: 2 }] } }, { startTime: k8sTime(T0) }),
      pods: [succeeded('a', { index: 0 }), running('b', { index: 1 })],
      want: { conditions: [], create: { count: 1, indexes: [2] } },
    },
    {
      name: 'once SuccessCriteriaMet is set no failure is evaluated any more',
      job: indexedJob(5, 2, { backoffLimit: 0, successPolicy: { rules: [{ succeededCount: 1 }] } }, {
        startTime: k8sTime(T0),
        completedIndexes: '0',
        succeeded: 1,
        conditions: [{ type: 'SuccessCriteriaMet', status: 'True', reason: 'SuccessPolicy', message: 'Matched rules at index 0', lastProbeTime: k8sTime(T0), lastTransitionTime: k8sTime(T0) }],
      }),
      pods: [failed('b', { index: 1 })],
      want: { conditions: ['SuccessCriteriaMet=True/SuccessPolicy', 'Complete=True/SuccessPolicy'], status: { failed: 1 } },
    },
  ]);

  it('the Complete condition carries the message of the rule that matched', () => {
    const job = indexedJob(3, 1, { successPolicy: { rules: [{ succeededIndexes: '2' }, { succeededIndexes: '0' }] } }, { startTime: k8sTime(T0) });
    const d = syncJob({ job, control: EMPTY_CONTROL_STATE, pods: [succeeded('a', { index: 0 })], now: T0, delays: DELAYS });
    expect(d.status.conditions?.map((c) => [c.type, c.reason, c.message])).toStrictEqual([
      ['SuccessCriteriaMet', 'SuccessPolicy', 'Matched rules at index 1'],
      ['Complete', 'SuccessPolicy', 'Matched rules at index 1'],
    ]);
  });
});

const lostPod = (name: string, o: PodOpts = {}) => annotated(terminating(name, o), { 'jobfleet.io/node-lost-at': String(T0 - sec(5)) });

describe('syncJob: podReplacementPolicy', () => {
  runTable([
    {
      name: 'Failed (jobfleet\'s default, also when unset): a terminating pod holds its place and is not counted yet',
      job: newJob({ parallelism: 2, completions: 4 }, { startTime: k8sTime(T0) }),
      pods: [running('a'), terminating('b')],
      want: { create: { count: 0 }, countedEarly: [], status: { active: 1, terminating: 1, failed: 0 } },
    },
    {
      name: 'TerminatingOrFailed: a terminating pod counts as failed at once and is replaced',
      job: newJob({ parallelism: 2, completions: 4, podReplacementPolicy: 'TerminatingOrFailed' }, { startTime: k8sTime(T0) }),
      pods: [running('a'), terminating('b', { createdAt: T0 - sec(120) })],
      now: T0 + sec(60),
      want: { countedEarly: ['b'], counted: [], status: { failed: 1, active: 2, terminating: 1 }, create: { count: 1 } },
    },
    {
      name: 'TerminatingOrFailed: a pod counted while terminating is not counted again when it ends; it is removed',
      job: newJob({ parallelism: 2, completions: 4, podReplacementPolicy: 'TerminatingOrFailed' }, { startTime: k8sTime(T0), failed: 1 }),
      pods: [running('a'), running('c'), annotated(failed('b', { deleting: true }), { 'jobfleet.io/counted': 'failed' })],
      want: { counted: ['b'], remove: ['b'], countedEarly: [], status: { failed: 1, active: 2, terminating: 0 }, create: { count: 0 } },
    },
    {
      name: 'TerminatingOrFailed: a pod of a silent node holds its place and is not counted (its node may come back)',
      job: newJob({ parallelism: 2, completions: 4, podReplacementPolicy: 'TerminatingOrFailed' }, { startTime: k8sTime(T0) }),
      pods: [running('a'), lostPod('b')],
      want: { countedEarly: [], status: { failed: 0, active: 1, terminating: 1 }, create: { count: 0 } },
    },
    {
      name: 'TerminatingOrFailed: a pod stopped for a surplus is not counted',
      job: newJob({ parallelism: 1, completions: 4, podReplacementPolicy: 'TerminatingOrFailed' }, { startTime: k8sTime(T0) }),
      pods: [running('a'), terminating('b', { stopReason: 'Surplus' })],
      want: { countedEarly: [], status: { failed: 0, active: 1, terminating: 1 }, create: { count: 0 } },
    },
    {
      name: "TerminatingOrFailed, Indexed: the terminating pod's index is started again",
      job: indexedJob(3, 3, { podReplacementPolicy: 'TerminatingOrFailed' }, { startTime: k8sTime(T0) }),
      pods: [running('a', { index: 0 }), terminating('b', { index: 1, createdAt: T0 - sec(600) }), running('c', { index: 2 })],
      now: T0 + sec(600),
      want: { countedEarly: ['b'], status: { failed: 1 }, create: { count: 1, indexes: [1] } },
    },
  ]);
});

describe('syncJob: pods that ended after a deletion are removed once counted', () => {
  runTable([
    {
      name: 'a pod stopped for suspend, ended: counted (not as a failure) and removed',
      job: newJob({ parallelism: 2, completions: 4, suspend: true }, { startTime: k8sTime(T0), conditions: [cond('Suspended', REASON.suspended, 'True', T0 - sec(5))] }),
      pods: [failed('a', { deleting: true, stopReason: 'Suspended' }), succeeded('b', { deleting: true, stopReason: 'Suspended' })],
      want: { counted: ['a', 'b'], remove: ['a', 'b'], status: { failed: 0, active: 0, terminating: 0, ready: 0 } },
    },
    {
      name: 'a pod that failed on its own stays listed',
      job: newJob({ parallelism: 1, completions: 4 }, { startTime: k8sTime(T0) }),
      pods: [failed('a')],
      want: { counted: ['a'], remove: [], status: { failed: 1 } },
    },
    {
      name: 'a pod ended by the node monitor (its node silent) stays listed',
      job: newJob({ parallelism: 1, completions: 4 }, { startTime: k8sTime(T0) }),
      pods: [annotated(failed('a', { deleting: true }), { 'jobfleet.io/node-lost-at': String(T0 - sec(400)) })],
      want: { counted: ['a'], remove: [], status: { failed: 1 } },
    },
  ]);
});

describe('syncJob: managedBy', () => {
  it('a Job managed by another controller is left as it is: nothing counted, created or written', () => {
    const status = { startTime: k8sTime(T0 - sec(9)), active: 7 };
    const job = newJob({ parallelism: 2, completions: 4, managedBy: 'example.com/custom-job-controller' }, status);
    const d = syncJob({ job, control: EMPTY_CONTROL_STATE, pods: [succeeded('a'), running('b')], now: T0, delays: DELAYS });
    expect(d.status).toStrictEqual(status);
    expect(d.create).toStrictEqual({ count: 0 });
    expect([d.stop, d.counted, d.countedEarly, d.remove, d.events]).toStrictEqual([[], [], [], [], []]);
  });

  it("a Job managed by Kubernetes' own controller name is jobfleet's", () => {
    const job = newJob({ managedBy: 'kubernetes.io/job-controller' });
    expect(syncJob({ job, control: EMPTY_CONTROL_STATE, pods: [], now: T0, delays: DELAYS }).create).toStrictEqual({ count: 1 });
  });
});

describe('syncJob: status.ready and status.terminating are always reported', () => {
  it('0 too, as Kubernetes 1.33 reports them', () => {
    const d = syncJob({ job: newJob({ suspend: true }), control: EMPTY_CONTROL_STATE, pods: [], now: T0, delays: DELAYS });
    expect(d.status).toMatchObject({ active: 0, ready: 0, terminating: 0 });
  });
});
