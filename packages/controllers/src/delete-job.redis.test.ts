/**
 * deleteJob against a real redis-server: it wins over the controller's and the workers' writes
 * on the first try, refuses only on the caller's preconditions, sends a decodable DELETED event
 * for the Job and each of its pods, works in bounded batches, and can be finished by another
 * process (the janitor) when the one that started it died.
 */
import { describe, expect, it } from 'vitest';
import { ConflictError, k8sTime, type Job, type JobSpec, type Pod } from '@jobfleet/kube';
import { Cluster } from './cluster.js';
import { scratchCluster } from './test-cluster.js';
import { DELETE_BATCH_PODS, deleteJob, podDictionaryId, resumeDeletion, startJobDeletion, type JobStore } from '@jobfleet/store';
import { createJob } from './jobs.js';
import { defaultedJob } from '@jobfleet/testing';

const NS = 'default';

const scratch = scratchCluster();
const newCluster = (prefix?: string): Cluster => scratch.newCluster({ prefix });

/** Failures never end these Jobs: the deletion races with the controller's re-creation. */
function newJob(name: string, spec: Partial<JobSpec> = {}): Job {
  return defaultedJob(name, { backoffLimit: 1_000_000, ...spec });
}

/** Every key of a deployment, the change stream's and the queues' included. */
async function keysOf(store: JobStore): Promise<string[]> {
  const p = store.keys.rv.slice(0, -'rv'.length);
  return (await scratch.redis.keys(`${p}*`)).filter((k) => !/:sync(lease|again):/.test(k)).sort();
}

interface StreamEntry {
  rv: string;
  type: string;
  kind: string;
  name: string;
  obj: string;
  dict: string;
}

async function changes(store: JobStore): Promise<StreamEntry[]> {
  const raw = await scratch.redis.xrange(store.keys.changes, '-', '+');
  return raw.map(([id, f]) => {
    const m = new Map<string, string>();
    for (let i = 0; i + 1 < f.length; i += 2) m.set(f[i] ?? '', f[i + 1] ?? '');
    return { rv: id.split('-')[0] ?? '', type: m.get('t') ?? '', kind: m.get('k') ?? '', name: m.get('n') ?? '', obj: m.get('o') ?? '', dict: m.get('d') ?? '' };
  });
}

/**
 * A worker's writes, as fast as Redis takes them: claims pending pods, runs and fails or
 * succeeds them (each a compare-and-set of the pod), and syncs the Job, which creates
 * replacements. Stops when told to; a write that loses a race is simply dropped.
 */
async function churn(cluster: Cluster, name: string, stop: { now: boolean; writes: number }, node: string): Promise<number> {
  const { store, controller } = cluster;
  let writes = 0;
  while (!stop.now) {
    const stored = await store.getJob(NS, name);
    if (!stored) {
      await new Promise((r) => setTimeout(r, 5));
      continue;
    }
    const names = (await store.podNamesOfJob(stored.job.metadata.uid ?? '')).slice(-40);
    for (const { pod, rv } of await store.getPods(NS, names)) {
      if (stop.now) break;
      const phase = pod.status.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const next: Pod =
        phase === 'Pending'
          ? { ...pod, spec: { ...pod.spec, nodeName: node }, status: { ...pod.status, phase: 'Running' } }
          : { ...pod, status: { ...pod.status, phase: Math.random() < 0.5 ? 'Failed' : 'Succeeded', conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: k8sTime(Date.now()) }] } };
      const ops = [await store.podPutOp(store.keys.pod(NS, pod.metadata.name ?? ''), rv, next)];
      if (phase === 'Pending') ops.push({ op: 'sadd', key: store.keys.nodePods(node), member: `${NS}/${pod.metadata.name}` } as never);
      if ((await store.commit(ops)).ok) {
        writes++;
        stop.writes++;
      }
    }
    await controller.syncJob(NS, name).catch(() => undefined);
  }
  return writes;
}

