/**
 * The Job controller, deleteJob and the task queues against a real redis-server: concurrent syncs
 * count each finished pod exactly once, deletion leaves no key behind, timers are removed.
 */
import { Redis } from 'ioredis';
import { describe, expect, it, vi } from 'vitest';
import { k8sTime, type Job, type Pod, type PodPhase } from '@jobfleet/kube';
import { Cluster } from './cluster.js';
import { scratchCluster } from './test-cluster.js';
import { deleteJob, insertJob, parseStopMessage, podQueueEntry, prepareNewJob, putOp, recordJobEvent, stopMessage, type JobStore } from '@jobfleet/store';
import { createJob } from './jobs.js';
import { defaultedJob as newJob } from '@jobfleet/testing';

const NS = 'default';

const scratch = scratchCluster();
const newCluster = scratch.newCluster;

/**
 * `n` controllers on one deployment, as `n` processes would have: their syncs of a Job race in
 * Redis (a single controller coalesces concurrent syncs of a Job in-process).
 */
function newProcesses(n: number): Cluster[] {
  const first = newCluster();
  const prefix = first.store.keys.rv.slice(0, -':rv'.length);
  return [first, ...Array.from({ length: n - 1 }, () => newCluster({ prefix }))];
}

/** A validated, defaulted Job, as the API hands it to createJob. */

async function podsOf(store: JobStore, job: Job): Promise<Pod[]> {
  const names = await store.podNamesOfJob(job.metadata.uid ?? '');
  return (await store.getPods(NS, names)).map((p) => p.pod).sort((a, b) => (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''));
}

/** What a worker reports when a pod ends (retried on conflict, as the worker does). */
async function finishPod(store: JobStore, name: string, phase: PodPhase & ('Succeeded' | 'Failed'), now = Date.now()): Promise<void> {
  for (;;) {
    const stored = await store.getPod(NS, name);
    if (!stored) throw new Error(`no pod ${name}`);
    const t = k8sTime(now - 5_000);
    const exitCode = phase === 'Succeeded' ? 0 : 1;
    const pod: Pod = {
      ...stored.pod,
      spec: { ...stored.pod.spec, nodeName: 'node-1' },
      status: {
        phase,
        containerStatuses: [{ name: 'c', image: 'busybox', ready: false, restartCount: 0, state: { terminated: { exitCode, finishedAt: t } } }],
      },
    };
    const result = await store.commit([putOp(store.keys.pod(NS, name), stored.rv, pod)]);
    if (result.ok) return;
  }
}

async function eventReasons(store: JobStore, job: Job): Promise<string[]> {
  const names = await store.redis.smembers(store.keys.jobEvents(job.metadata.uid ?? ''));
  const reasons: string[] = [];
  for (const name of names) {
    const obj = await store.redis.hget(store.keys.event(NS, name), 'obj');
    if (obj) reasons.push((JSON.parse(obj) as { reason: string }).reason);
  }
  return reasons.sort();
}

