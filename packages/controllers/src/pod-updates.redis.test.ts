/**
 * Pods as API objects against a real redis-server, without workers (a node's part is played by
 * writing what a worker writes): deletion of a pod no node took and of a running one (its node is
 * told, its object goes once it ended and its Job counted it), preconditions, concurrent deletions
 * counted once, release and adoption with the Job's indexes kept exact, the guard that keeps a
 * deleted Job's indexes from being recreated, and the namespace's orphans deleted with it.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ANNOTATION_DELETED, ConflictError, InvalidError, applyJobDefaults, k8sTime, type Job, type Pod } from '@jobfleet/kube';
import { deleteJob, nameIndexBuckets, podQueueEntry, type StoredPod } from '@jobfleet/store';
import { createJob } from './jobs.js';
import { scratchCluster } from './test-cluster.js';
import { deleteNamespace } from './namespaces.js';
import { NodeMonitor } from './node-monitor.js';
import { deletePod, evictPod, reconcilePodOwner, updatePod } from './pod-updates.js';
import { defaultedJob } from '@jobfleet/testing';

const NS = 'default';

const scratch = scratchCluster();

/** A Job as the API hands it to createJob. */
function manifest(name: string, spec: Partial<Job['spec']> = {}): Job {
  return applyJobDefaults(defaultedJob(name, spec));
}

async function created(spec: Partial<Job['spec']> = {}, ns = NS): Promise<Job> {
  return createJob(scratch.store, scratch.cluster.controller, manifest(`job-${randomUUID().slice(0, 6)}`, spec), ns);
}

async function podsOf(job: Job): Promise<StoredPod[]> {
  const names = await scratch.store.podNamesOfJob(job.metadata.uid ?? '');
  return scratch.store.getPods(job.metadata.namespace ?? NS, names);
}

async function onlyPod(job: Job): Promise<StoredPod> {
  const pods = await podsOf(job);
  expect(pods).toHaveLength(1);
  return pods[0] as StoredPod;
}

/** What a worker writes when it claims a pod and its containers start. */
async function runOnNode(stored: StoredPod, node: string): Promise<StoredPod> {
  const pod: Pod = { ...stored.pod, spec: { ...stored.pod.spec, nodeName: node }, status: { ...stored.pod.status, phase: 'Running' } };
  const keys = scratch.store.keys;
  const ns = pod.metadata.namespace ?? NS;
  const result = await scratch.store.commit([
    await scratch.store.podPutOp(keys.pod(ns, pod.metadata.name ?? ''), stored.rv, pod),
    { op: 'sadd', key: keys.nodePods(node), member: `${ns}/${pod.metadata.name}` },
  ]);
  if (!result.ok) throw new Error('claim lost');
  return { pod, rv: result.rvs[0] ?? '' };
}

/** What a worker writes when the pod's containers ended. */
async function endOnNode(ns: string, name: string, phase: 'Failed' | 'Succeeded'): Promise<void> {
  const stored = await scratch.store.getPod(ns, name);
  if (!stored) throw new Error('no pod');
  const pod: Pod = { ...stored.pod, status: { ...stored.pod.status, phase, containerStatuses: [{ name: 'c', image: 'busybox', ready: false, restartCount: 0, state: { terminated: { exitCode: phase === 'Failed' ? 137 : 0, finishedAt: k8sTime(Date.now()) } } }] } };
  const keys = scratch.store.keys;
  const result = await scratch.store.commit([
    await scratch.store.podPutOp(keys.pod(ns, name), stored.rv, pod),
    { op: 'srem', key: keys.nodePods(stored.pod.spec.nodeName ?? ''), member: `${ns}/${name}` },
  ]);
  if (!result.ok) throw new Error('report lost');
  const owner = pod.metadata.ownerReferences?.[0]?.name;
  if (owner) await scratch.cluster.controller.syncJob(ns, owner);
}

async function indexed(job: Job, name: string): Promise<{ jobPods: boolean; uncounted: boolean; namespace: boolean }> {
  const keys = scratch.store.keys;
  const uid = job.metadata.uid ?? '';
  return {
    jobPods: (await scratch.store.indexHas(keys.jobPods(uid), [name]))[0] === true,
    uncounted: (await scratch.cluster.redis.sismember(keys.jobUncounted(uid), name)) === 1,
    namespace: (await scratch.store.indexHas(keys.pods(job.metadata.namespace ?? NS), [name]))[0] === true,
  };
}

