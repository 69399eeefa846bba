/**
 * The Job controller's Kubernetes 1.33 behaviours that involve Redis writes, against a real
 * redis-server: stopped pods removed once counted, managedBy Jobs left alone, per-index failure
 * counts on new pods, pods counted while terminating (TerminatingOrFailed), the node monitor's
 * DisruptionTarget condition.
 */
import { describe, expect, it, vi } from 'vitest';
import { k8sTime, type Delays, type Job, type JobSpec, type Pod, type PodPhase } from '@jobfleet/kube';
import { Cluster } from './cluster.js';
import { scratchCluster } from './test-cluster.js';
import { createJob } from './jobs.js';
import { NodeMonitor } from './node-monitor.js';
import { putOp, type JobStore } from '@jobfleet/store';
import { defaultedJob as newJob } from '@jobfleet/testing';

const NS = 'default';

const scratch = scratchCluster();
const newCluster = (delays?: Delays): Cluster => scratch.newCluster({ delays });


async function podsOf(store: JobStore, job: Job): Promise<Pod[]> {
  const names = await store.podNamesOfJob(job.metadata.uid ?? '');
  return (await store.getPods(NS, names)).map((p) => p.pod).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** What a worker writes: the pod claimed by `node` and in `phase` (metadata, the deletion mark too, kept). */
async function setPod(store: JobStore, name: string, phase: PodPhase, node = 'node-1', exitCode = phase === 'Succeeded' ? 0 : 1): Promise<void> {
  for (;;) {
    const stored = await store.getPod(NS, name);
    if (!stored) throw new Error(`no pod ${name}`);
    const t = k8sTime(Date.now() - 5_000);
    const state = phase === 'Running' ? { running: { startedAt: t } } : { terminated: { exitCode, finishedAt: t } };
    const pod: Pod = {
      ...stored.pod,
      spec: { ...stored.pod.spec, nodeName: node },
      status: { phase, containerStatuses: [{ name: 'c', image: 'busybox', ready: phase === 'Running', restartCount: 0, state }] },
    };
    const ops = [await store.podPutOp(store.keys.pod(NS, name), stored.rv, pod)];
    const result = await store.commit([...ops, { op: phase === 'Running' ? 'sadd' : 'srem', key: store.keys.nodePods(node), member: `${NS}/${name}` }]);
    if (result.ok) return;
  }
}

async function updateSpec(store: JobStore, name: string, change: Partial<JobSpec>): Promise<void> {
  const stored = await store.getJob(NS, name);
  if (!stored) throw new Error(`no job ${name}`);
  const result = await store.commit([putOp(store.keys.job(NS, name), stored.rv, { ...stored.job, spec: { ...stored.job.spec, ...change } }, stored.control)]);
  expect(result.ok).toBe(true);
}

async function deletedPodsInStream(store: JobStore): Promise<string[]> {
  const entries = await scratch.redis.xrange(store.keys.changes, '-', '+');
  return entries.flatMap(([, fields]) => {
    const f = new Map<string, string>();
    for (let i = 0; i + 1 < fields.length; i += 2) f.set(fields[i] ?? '', fields[i + 1] ?? '');
    return f.get('t') === 'DELETED' && f.get('k') === 'Pod' ? [f.get('n') ?? ''] : [];
  });
}

describe('pods the controller stopped are removed once they ended and were counted', () => {
  it('suspend: a pending pod goes at once, a running one once its node has ended it; no failure counted', async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('sus', { parallelism: 2, completions: 4 }), NS);
    const uid = job.metadata.uid ?? '';
    const [onNode, pending] = (await podsOf(store, job)).map((p) => p.metadata.name ?? '');
    await setPod(store, onNode!, 'Running');
    await scratch.redis.set(store.keys.podLogArchive(NS, onNode!), 'its log');

    await updateSpec(store, 'sus', { suspend: true });
    await controller.syncJob(NS, 'sus');

    // The pending pod never ran: ended and removed in the same round of syncs.
    expect(await store.getPod(NS, pending!)).toBeUndefined();
    const stopping = (await store.getPod(NS, onNode!))?.pod;
    expect(stopping?.metadata.deletionTimestamp).toBeDefined();
    expect(stopping?.metadata.annotations?.['jobfleet.io/stop-reason']).toBe('Suspended');
    expect((await store.getJob(NS, 'sus'))?.job.status).toMatchObject({ active: 0, terminating: 1, failed: 0 });

    // Its node ends it (exit 143), and the next sync counts it (not as a failure) and removes it.
    await setPod(store, onNode!, 'Failed', 'node-1', 143);
    await controller.syncJob(NS, 'sus');
    expect(await store.getPod(NS, onNode!)).toBeUndefined();
    expect(await scratch.redis.exists(store.keys.podLogArchive(NS, onNode!), store.keys.podLog(NS, onNode!))).toBe(0);
    expect(await store.indexHas(store.keys.pods(NS), [onNode!])).toStrictEqual([false]);
    expect(await store.podNamesOfJob(uid)).toStrictEqual([]);
    expect(await store.uncountedPodNames(uid)).toStrictEqual([]);
    expect(await scratch.redis.smembers(store.keys.nodePods('node-1'))).toStrictEqual([]);
    expect((await deletedPodsInStream(store)).sort()).toStrictEqual([onNode, pending].sort());
    const status = (await store.getJob(NS, 'sus'))?.job.status;
    expect(status).toMatchObject({ active: 0, ready: 0, terminating: 0, failed: 0, succeeded: 0 });
    expect(status?.conditions?.map((c) => [c.type, c.status])).toStrictEqual([['Suspended', 'True']]);
  });

  it('a pod that failed on its own stays listed after it is counted', async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('own', { backoffLimit: 0 }), NS);
    const [name] = (await podsOf(store, job)).map((p) => p.metadata.name ?? '');
    await setPod(store, name!, 'Failed');
    await controller.syncJob(NS, 'own');
    expect((await store.getPod(NS, name!))?.pod.status.phase).toBe('Failed');
    expect((await store.getJob(NS, 'own'))?.job.status).toMatchObject({ failed: 1, terminating: 0 });
  });
});