describe('JobController.syncJob', () => {
  it('a sync turned away by the lease of a holder that died retries when that lease expires, not a whole lease term later', async () => {
    const c = newCluster();
    const job = await createJob(c.store, c.controller, newJob('leased', { completions: 1, parallelism: 1 }), NS);
    const [pod] = await podsOf(c.store, job);
    await finishPod(c.store, pod?.metadata.name ?? '', 'Succeeded');
    // A process died mid-sync: its lease has 300 ms left (a term is 10 s).
    await c.store.redis.set(c.store.keys.syncLease(NS, 'leased'), 'dead', 'PX', 300);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      await c.controller.syncJob(NS, 'leased'); // turned away: it schedules its retry
      expect((await c.store.getJob(NS, 'leased'))?.job.status?.succeeded ?? 0).toBe(0);
      await new Promise((r) => setImmediate(r));
      await c.store.redis.del(c.store.keys.syncLease(NS, 'leased')); // the 300 ms went by
      vi.advanceTimersByTime(1_000); // far less than a term: only a retry at the lease's end runs
    } finally {
      vi.useRealTimers();
    }
    const deadline = Date.now() + 10_000;
    while (((await c.store.getJob(NS, 'leased'))?.job.status?.succeeded ?? 0) !== 1) {
      if (Date.now() > deadline) throw new Error('the retried sync never counted the pod');
      await new Promise((r) => setTimeout(r, 50));
    }
  });

  it('the first sync (createJob) creates the pods, marks them uncounted and queues them', async () => {
    const { store, controller, queues } = newCluster();
    const job = await createJob(store, controller, newJob('first', { parallelism: 2, completions: 3 }), NS);
    const uid = job.metadata.uid ?? '';
    const pods = await podsOf(store, job);
    expect(pods).toHaveLength(2);
    for (const p of pods) {
      expect(p.metadata.name).toMatch(/^first-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
      expect(p.status.phase).toBe('Pending');
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Job', name: 'first', uid, controller: true });
    }
    expect((await store.uncountedPodNames(uid)).sort()).toStrictEqual(pods.map((p) => p.metadata.name).sort());
    expect(await store.indexedNames(store.keys.pods(NS), undefined, 100)).toStrictEqual(pods.map((p) => p.metadata.name));
    expect(job.status).toMatchObject({ active: 2, succeeded: 0, failed: 0 });
    expect(await eventReasons(store, job)).toStrictEqual(['SuccessfulCreate', 'SuccessfulCreate']);
    // Queued for the nodes in the same commit, due at once.
    const queued = await queues.queuedPods();
    expect(queued.map((q) => q.entry).sort()).toStrictEqual(pods.map(podQueueEntry).sort());
  });

  it.each<{ name: string; processes: number }>([
    { name: 'three processes', processes: 3 },
    { name: 'one process (coalesced in-process)', processes: 1 },
  ])('three concurrent syncs count a succeeded pod exactly once: $name', async ({ processes }) => {
    const fleet = newProcesses(processes);
    const { store, controller } = fleet[0]!;
    const job = await createJob(store, controller, newJob('once'), NS);
    const [pod] = await podsOf(store, job);
    await finishPod(store, pod?.metadata.name ?? '', 'Succeeded');

    await Promise.all([0, 1, 2].map((i) => fleet[i % fleet.length]!.controller.syncJob(NS, 'once')));

    const after = (await store.getJob(NS, 'once'))?.job;
    expect(after?.status?.succeeded).toBe(1);
    expect(after?.status?.failed).toBe(0);
    expect(after?.status?.active).toBe(0);
    expect(after?.status?.conditions?.map((c) => c.type)).toStrictEqual(['SuccessCriteriaMet', 'Complete']);
    expect(await store.uncountedPodNames(job.metadata.uid ?? '')).toStrictEqual([]);
    expect(await podsOf(store, job)).toHaveLength(1);
    expect(await eventReasons(store, job)).toStrictEqual(['Completed', 'SuccessfulCreate']);
  });

  it('concurrent syncs in several processes count a failed pod once and create exactly one replacement', async () => {
    const fleet = newProcesses(5);
    const { store, controller } = fleet[0]!;
    const job = await createJob(store, controller, newJob('retry'), NS);
    const [pod] = await podsOf(store, job);
    await finishPod(store, pod?.metadata.name ?? '', 'Failed');

    await Promise.all(fleet.map((c) => c.controller.syncJob(NS, 'retry')));

    const stored = await store.getJob(NS, 'retry');
    expect(stored?.job.status).toMatchObject({ failed: 1, succeeded: 0, active: 1 });
    expect(stored?.control.failuresInRow).toBe(1);
    const pods = await podsOf(store, job);
    expect(pods.map((p) => p.status.phase).sort()).toStrictEqual(['Failed', 'Pending']);
    const replacement = pods.find((p) => p.status.phase === 'Pending')?.metadata.name;
    expect(await store.uncountedPodNames(job.metadata.uid ?? '')).toStrictEqual([replacement]);
  });

  it('pods finishing while many syncs run in several processes: every pod counted once, no pod too many', async () => {
    const fleet = newProcesses(4);
    const { store, controller } = fleet[0]!;
    const job = await createJob(store, controller, newJob('stress', { parallelism: 5, completions: 5 }), NS);
    const pods = await podsOf(store, job);
    expect(pods).toHaveLength(5);
    await Promise.all([
      ...pods.map(async (p, i) => {
        await finishPod(store, p.metadata.name ?? '', 'Succeeded');
        await fleet[i % fleet.length]!.controller.syncJob(NS, 'stress');
      }),
      ...fleet.map((c) => c.controller.syncJob(NS, 'stress')),
      ...fleet.map((c) => c.controller.syncJob(NS, 'stress')),
    ]);
    await controller.syncJob(NS, 'stress');
    const after = (await store.getJob(NS, 'stress'))?.job;
    expect(after?.status).toMatchObject({ succeeded: 5, failed: 0, active: 0 });
    expect(after?.status?.conditions?.filter((c) => c.status === 'True').map((c) => c.type)).toStrictEqual(['SuccessCriteriaMet', 'Complete']);
    expect(await podsOf(store, job)).toHaveLength(5);
    expect(await store.uncountedPodNames(job.metadata.uid ?? '')).toStrictEqual([]);
    expect((await eventReasons(store, job)).filter((r) => r === 'Completed')).toHaveLength(1);
  });

  it('a sync that failed is tried again by itself (the pod event that asked for it comes only once)', async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('flaky', { completions: 1 }), NS);
    const [pod] = await podsOf(store, job);
    await finishPod(store, pod!.metadata.name ?? '', 'Succeeded');
    // The Job's record cannot be read for a moment (as when Redis answers with an error): the sync fails.
    const key = store.keys.job(NS, 'flaky');
    const ctl = await store.redis.hget(key, 'ctl');
    await store.redis.hset(key, 'ctl', '{');
    await expect(controller.syncJob(NS, 'flaky')).rejects.toThrow();
    await store.redis.hset(key, 'ctl', ctl ?? '{}');
    // Nobody calls syncJob again: the controller's own retry counts the pod.
    for (let i = 0; i < 100 && (await store.getJob(NS, 'flaky'))?.job.status?.succeeded !== 1; i++) await new Promise((r) => setTimeout(r, 50));
    expect((await store.getJob(NS, 'flaky'))?.job.status?.succeeded).toBe(1);
  });

  it("keeps a Job's newest 100 events once it has more than 150; a Job of a few pods is not trimmed", async () => {
    const { store, controller } = newCluster();
    // 160 events of its pods' nodes (kubelet events are listed under the Job too), then its first sync.
    const big = prepareNewJob(newJob('many-events', { parallelism: 20, completions: 20 }), NS, Date.now());
    expect((await insertJob(store, big)).ok).toBe(true);
    for (let i = 0; i < 160; i++) {
      const event = { type: 'Normal' as const, reason: 'Pulled', message: `Container image "busybox" already present on machine (${i})` };
      expect(await recordJobEvent(store, 'many-events', { about: big, jobUid: big.metadata.uid ?? '', event, at: Date.now() - 60_000 + i, source: { component: 'kubelet', host: 'n1' } })).toBe(true);
    }
    await controller.syncJob(NS, 'many-events');
    const names = await store.redis.smembers(store.keys.jobEvents(big.metadata.uid ?? ''));
    expect(names).toHaveLength(100);
    // The newest are kept (names sort by creation time), and each one kept still exists: the sync's own among them.
    const reasons = await eventReasons(store, big);
    expect(reasons).toHaveLength(100);
    expect(reasons.filter((r) => r === 'SuccessfulCreate')).toHaveLength(10);
    const small = await createJob(store, controller, newJob('few-events', { parallelism: 6, completions: 6 }), NS);
    expect(await store.redis.scard(store.keys.jobEvents(small.metadata.uid ?? ''))).toBe(6);
  });

  it('records similar events as Kubernetes\' event aggregator: 9 SuccessfulCreate events, then one "(combined from similar events)" event whose count grows', async () => {
    const { store, controller } = newCluster();
    const job = await createJob(store, controller, newJob('combined', { parallelism: 30, completions: 31, backoffLimit: 10 }), NS);
    const events = async () => {
      const names = await store.redis.smembers(store.keys.jobEvents(job.metadata.uid ?? ''));
      const objs = await Promise.all(names.map(async (n) => JSON.parse((await store.redis.hget(store.keys.event(NS, n), 'obj')) ?? '{}') as { metadata: { name: string }; reason: string; message: string; count: number; firstTimestamp: string; lastTimestamp: string }));
      return objs.filter((e) => e.reason === 'SuccessfulCreate');
    };
    const first = await events();
    expect(first).toHaveLength(10);
    const combined = first.filter((e) => e.message.startsWith('(combined from similar events): Created pod: combined-'));
    expect(combined).toHaveLength(1);
    expect(combined[0]?.count).toBe(21);
    expect(first.filter((e) => e.count === 1)).toHaveLength(9);
    // Trimmed since (a Job's events are bounded): the aggregate's next write lists it again, or it would outlive the Job.
    const uid = job.metadata.uid ?? '';
    const aggregateName = combined[0]?.metadata.name ?? '';
    expect(aggregateName).not.toBe('');
    await store.redis.del(store.keys.event(NS, aggregateName));
    await store.redis.srem(store.keys.jobEvents(uid), aggregateName);
    await store.redis.zrem(store.keys.events(NS), aggregateName);
    // A pod fails: its replacement joins the same aggregate (one more, no new event).
    const [pod] = await podsOf(store, job);
    await finishPod(store, pod?.metadata.name ?? '', 'Failed');
    await controller.syncJob(NS, 'combined');
    const second = await events();
    expect(second).toHaveLength(10);
    expect(second.find((e) => e.message.startsWith('(combined'))?.count).toBe(22);
    expect(await store.redis.sismember(store.keys.jobEvents(uid), aggregateName)).toBe(1);
    expect(await store.redis.zscore(store.keys.events(NS), aggregateName)).not.toBeNull();
  });

  it('a sync of a Job that does not exist does nothing', async () => {
    const { store, controller } = newCluster();
    await controller.syncJob(NS, 'nothing-here');
    expect(await store.currentResourceVersion()).toBe('0');
  });

  it('a sync with nothing to change writes nothing', async () => {
    const { store, controller } = newCluster();
    await createJob(store, controller, newJob('idle'), NS);
    const rv = await store.currentResourceVersion();
    await controller.syncJob(NS, 'idle');
    await controller.syncJob(NS, 'idle');
    expect(await store.currentResourceVersion()).toBe(rv);
  });

  it('schedules its next sync: the deadline timer, on the injected clock', async () => {
    const NOW = Date.UTC(2030, 0, 1, 0, 0, 0);
    const { store, controller, queues } = newCluster({ clock: () => NOW });
    const job = await createJob(store, controller, newJob('timed', { activeDeadlineSeconds: 5 }), NS, NOW);
    const timers = await store.redis.smembers(`${store.keys.queuePrefix}:timers:${job.metadata.uid}`);
    expect(timers).toStrictEqual([`sync-${job.metadata.uid}-${NOW + 5_000}`]);
    const delayed = await queues.sync.getDelayed();
    expect(delayed.map((t) => [t.id, t.data])).toStrictEqual([[timers[0], { ns: NS, name: 'timed', uid: job.metadata.uid }]]);
  });
});