describe('deletePod', () => {
  it('removes a pod no node took before it answers; its Job counts a failure and replaces it', async () => {
    const job = await created();
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    const deleted = await deletePod(scratch.store, scratch.cluster.controller, NS, name);
    expect(deleted?.pod.status.phase).toBe('Failed');
    expect(deleted?.pod.metadata.annotations?.[ANNOTATION_DELETED]).toBe('api');
    expect(await scratch.store.getPod(NS, name)).toBeUndefined();
    expect(await indexed(job, name)).toStrictEqual({ jobPods: false, uncounted: false, namespace: false });
    const after = (await scratch.store.getJob(NS, job.metadata.name ?? ''))?.job;
    expect(after?.status?.failed).toBe(1);
    const replacement = await onlyPod(job);
    expect(replacement.pod.metadata.name).not.toBe(name);
  });

  it('marks a running pod, tells its node, and removes it once it ended and was counted', async () => {
    const job = await created({ backoffLimit: 3 });
    const node = `node-${randomUUID().slice(0, 6)}`;
    const running = await runOnNode(await onlyPod(job), node);
    const name = running.pod.metadata.name ?? '';
    const subscriber = scratch.cluster.connection();
    const messages: string[] = [];
    subscriber.on('message', (_channel: string, message: string) => messages.push(message));
    await subscriber.subscribe(scratch.store.keys.nodeChannel(node));
    const before = Date.now();
    const deleted = await deletePod(scratch.store, scratch.cluster.controller, NS, name, { gracePeriodSeconds: 5 });
    expect(deleted?.removed).toBe(false);
    expect(deleted?.pod.metadata.deletionGracePeriodSeconds).toBe(5);
    expect(Date.parse(deleted?.pod.metadata.deletionTimestamp ?? '')).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 4_000);
    await expect.poll(() => messages).toStrictEqual([`${NS}/${name} 5`]);
    // Still there while its containers stop; its place in parallelism kept (no replacement yet).
    expect((await scratch.store.getPod(NS, name))?.pod.metadata.deletionTimestamp).toBe(deleted?.pod.metadata.deletionTimestamp);
    expect(await podsOf(job)).toHaveLength(1);
    await endOnNode(NS, name, 'Failed');
    expect(await scratch.store.getPod(NS, name)).toBeUndefined();
    expect(await indexed(job, name)).toStrictEqual({ jobPods: false, uncounted: false, namespace: false });
    expect((await scratch.store.getJob(NS, job.metadata.name ?? ''))?.job.status?.failed).toBe(1);
    expect((await podsOf(job)).map((p) => p.pod.metadata.name)).not.toContain(name);
    subscriber.disconnect();
  });

  it('counts a running pod deleted by many clients at once as one failure', async () => {
    const job = await created({ backoffLimit: 10 });
    const running = await runOnNode(await onlyPod(job), `node-${randomUUID().slice(0, 6)}`);
    const name = running.pod.metadata.name ?? '';
    await Promise.all(Array.from({ length: 8 }, (_, i) => deletePod(scratch.store, scratch.cluster.controller, NS, name, { gracePeriodSeconds: i })));
    const marked = (await scratch.store.getPod(NS, name))?.pod;
    expect(marked?.metadata.deletionGracePeriodSeconds).toBe(0); // the shortest wins, whatever the order
    await endOnNode(NS, name, 'Failed');
    await Promise.all(Array.from({ length: 4 }, () => scratch.cluster.controller.syncJob(NS, job.metadata.name ?? '')));
    expect((await scratch.store.getJob(NS, job.metadata.name ?? ''))?.job.status?.failed).toBe(1);
  });

  it('refuses failed preconditions (409) and writes nothing on a dry run', async () => {
    const job = await created();
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    await expect(deletePod(scratch.store, scratch.cluster.controller, NS, name, { uid: 'other' })).rejects.toThrow(ConflictError);
    await expect(deletePod(scratch.store, scratch.cluster.controller, NS, name, { resourceVersion: '1' })).rejects.toThrow(
      `Operation cannot be fulfilled on pods "${name}": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${pod.rv}`,
    );
    await expect(evictPod(scratch.store, scratch.cluster.controller, NS, name, { uid: 'other' })).rejects.toThrow(
      `Operation cannot be fulfilled on Pod "${name}": the UID in the precondition (other) does not match the UID in record (${pod.pod.metadata.uid})`,
    );
    const dry = await deletePod(scratch.store, scratch.cluster.controller, NS, name, { dryRun: true });
    expect(dry?.pod.status.phase).toBe('Failed'); // what the deletion would write
    expect(dry?.removed).toBe(false); // its Job counts it first
    expect((await scratch.store.getPod(NS, name))?.rv).toBe(pod.rv);
    expect(await deletePod(scratch.store, scratch.cluster.controller, NS, 'no-such-pod')).toBeUndefined();
  });
});