describe('managedBy', () => {
  it('a Job managed by another controller gets no pod, no status, no event from jobfleet', async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('ext', { parallelism: 2, completions: 2, managedBy: 'example.com/custom-job-controller' }), NS);
    const rv = job.metadata.resourceVersion;
    await controller.syncJob(NS, 'ext');
    const stored = await store.getJob(NS, 'ext');
    expect(stored?.job.status).toStrictEqual({});
    expect(stored?.job.metadata.resourceVersion).toBe(rv);
    expect(await store.podNamesOfJob(job.metadata.uid ?? '')).toStrictEqual([]);
    expect(await scratch.redis.scard(store.keys.jobEvents(job.metadata.uid ?? ''))).toBe(0);
  });

  it('once its controller has finished it, its TTL-after-finished deletion is scheduled, as Kubernetes\' TTL controller does', async () => {
    const { store, controller } = newCluster();
    await createJob(store, controller, newJob('ext-ttl', { managedBy: 'example.com/c', ttlSecondsAfterFinished: 30 }), NS);
    expect(await scratch.redis.zscore(store.keys.ttlSchedule, `${NS}/ext-ttl`)).toBeNull();
    // The other controller writes the status (jobs/status); the write syncs the Job.
    const stored = await store.getJob(NS, 'ext-ttl');
    const at = k8sTime(Date.now());
    const status = {
      startTime: at,
      completionTime: at,
      succeeded: 1,
      conditions: [
        { type: 'SuccessCriteriaMet' as const, status: 'True' as const, lastTransitionTime: at },
        { type: 'Complete' as const, status: 'True' as const, lastTransitionTime: at },
      ],
    };
    expect((await store.commit([putOp(store.keys.job(NS, 'ext-ttl'), stored!.rv, { ...stored!.job, status }, stored!.control)])).ok).toBe(true);
    await controller.syncJob(NS, 'ext-ttl');
    expect(Number(await scratch.redis.zscore(store.keys.ttlSchedule, `${NS}/ext-ttl`))).toBe(Date.parse(at) + 31_000);
    expect((await store.getJob(NS, 'ext-ttl'))?.job.status).toStrictEqual(status);
  });
});

describe('backoffLimitPerIndex', () => {
  it('the replacement of a failed index carries its failure count; its first pod carried 0', async () => {
    const { store, controller } = newCluster();
    const spec: Partial<JobSpec> = { completionMode: 'Indexed', completions: 1, parallelism: 1, backoffLimitPerIndex: 1, backoffLimit: 2 ** 31 - 1 };
    const job = await createJob(store, controller, newJob('perix', spec), NS);
    const [first] = await podsOf(store, job);
    expect(first?.metadata.annotations).toMatchObject({ 'batch.kubernetes.io/job-completion-index': '0', 'batch.kubernetes.io/job-index-failure-count': '0' });
    await setPod(store, first?.metadata.name ?? '', 'Failed');
    await controller.syncJob(NS, 'perix');
    const second = (await podsOf(store, job)).find((p) => p.metadata.name !== first?.metadata.name);
    expect(second?.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']).toBe('1');
    expect((await store.getJob(NS, 'perix'))?.control.indexes).toBeUndefined();

    await setPod(store, second?.metadata.name ?? '', 'Failed');
    await controller.syncJob(NS, 'perix');
    const status = (await store.getJob(NS, 'perix'))?.job.status;
    expect(status).toMatchObject({ failed: 2, failedIndexes: '0', completedIndexes: '' });
    expect(status?.conditions?.map((c) => [c.type, c.reason])).toStrictEqual([
      ['FailureTarget', 'FailedIndexes'],
      ['Failed', 'FailedIndexes'],
    ]);
  });
});

describe('podReplacementPolicy TerminatingOrFailed', () => {
  it('a pod being deleted is counted at once, marked counted, and replaced while it terminates', async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('tof', { podReplacementPolicy: 'TerminatingOrFailed' }), NS);
    const [first] = await podsOf(store, job);
    const name = first?.metadata.name ?? '';
    await setPod(store, name, 'Running');
    const stored = await store.getPod(NS, name);
    const deleting = { ...stored!.pod, metadata: { ...stored!.pod.metadata, deletionTimestamp: k8sTime(Date.now()), deletionGracePeriodSeconds: 30 } };
    expect((await store.commit([await store.podPutOp(store.keys.pod(NS, name), stored!.rv, deleting)])).ok).toBe(true);

    await controller.syncJob(NS, 'tof');
    expect((await store.getJob(NS, 'tof'))?.job.status).toMatchObject({ failed: 1, active: 1, terminating: 1 });
    expect((await store.getPod(NS, name))?.pod.metadata.annotations?.['jobfleet.io/counted']).toBe('failed');
    expect(await podsOf(store, job)).toHaveLength(2);

    // It ends: not counted again, removed.
    await setPod(store, name, 'Failed', 'node-1', 143);
    await controller.syncJob(NS, 'tof');
    expect(await store.getPod(NS, name)).toBeUndefined();
    expect((await store.getJob(NS, 'tof'))?.job.status).toMatchObject({ failed: 1, active: 1, terminating: 0 });
  });
});