describe('the pod queue between namespaces', () => {
  /** Whose pods the next `n` takes of the queue hand out: pods per Job ("ns/job"). */
  async function turns(cluster: Cluster, n: number): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const { data } of (await cluster.queues.takePods(n)).tasks) {
      const job = `${data?.ns}/${(data?.name ?? '').replace(/-[^-]+$/, '')}`;
      out[job] = (out[job] ?? 0) + 1;
    }
    return out;
  }

  it('namespaces take turns as Jobs do: three Jobs of one namespace and one of another, created together, each namespace gets half the turns', async () => {
    const cluster = newCluster();
    const { store, controller } = cluster;
    const jobs: [string, string][] = [['team-a', 'a1'], ['team-a', 'a2'], ['team-a', 'a3'], ['team-b', 'b1']];
    for (const [ns, name] of jobs) expect((await insertJob(store, prepareNewJob(newJob(name, { parallelism: 40, completions: 40 }), ns, Date.now()))).ok).toBe(true);
    for (const [ns, name] of jobs) await controller.syncJob(ns, name);
    const got = await turns(cluster, 40);
    // Jobs alone as flows (no namespace level): 10 turns each, team-b 10 of 40.
    expect(got['team-b/b1']).toBeGreaterThanOrEqual(19);
    expect(got['team-b/b1']).toBeLessThanOrEqual(21);
    for (const a of ['a1', 'a2', 'a3']) expect(got[`team-a/${a}`]).toBeGreaterThanOrEqual(6);
  });

  it('a Job created behind a namespace with a backlog is queued as far apart as that namespace has Jobs waiting; one with nothing to queue leaves the flows', async () => {
    const cluster = newCluster();
    const { store, controller } = cluster;
    await createJob(store, controller, newJob('busy-1', { parallelism: 60, completions: 60 }), 'busy');
    await createJob(store, controller, newJob('busy-2', { parallelism: 60, completions: 60 }), 'busy');
    await createJob(store, controller, newJob('quiet-1', { parallelism: 30, completions: 30 }), 'quiet');
    // busy-1 queued alone (1 apart), busy-2 two apart, quiet-1 one apart: in the next 30 turns quiet has
    // ~1/(1 + 1 + 1/2) of them, ~12; with Jobs alone as flows it would have 10 (a third).
    const got = await turns(cluster, 30);
    expect(got['quiet/quiet-1']).toBeGreaterThanOrEqual(11);
    // The flows of a namespace: a Job with pods queued has its last entry's score, one created suspended
    // or with nothing to queue has none.
    await createJob(store, controller, newJob('idle', { parallelism: 0, completions: 1 }), 'quiet');
    await createJob(store, controller, newJob('held', { parallelism: 1, completions: 1, suspend: true }), 'quiet');
    expect(await store.redis.zrange(store.keys.podQueueFlows('quiet'), 0, -1)).toStrictEqual(['quiet-1']);
    // Deleting a Job removes it from its namespace's flows.
    await deleteJob(store, 'quiet', 'quiet-1', { queues: cluster.queues });
    expect(await store.redis.exists(store.keys.podQueueFlows('quiet'))).toBe(0);
  });
});