describe('deletePod on a lost node', () => {
  it('a pod deleted while its node is silent stays deleted: once the node monitor ends it, it is counted once and removed', async () => {
    const job = await created({ backoffLimit: 3 });
    const node = `node-${randomUUID().slice(0, 6)}`;
    const running = await runOnNode(await onlyPod(job), node);
    const name = running.pod.metadata.name ?? '';
    const monitor = new NodeMonitor(scratch.store, scratch.cluster.controller, { graceMs: 50, evictionMs: 300 });
    await scratch.cluster.redis.hset(scratch.store.keys.nodes, node, JSON.stringify({ name: node, heartbeat: (await scratch.store.now()) - 60_000 }));
    await monitor.check(); // starts its own clock
    await new Promise((r) => setTimeout(r, 100));
    await monitor.check(); // the node is lost: its pod is marked
    expect((await scratch.store.getPod(NS, name))?.pod.metadata.annotations?.['jobfleet.io/node-lost-at']).toBeDefined();
    await deletePod(scratch.store, scratch.cluster.controller, NS, name, { gracePeriodSeconds: 30 });
    expect(await scratch.store.getPod(NS, name)).toBeDefined(); // its node may still run it: it waits
    await new Promise((r) => setTimeout(r, 400));
    await monitor.check(); // evicted: Failed, still deleted, so counted and removed
    await scratch.cluster.controller.syncJob(NS, job.metadata.name ?? '');
    expect(await scratch.store.getPod(NS, name)).toBeUndefined();
    expect((await scratch.store.getJob(NS, job.metadata.name ?? ''))?.job.status?.failed).toBe(1);
    await scratch.cluster.redis.hdel(scratch.store.keys.nodes, node);
  });
});

describe('owners: release and adoption', () => {
  it('releases a pod whose labels stop matching: it leaves the indexes, the Job replaces it', async () => {
    const job = await created();
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    const written = await updatePod(scratch.store, scratch.cluster.controller, NS, name, (current) => ({ ...current, metadata: { ...current.metadata, labels: { app: 'x' } } }));
    expect(written.metadata.labels).toStrictEqual({ app: 'x' });
    const released = (await scratch.store.getPod(NS, name))?.pod;
    expect(released?.metadata.ownerReferences).toBeUndefined();
    expect(released?.metadata.finalizers).toBeUndefined();
    expect(await indexed(job, name)).toStrictEqual({ jobPods: false, uncounted: false, namespace: true });
    const replacement = await onlyPod(job);
    expect(replacement.pod.metadata.name).not.toBe(name);
    // The released pod outlives its Job.
    await deleteJob(scratch.store, NS, job.metadata.name ?? '');
    expect(await scratch.store.getPod(NS, name)).toBeDefined();
  });

  it('adopts back an orphan whose labels match, without counting or replacing it meanwhile', async () => {
    const job = await created();
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    await updatePod(scratch.store, scratch.cluster.controller, NS, name, (current) => {
      const { ownerReferences: _o, ...metadata } = current.metadata;
      return { ...current, metadata };
    });
    const adopted = (await scratch.store.getPod(NS, name))?.pod;
    expect(adopted?.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: job.metadata.name, uid: job.metadata.uid, controller: true });
    expect(await indexed(job, name)).toStrictEqual({ jobPods: true, uncounted: true, namespace: true });
    expect(await podsOf(job)).toHaveLength(1);
  });

  it('an orphan that ended is adopted but not counted again', async () => {
    const job = await created({ completions: 2 });
    const running = await runOnNode(await onlyPod(job), `node-${randomUUID().slice(0, 6)}`);
    const name = running.pod.metadata.name ?? '';
    await endOnNode(NS, name, 'Succeeded');
    expect((await scratch.store.getJob(NS, job.metadata.name ?? ''))?.job.status?.succeeded).toBe(1);
    // Released (labels), then adopted back (labels again): it is listed with the Job, not counted twice.
    await updatePod(scratch.store, scratch.cluster.controller, NS, name, (current) => ({ ...current, metadata: { ...current.metadata, labels: {} } }));
    expect(await indexed(job, name)).toMatchObject({ jobPods: false, uncounted: false });
    await updatePod(scratch.store, scratch.cluster.controller, NS, name, (current) => ({ ...current, metadata: { ...current.metadata, labels: { 'batch.kubernetes.io/controller-uid': job.metadata.uid ?? '' } } }));
    expect(await indexed(job, name)).toMatchObject({ jobPods: true, uncounted: false });
    await scratch.cluster.controller.syncJob(NS, job.metadata.name ?? '');
    expect((await scratch.store.getJob(NS, job.metadata.name ?? ''))?.job.status?.succeeded).toBe(1);
  });

  it('never adopts into a Job deleted meanwhile (the write is guarded by the Job)', async () => {
    const job = await created();
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    // An orphan of the Job, written straight (no reconciliation yet), then the Job goes.
    const { ownerReferences: _o, ...metadata } = pod.pod.metadata;
    const keys = scratch.store.keys;
    await scratch.store.commit([
      await scratch.store.podPutOp(keys.pod(NS, name), pod.rv, { ...pod.pod, metadata }),
      { op: 'irem', key: keys.jobPods(job.metadata.uid ?? ''), member: name },
      { op: 'srem', key: keys.jobUncounted(job.metadata.uid ?? ''), member: name },
    ]);
    await deleteJob(scratch.store, NS, job.metadata.name ?? '');
    const guard = await scratch.store.commit([{ op: 'require', key: keys.job(NS, job.metadata.name ?? ''), field: 'uid', value: job.metadata.uid ?? '' }, { op: 'iadd', key: keys.jobPods(job.metadata.uid ?? ''), member: name }]);
    expect(guard.ok).toBe(false);
    await reconcilePodOwner(scratch.store, scratch.cluster.controller, NS, name);
    expect(await scratch.cluster.redis.exists(keys.jobPods(job.metadata.uid ?? ''), nameIndexBuckets(keys.jobPods(job.metadata.uid ?? '')), keys.jobUncounted(job.metadata.uid ?? ''))).toBe(0);
    expect((await scratch.store.getPod(NS, name))?.pod.metadata.ownerReferences).toBeUndefined();
  });

  it('refuses to add an owner reference or change the spec (422), writing nothing', async () => {
    const job = await created();
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    await expect(
      updatePod(scratch.store, scratch.cluster.controller, NS, name, (current) => ({ ...current, metadata: { ...current.metadata, ownerReferences: [...(current.metadata.ownerReferences ?? []), { apiVersion: 'v1', kind: 'Pod', name: 'x', uid: 'y' }] } })),
    ).rejects.toThrow(InvalidError);
    await expect(updatePod(scratch.store, scratch.cluster.controller, NS, name, (current) => ({ ...current, spec: { ...current.spec, restartPolicy: 'OnFailure' } }))).rejects.toThrow(
      /pod updates may not change fields other than/,
    );
    expect((await scratch.store.getPod(NS, name))?.rv).toBe(pod.rv);
  });
});