describe('the node monitor', () => {
  it('ends the pods of a lost node with DisruptionTarget (DeletionByTaintManager); an Ignore rule then does not count them', async () => {
    const cluster = newCluster();
    const { store, controller } = cluster;
    const spec: Partial<JobSpec> = {
      backoffLimit: 0,
      podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }] },
      podReplacementPolicy: 'Failed',
    };
    const job = await createJob(store, controller, newJob('lost', spec), NS);
    const [pod] = await podsOf(store, job);
    const name = pod?.metadata.name ?? '';
    await setPod(store, name, 'Running', 'gone-node');
    const now = await store.now();
    await scratch.redis.hset(store.keys.nodes, 'gone-node', JSON.stringify({ name: 'gone-node', heartbeat: now - 60_000 }));
    const monitor = new NodeMonitor(store, controller, { graceMs: 0, evictionMs: 0 });
    // Seen Redis long enough, then: mark lost, then evict.
    Reflect.set(monitor, 'connectedSince', now - 10_000);
    await monitor.check();
    await monitor.check();

    const ended = (await store.getPod(NS, name))?.pod;
    expect(ended?.status.phase).toBe('Failed');
    expect(ended?.status.reason).toBe('NodeLost');
    expect(ended?.metadata.deletionTimestamp).toBeUndefined();
    expect(ended?.status.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'DeletionByTaintManager',
      message: 'Taint manager: deleting due to NoExecute taint',
    });
    await controller.syncJob(NS, 'lost');
    const status = (await store.getJob(NS, 'lost'))?.job.status;
    expect(status).toMatchObject({ failed: 0, active: 1 });
    expect(status?.conditions ?? []).toStrictEqual([]);
  });

  it("reads a lost node's pods a batch per round trip; one garbage record among them is passed over, the others end", async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('lost-many', { parallelism: 3, completions: 3 }), NS);
    const names = (await podsOf(store, job)).map((p) => p.metadata.name ?? '');
    expect(names).toHaveLength(3);
    for (const name of names) await setPod(store, name, 'Running', 'gone-3');
    const now = await store.now();
    await scratch.redis.hset(store.keys.nodes, 'gone-3', JSON.stringify({ name: 'gone-3', heartbeat: now - 60_000 }));
    const monitor = new NodeMonitor(store, controller, { graceMs: 0, evictionMs: 60_000 });
    Reflect.set(monitor, 'connectedSince', now - 10_000);
    const reads = vi.spyOn(store, 'getPod');
    await monitor.check();
    expect(reads).not.toHaveBeenCalled(); // the three in one batch read
    for (const name of names) expect((await store.getPod(NS, name))?.pod.status.reason).toBe('NodeLost');

    // A record that is not a pod: passed over, the others go on (evicted), still in one read.
    const [garbage = '', ...others] = names;
    await scratch.redis.hset(store.keys.pod(NS, garbage), 'rv', '999999', 'obj', '{"metadata":', 'd', '');
    Reflect.set(monitor, 'timings', { ...Reflect.get(monitor, 'timings'), evictionMs: 0 });
    reads.mockClear();
    await monitor.check();
    expect(reads).not.toHaveBeenCalled();
    for (const name of others) expect((await store.getPod(NS, name))?.pod.status.phase).toBe('Failed');
    expect(await scratch.redis.sismember(store.keys.nodePods('gone-3'), `${NS}/${garbage}`)).toBe(1);
  });
});