describe('deleteJob', () => {
  async function keysOf(cluster: Cluster): Promise<{ store: string[]; queues: string[] }> {
    const p = cluster.store.keys.rv.slice(0, -'rv'.length); // "<prefix>:"
    return {
      store: (await scratch.redis.keys(`${p}*`)).sort(),
      queues: (await scratch.redis.keys(`${cluster.store.keys.queuePrefix}:*`)).sort(),
    };
  }

  it('removes every key of the Job: object, pods, logs, events, indexes, TTL entry and tasks', async () => {
    const cluster = newCluster();
    const { store, controller, queues } = cluster;
    // A first Job, created and deleted, leaves the keys every deployment has (rv, change stream, the timers' queue).
    await createJob(store, controller, newJob('warm-up', { ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 3_600 }), NS);
    await deleteJob(store, NS, 'warm-up', { queues });
    const baseline = await keysOf(cluster);

    const job = await createJob(store, controller, newJob('victim', { parallelism: 2, completions: 3, ttlSecondsAfterFinished: 60 }), NS);
    const uid = job.metadata.uid ?? '';
    const [p1, p2] = await podsOf(store, job);
    const p1Name = p1?.metadata.name ?? '';
    const p2Name = p2?.metadata.name ?? '';
    await store.redis.xadd(store.keys.podLog(NS, p1Name), '*', 'c', 'c', 's', 'stdout', 't', '0', 'd', 'hello');
    await finishPod(store, p1Name, 'Succeeded');
    await controller.syncJob(NS, 'victim');
    // p2 runs on a node: the node is told to stop it.
    const running = await store.getPod(NS, p2Name);
    await store.commit([putOp(store.keys.pod(NS, p2Name), running?.rv ?? '', { ...running!.pod, spec: { ...running!.pod.spec, nodeName: 'node-9' }, status: { phase: 'Running' } })]);
    await store.commit([{ op: 'zadd', key: store.keys.ttlSchedule, member: `${NS}/victim`, score: 1 }]);
    await queues.scheduleSync(job, 60_000);
    // A node takes a pod from the queue: the pods that ran are no longer queued.
    await queues.dequeuePods([p1!, p2!].map(podQueueEntry));
    const during = await keysOf(cluster);
    expect(during.store.length).toBeGreaterThan(baseline.store.length);

    const sub = new Redis(scratch.url);
    const stops: string[] = [];
    sub.on('message', (_c: string, m: string) => stops.push(m));
    await sub.subscribe(store.keys.nodeChannel('node-9'));
    try {
      const deleted = await deleteJob(store, NS, 'victim', { queues, gracePeriodSeconds: 3 });
      expect(deleted?.metadata.uid).toBe(uid);
      const deadline = Date.now() + 5_000;
      while (stops.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(stops).toStrictEqual([`${NS}/${p2Name} 3`]);
    } finally {
      sub.disconnect();
    }

    expect(await keysOf(cluster)).toStrictEqual(baseline);
    expect(await store.getJob(NS, 'victim')).toBeUndefined();
    expect(await store.getPods(NS, [p1Name, p2Name])).toStrictEqual([]);
    // Watches see the deletions.
    const tail = await store.redis.xrevrange(store.keys.changes, '+', '-', 'COUNT', 10);
    const deletedNames = tail.filter(([, f]) => f[1] === 'DELETED').map(([, f]) => f[7]);
    expect(deletedNames).toEqual(expect.arrayContaining(['victim', p1Name, p2Name]));
    // A second delete finds nothing.
    expect(await deleteJob(store, NS, 'victim', { queues })).toBeUndefined();
  });

  it('a uid precondition that does not match deletes nothing (409 Conflict, as Kubernetes)', async () => {
    const { store, controller } = newCluster();
    await createJob(store, controller, newJob('kept'), NS);
    await expect(deleteJob(store, NS, 'kept', { uid: 'someone-else' })).rejects.toThrow(/Precondition failed: UID in precondition: someone-else/);
    // A precondition with half a UTF-16 pair (which Lua's JSON decoder refuses) is a precondition that fails, not a 500.
    await expect(deleteJob(store, NS, 'kept', { uid: 'x\ud83d', resourceVersion: '\udca5' })).rejects.toThrow(/Precondition failed: UID in precondition: x/);
    expect(await store.getJob(NS, 'kept')).toBeDefined();
  });
});

describe('TaskQueues', () => {
  const job = (uid: string): Job => ({ ...newJob('q'), metadata: { name: 'q', namespace: NS, uid } });
  const pod = (uid: string): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: `p-${uid}`, namespace: NS, uid }, spec: { containers: [] }, status: { phase: 'Pending' } });

  it('scheduleSync records one timer per due time (rounded up to 250 ms); removeJobTimers removes the timers', async () => {
    const { queues, store } = newCluster();
    const other = newCluster({ prefix: store.keys.queuePrefix.replace(/q$/, '') }).queues; // another process
    const now = Date.UTC(2030, 0, 1);
    await queues.scheduleSync(job('j1'), 10_000, now);
    await queues.scheduleSync(job('j1'), 30_000, now); // this process's 10 s timer comes first: nothing to add
    await other.scheduleSync(job('j1'), 20_000.4, now);
    await queues.scheduleSync(job('j1'), 10_000, now); // same time: same task
    await queues.scheduleSync(job('j1'), 9_900, now); // rounds up to the same time: same task
    await queues.scheduleSync(job('other'), 10_000, now);
    await queues.enqueuePods([pod('p1'), pod('p2')]);
    await queues.enqueuePods([pod('p1')]); // idempotent while it waits
    await queues.enqueuePods([]);

    const timersKey = `${store.keys.queuePrefix}:timers:j1`;
    expect((await store.redis.smembers(timersKey)).sort()).toStrictEqual([`sync-j1-${now + 10_000}`, `sync-j1-${now + 20_250}`]);
    const delayed = await queues.sync.getDelayed();
    expect(delayed.map((t) => t.id).sort()).toStrictEqual([`sync-j1-${now + 10_000}`, `sync-j1-${now + 20_250}`, `sync-other-${now + 10_000}`]);
    expect(delayed.find((t) => t.id === `sync-j1-${now + 20_250}`)?.opts.delay).toBe(20_250);
    expect((await queues.queuedPods()).map((q) => q.entry).sort()).toStrictEqual([podQueueEntry(pod('p1')), podQueueEntry(pod('p2'))]);

    await queues.removeJobTimers('j1');
    await queues.dequeuePods([podQueueEntry(pod('p1'))]);
    expect((await queues.sync.getDelayed()).map((t) => t.id)).toStrictEqual([`sync-other-${now + 10_000}`]);
    expect(await store.redis.exists(timersKey)).toBe(0);
    expect((await queues.queuedPods()).map((q) => q.entry)).toStrictEqual([podQueueEntry(pod('p2'))]);
    expect(await store.redis.smembers(`${store.keys.queuePrefix}:timers:other`)).toHaveLength(1);
  });

  it('syncDone forgets a timer that ran; removing tasks of an unknown Job is harmless', async () => {
    const { queues, store } = newCluster();
    await queues.scheduleSync(job('j2'), 0, 1000);
    const [id] = await store.redis.smembers(`${store.keys.queuePrefix}:timers:j2`);
    expect(id).toBe('sync-j2-1000');
    await queues.syncDone({ ns: NS, name: 'q', uid: 'j2' }, id ?? '');
    expect(await store.redis.exists(`${store.keys.queuePrefix}:timers:j2`)).toBe(0);
    await expect(queues.removeJobTimers('nobody')).resolves.toBeUndefined();
    await expect(queues.dequeuePods(['nothing'])).resolves.toBeUndefined();
  });
});

describe('stop messages', () => {
  it.each<{ name: string; grace?: number; text: string }>([
    { name: 'without grace period', text: 'default/p-1' },
    { name: 'with grace period', grace: 5, text: 'default/p-1 5' },
    { name: 'grace period 0', grace: 0, text: 'default/p-1 0' },
  ])('$name', ({ grace, text }) => {
    expect(stopMessage('default', 'p-1', grace)).toBe(text);
    expect(parseStopMessage(text)).toStrictEqual(grace === undefined ? { key: 'default/p-1' } : { key: 'default/p-1', graceSeconds: grace });
  });
});