describe('a queued pod whose tolerations a client adds', () => {
  it('moves to the entry of its new placement class, in the same place; a bound pod is not queued again', async () => {
    const job = await created();
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    const keys = scratch.store.keys;
    const before = podQueueEntry(pod.pod);
    const score = await scratch.cluster.redis.zscore(keys.podQueue, before);
    expect(score).not.toBeNull();
    const tolerate = (key: string) => (current: Pod): Record<string, unknown> => ({ ...current, spec: { ...current.spec, tolerations: [...(current.spec.tolerations ?? []), { key, operator: 'Exists', effect: 'NoSchedule' }] } });
    const written = await updatePod(scratch.store, scratch.cluster.controller, NS, name, tolerate('dedicated'));
    expect(written.spec.tolerations).toStrictEqual([{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }]);
    const after = podQueueEntry(written);
    expect(after).not.toBe(before);
    expect(await scratch.cluster.redis.zscore(keys.podQueue, before)).toBeNull();
    expect(await scratch.cluster.redis.zscore(keys.podQueue, after)).toBe(score);
    // Bound to a node (taken and claimed): a change queues nothing.
    await scratch.cluster.queues.dequeuePods([after]);
    await runOnNode((await scratch.store.getPod(NS, name)) as StoredPod, 'node-q');
    const later = await updatePod(scratch.store, scratch.cluster.controller, NS, name, tolerate('other'));
    expect(await scratch.cluster.redis.zscore(keys.podQueue, podQueueEntry(later))).toBeNull();
    expect(await scratch.cluster.redis.zscore(keys.podQueue, after)).toBeNull();
  });
});

describe('deleteNamespace', () => {
  it('deletes the pods no Job owns with the namespace', async () => {
    const ns = `ns-${randomUUID().slice(0, 6)}`;
    const job = await created({}, ns);
    const pod = await onlyPod(job);
    const name = pod.pod.metadata.name ?? '';
    await updatePod(scratch.store, scratch.cluster.controller, ns, name, (current) => ({ ...current, metadata: { ...current.metadata, labels: {} } }));
    expect((await scratch.store.getPod(ns, name))?.pod.metadata.ownerReferences).toBeUndefined();
    await deleteNamespace(scratch.store, ns, Date.now(), { controller: scratch.cluster.controller });
    expect(await scratch.store.getPod(ns, name)).toBeUndefined();
    expect(await scratch.store.indexedNames(scratch.store.keys.pods(ns), undefined, 10)).toStrictEqual([]);
  });
});