describe('deleteJob', () => {
  it('wins on the first call while the controller and workers keep writing; every pod gets a decodable DELETED event', async () => {
    const main = newCluster();
    const prefix = main.store.keys.rv.slice(0, -':rv'.length);
    const workers = Array.from({ length: 6 }, () => newCluster(prefix));
    const { store } = main;
    await createJob(store, main.controller, newJob('warm-up'), NS);
    await deleteJob(store, NS, 'warm-up', { queues: main.queues });
    const baseline = await keysOf(store);

    for (let round = 0; round < 3; round++) {
      const name = `busy-${round}`;
      const job = await createJob(store, main.controller, newJob(name, { parallelism: 40, completions: 100_000 }), NS);
      const uid = job.metadata.uid ?? '';
      const stop = { now: false, writes: 0 };
      const running = workers.map((w, i) => churn(w, name, stop, `node-${i}`));
      const deadline = Date.now() + 20_000;
      while (stop.writes < 100 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      const before = (await store.podNamesOfJob(uid)).length;
      const deleted = await deleteJob(store, NS, name, { queues: main.queues });
      expect(deleted?.metadata.uid).toBe(uid);
      await new Promise((r) => setTimeout(r, 100)); // late writes of the workers: all refused
      stop.now = true;
      const writes = await Promise.all(running);
      console.log(`round ${round}: ${before} pods when deleted, ${writes.reduce((a, b) => a + b, 0)} worker writes`);

      // Every pod that was ever added is deleted, with its last object, readable without the dictionary.
      const feed = (await changes(store)).filter((c) => c.kind === 'Pod' || c.name === name);
      // A pod is added as JSON (compressed with the Job's dictionary once a node has it).
      const ownedByJob = (c: { obj: string; dict: string }) => c.dict === podDictionaryId(uid) || (!c.obj.startsWith('Z1:') && (JSON.parse(c.obj) as Pod).metadata.ownerReferences?.[0]?.uid === uid);
      const added = new Set(feed.filter((c) => c.kind === 'Pod' && c.type === 'ADDED' && ownedByJob(c)).map((c) => c.name));
      expect(added.size).toBeGreaterThan(40);
      const deletedPods = feed.filter((c) => c.kind === 'Pod' && c.type === 'DELETED' && added.has(c.name));
      expect(new Set(deletedPods.map((c) => c.name))).toStrictEqual(added);
      for (const c of deletedPods) {
        expect(c.dict).toBe('');
        const pod = JSON.parse(c.obj) as Pod;
        expect(pod.metadata.resourceVersion).toBe(c.rv);
        expect(pod.metadata.ownerReferences?.[0]?.uid).toBe(uid);
      }
      const jobDeleted = feed.filter((c) => c.kind === 'Job' && c.type === 'DELETED');
      expect(jobDeleted).toHaveLength(1);
      expect((JSON.parse(jobDeleted[0]?.obj ?? '{}') as Job).metadata.resourceVersion).toBe(jobDeleted[0]?.rv);
      expect(await keysOf(store)).toStrictEqual(baseline);
    }
  });

  it('refuses only on the caller\'s preconditions: 409 with Kubernetes\' message, nothing deleted', async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('guarded', { parallelism: 3, completions: 3 }), NS);
    const stored = await store.getJob(NS, 'guarded');
    const err = await deleteJob(store, NS, 'guarded', { resourceVersion: '1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConflictError);
    expect((err as ConflictError).message).toBe(
      `Operation cannot be fulfilled on jobs.batch "guarded": Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ${stored?.rv}`,
    );
    await expect(deleteJob(store, NS, 'guarded', { uid: 'nope' })).rejects.toBeInstanceOf(ConflictError);
    expect((await store.podNamesOfJob(job.metadata.uid ?? '')).length).toBe(3);
    expect((await deleteJob(store, NS, 'guarded', { uid: job.metadata.uid, resourceVersion: stored?.rv }))?.metadata.uid).toBe(job.metadata.uid);
    expect(await deleteJob(store, NS, 'guarded')).toBeUndefined();
  });

  it('a sync that committed just before the deletion leaves no timer or task behind it', async () => {
    const { store, controller, queues } = newCluster();
    // A warm-up Job with a deadline timer leaves the keys every deployment has (the timers' queue).
    await createJob(store, controller, newJob('warm-up', { activeDeadlineSeconds: 3_600 }), NS);
    await deleteJob(store, NS, 'warm-up', { queues });
    const baseline = await keysOf(store);
    const queueKeys = async () => (await scratch.redis.keys(`${store.keys.queuePrefix}:*`)).filter((k) => !/:(events|meta|id|stalled-check)$/.test(k)).sort();
    const queueBaseline = await queueKeys();
    // The deletion lands between a sync's commit and what it does after (timers, pod tasks).
    const schedule = queues.scheduleSync.bind(queues);
    let raced = false;
    queues.scheduleSync = async (job, delay, now) => {
      if (!raced && job.metadata.name === 'raced') {
        raced = true;
        await deleteJob(store, NS, 'raced', { queues });
      }
      return schedule(job, delay, now);
    };
    const job = await createJob(store, controller, newJob('raced', { parallelism: 3, completions: 3, activeDeadlineSeconds: 3_600 }), NS);
    expect(raced).toBe(true);
    expect(await scratch.redis.exists(`${store.keys.queuePrefix}:timers:${job.metadata.uid}`)).toBe(0);
    expect(await queues.sync.getDelayed()).toStrictEqual([]);
    expect((await queues.queuedPods()).filter((q) => q.entry.startsWith(`${NS}/raced-`))).toStrictEqual([]);
    expect(await keysOf(store)).toStrictEqual(baseline);
    expect(await queueKeys()).toStrictEqual(queueBaseline);
  });

  it('deletes a large Job in bounded batches; a deletion whose process died is finished by another', async () => {
    const { store, controller, queues } = newCluster();
    await createJob(store, controller, newJob('warm-up'), NS);
    await deleteJob(store, NS, 'warm-up', { queues });
    const baseline = await keysOf(store);
    const count = DELETE_BATCH_PODS * 2 + 100;
    const job = await createJob(store, controller, newJob('large', { parallelism: count, completions: count }), NS);
    const uid = job.metadata.uid ?? '';
    while ((await store.podNamesOfJob(uid)).length < count) await controller.syncJob(NS, 'large');
    // A pod whose stored object is garbage is deleted all the same.
    const victim = (await store.indexedNames(store.keys.jobPods(uid), undefined, 1))[0] ?? '';
    await store.redis.hset(store.keys.pod(NS, victim), 'obj', 'Z1:not-base64-deflate');

    const started = await startJobDeletion(store, NS, 'large');
    expect(started?.more).toBe(true);
    expect(await store.getJob(NS, 'large')).toBeUndefined();
    expect((await store.podNamesOfJob(uid)).length).toBe(count - DELETE_BATCH_PODS);
    expect(await store.redis.hkeys(store.keys.deletingJobs)).toStrictEqual([uid]);
    // The Job's name is free at once; a new Job of that name is not touched by the rest of the deletion.
    const namesake = await createJob(store, controller, newJob('large'), NS);

    const other = newCluster(store.keys.rv.slice(0, -':rv'.length));
    await resumeDeletion(other.store, NS, 'large', uid, other.queues);
    expect(await store.redis.hkeys(store.keys.deletingJobs)).toStrictEqual([]);
    const feed = await changes(store);
    expect(feed.filter((c) => c.type === 'DELETED' && c.kind === 'Pod' && (c.obj.includes(uid) || c.name === victim))).toHaveLength(count);
    const garbage = feed.find((c) => c.type === 'DELETED' && c.name === victim);
    expect(JSON.parse(garbage?.obj ?? '{}')).toMatchObject({ kind: 'Pod', metadata: { name: victim, namespace: NS, resourceVersion: garbage?.rv } });
    expect((await store.getJob(NS, 'large'))?.job.metadata.uid).toBe(namesake.metadata.uid);
    await deleteJob(store, NS, 'large', { queues });
    expect(await keysOf(store)).toStrictEqual(baseline);
  });
});
