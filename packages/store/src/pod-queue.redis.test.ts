/**
 * The pod queue (TaskQueues' enqueue/take/hand back/ack, takePods-2.lua, handBackPod-2.lua,
 * enqueuePods-1.lua) and PodTaskConsumer against a real redis-server: entries carry the pods'
 * placement classes, and a node's takes leave the classes it skips; an entry goes to one taker,
 * oldest first, due times hold, a taken entry nobody claimed comes back when its lease ends, the
 * consumer never runs more than its concurrency, wakes on a message, and closes without losing an entry.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Pod, PodSpec } from '@jobfleet/kube';
import { enqueueOps, parsePodQueueEntry, placementClass, podQueueEntry, type PodTaskOutcome, type ReceivedPodTask } from './queues.js';
import { putOp, StoreConnection, startScratchRedis, type EmbeddedRedis } from './index.js';

let redis: EmbeddedRedis;
const connections: StoreConnection[] = [];
beforeAll(async () => {
  redis = await startScratchRedis();
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await redis.stop();
});

/** A role's connection under a prefix of this test's own (`prefix`: another process of the same fleet). */
function connect(prefix = `q${randomUUID().slice(0, 8)}`): StoreConnection {
  const c = new StoreConnection({ redisUrl: redis.url, prefix });
  connections.push(c);
  return c;
}

const pod = (name: string, ns = 'default'): Pod => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, uid: `uid-${name}` }, spec: { containers: [] }, status: { phase: 'Pending' } });
/** The queue entry of pod(name): "default/name#class". */
const entry = (name: string) => podQueueEntry(pod(name));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('pod queue entries', () => {
  it.each<[string, ReturnType<typeof parsePodQueueEntry>]>([
    ['default/p', { ns: 'default', name: 'p' }],
    ['default/p/u', undefined],
    ['a', undefined],
    ['/p', undefined],
    ['default/', undefined],
    ['', undefined],
    ['default/p#c1', { ns: 'default', name: 'p', placementClass: 'c1' }],
    ['default/p#', undefined],
    ['default/p#a#b', undefined],
    ['#c1', undefined],
  ])('%j parses as %j', (entry, parsed) => {
    expect(parsePodQueueEntry(entry)).toStrictEqual(parsed);
  });

  it('round-trips a pod, with its placement class', () => {
    expect(parsePodQueueEntry(podQueueEntry(pod('x', 'ns1')))).toStrictEqual({ ns: 'ns1', name: 'x', placementClass: placementClass({ containers: [] }) });
  });

  it("a placement class is what decides statically where a pod can go (and which node it prefers), whatever the JSON's order or the rest of the pod", () => {
    const spec = (extra: Partial<PodSpec>, image = 'busybox'): PodSpec => ({ containers: [{ name: 'c', image, resources: { requests: { cpu: '1' } } }], ...extra });
    const zoneA = placementClass(spec({ nodeSelector: { zone: 'a', disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }] }));
    expect(zoneA).toMatch(/^[\w-]{11}$/);
    // The same constraints in another key order, another image: the same class.
    expect(placementClass(spec({ tolerations: [{ operator: 'Exists', key: 'k' }], nodeSelector: { disk: 'ssd', zone: 'a' } }, 'other'))).toBe(zoneA);
    // Each input that decides apart changes it.
    const others = [
      spec({ nodeSelector: { zone: 'b', disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }] }),
      spec({ nodeSelector: { zone: 'a', disk: 'ssd' } }),
      spec({ nodeSelector: { zone: 'a', disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }], affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }] } } } }),
      { ...spec({ nodeSelector: { zone: 'a', disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }] }), containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '2' } } }] },
      // Preferred node affinity: which node scores best (a node leaves the class to better ones a moment).
      spec({ nodeSelector: { zone: 'a', disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }], affinity: { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'x', operator: 'Exists' }] } }] } } }),
    ];
    expect(new Set([zoneA, ...others.map(placementClass)]).size).toBe(6);
    // Bound by a claim (spec.nodeName): the same class, so that the entry it was queued under is found.
    expect(placementClass({ ...spec({ nodeSelector: { zone: 'a', disk: 'ssd' }, tolerations: [{ key: 'k', operator: 'Exists' }] }), nodeName: 'n1' })).toBe(zoneA);
    // Requests that cannot be read: no class (the pod is queued as "ns/name", its node reads it).
    expect(placementClass({ containers: [{ name: 'c', image: 'i', resources: { requests: { cpu: 'lots' } } }] })).toBeUndefined();
  });
});

describe('TaskQueues pod queue', () => {
  it('takes oldest first, each entry once across takers, at most the count asked for', async () => {
    const a = connect();
    const b = connect(a.store.keys.rv.slice(0, -':rv'.length));
    await a.queues.enqueuePods([pod('p1')]);
    await sleep(5);
    await a.queues.enqueuePods(Array.from({ length: 99 }, (_, i) => pod(`p${i + 2}`)));
    const first = await a.queues.takePods(1);
    expect(first.tasks.map((t) => t.data?.name)).toStrictEqual(['p1']);
    const takes = await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).queues.takePods(7)));
    const names = takes.flatMap((t) => t.tasks.map((x) => x.data?.name));
    expect(takes.every((t) => t.tasks.length <= 7)).toBe(true);
    expect(new Set(names).size).toBe(names.length);
    expect(names.length).toBe(99);
    expect(await a.queues.takePods(10)).toStrictEqual({ tasks: [] });
  });

  it('is fair between Jobs: a pod queued behind a backlog of another Job is taken next, as a sync queues it (enqueueOps) or the controller again (enqueuePods); two backlogs take turns', async () => {
    const c = connect();
    const keys = c.store.keys;
    /** The clock a sync reads (loadForSync): the queue's head, or the Redis time. */
    const clock = async () => {
      const [, head] = await c.store.redis.zrange(keys.podQueue, 0, 0, 'WITHSCORES');
      return Math.min(Number(head ?? Infinity), await c.store.now());
    };
    const names = (t: { tasks: ReceivedPodTask[] }) => t.tasks.map((x) => x.data?.name ?? '');
    const big = Array.from({ length: 2_000 }, (_, i) => pod(`big-${i}`));
    expect((await c.store.commit(enqueueOps(keys, big, await clock()))).ok).toBe(true);
    const first = await c.queues.takePods(100);
    expect(names(first)).toStrictEqual(big.slice(0, 100).map((p) => p.metadata.name));
    // Another Job's pod, queued by its sync: next in line, not after 1,900 pods.
    expect((await c.store.commit(enqueueOps(keys, [pod('small')], await clock()))).ok).toBe(true);
    const next = names(await c.queues.takePods(2));
    expect(next).toContain('small');
    // Queued again by the controller (enqueuePods): the same.
    await c.queues.enqueuePods([pod('again')]);
    const third = names(await c.queues.takePods(2));
    expect(third).toContain('again');
    // A second backlog takes turns with the first, one pod each.
    const other = Array.from({ length: 100 }, (_, i) => pod(`other-${i}`));
    expect((await c.store.commit(enqueueOps(keys, other, await clock()))).ok).toBe(true);
    const turns = names(await c.queues.takePods(20));
    expect(turns.filter((n) => n.startsWith('other-')).length).toBeGreaterThanOrEqual(9);
    expect(turns.filter((n) => n.startsWith('big-')).length).toBeGreaterThanOrEqual(9);
    // An entry handed back at once gets its place back (not behind what came since).
    const [taken] = (await c.queues.takePods(1)).tasks;
    await c.queues.enqueuePods([pod('later')]);
    await c.queues.handBackPod(taken?.entry ?? '', 0, taken?.score);
    expect(names(await c.queues.takePods(1))).toStrictEqual([taken?.data?.name]);
    // Nothing lost.
    const rest: string[] = [];
    for (let t = await c.queues.takePods(500); t.tasks.length > 0; t = await c.queues.takePods(500)) rest.push(...names(t));
    const all = [...names(first), ...next, ...third, ...turns, taken?.data?.name ?? '', ...rest];
    expect(new Set(all.filter((n) => n.startsWith('big-'))).size).toBe(2_000);
    expect(new Set(all.filter((n) => n.startsWith('other-'))).size).toBe(100);
  });

  it('a batch is due whole as soon as it is queued, within the millisecond it was queued in', async () => {
    // Entries queued together are scored 2 µs apart from the clock: each round takes place within
    // that millisecond most of the time (a round trip is ~0.1 ms), where a take that compared the
    // scores with the millisecond itself found only the first due.
    const c = connect();
    for (let round = 0; round < 20; round++) {
      const names = ['a', 'b', 'c', 'd', 'e'].map((n) => `${n}${round}`);
      await c.queues.enqueuePods(names.map((n) => pod(n)));
      expect((await c.queues.takePods(5)).tasks.map((t) => t.data?.name)).toStrictEqual(names);
    }
  });

  it('leaves the entries of the placement classes a node skips (it can never take them) queued for the others, in their place, unread', async () => {
    const c = connect();
    const zoned = (name: string): Pod => ({ ...pod(name), spec: { containers: [], nodeSelector: { zone: 'x' } } });
    const zone = placementClass({ containers: [], nodeSelector: { zone: 'x' } }) ?? '';
    await c.queues.enqueuePods([zoned('a'), pod('b'), zoned('c')]);
    expect((await c.queues.takePods(1, undefined, [zone])).tasks.map((t) => t.data?.name)).toStrictEqual(['b']);
    expect(await c.queues.takePods(5, undefined, [zone])).toStrictEqual({ tasks: [] }); // due, all skipped: no "next due" either
    expect((await c.queues.takePods(5)).tasks.map((t) => t.data)).toStrictEqual([
      { ns: 'default', name: 'a', placementClass: zone },
      { ns: 'default', name: 'c', placementClass: zone },
    ]);
    // Past more skipped entries than one range holds (chunks of 100 here), the first it may take is found...
    await c.queues.enqueuePods([...Array.from({ length: 250 }, (_, i) => zoned(`s${i}`)), pod('behind')]);
    expect((await c.queues.takePods(1, undefined, [zone])).tasks.map((t) => t.data?.name)).toStrictEqual(['behind']);
    // ...but not past 1,000 of them in one call (a bounded script): that one waits for the others to take theirs.
    const d = connect();
    const queued = [...Array.from({ length: 1_000 }, (_, i) => zoned(`t${i}`)), pod('far')];
    expect((await d.store.commit(enqueueOps(d.store.keys, queued, await d.store.now()))).ok).toBe(true); // in this order
    expect((await d.queues.takePods(1, undefined, [zone])).tasks).toStrictEqual([]);
    expect((await d.queues.takePods(1)).tasks.map((t) => t.data?.name)).toStrictEqual(['t0']);
    expect((await d.queues.takePods(1, undefined, [zone])).tasks.map((t) => t.data?.name)).toStrictEqual(['far']);
  });

  it('queueing a pod again keeps its place; a handed-back entry is due later, and keeps an earlier due time', async () => {
    const c = connect();
    await c.queues.enqueuePods([pod('early')]);
    const [{ dueAt } = { dueAt: 0 }] = await c.queues.queuedPods();
    await sleep(20);
    await c.queues.enqueuePods([pod('early')]);
    expect(await c.queues.queuedPods()).toStrictEqual([{ entry: entry('early'), dueAt }]);
    const [taken] = (await c.queues.takePods(5)).tasks;
    await c.queues.handBackPod(taken?.entry ?? '', 60_000);
    const later = await c.queues.takePods(5);
    expect(later.tasks).toStrictEqual([]);
    expect(later.nextDueInMs).toBeGreaterThan(55_000);
    // Queued again by the controller meanwhile (NX: it keeps the later due time), then handed back sooner: the sooner wins.
    await c.queues.enqueuePods([pod('early')]);
    await c.queues.handBackPod(taken?.entry ?? '', 0);
    expect((await c.queues.takePods(5)).tasks.map((t) => t.entry)).toStrictEqual([entry('early')]);
  });

  it('a taken entry is held under a lease: let go (ack, hand back) it is gone from the taken set; never let go, it is queued again', async () => {
    const c = connect();
    const taken = () => c.store.redis.zrange(c.store.keys.podQueueTaken, 0, -1);
    await c.queues.enqueuePods([pod('acked'), pod('handed'), pod('lost')]);
    const batch = await c.queues.takePods(3, 200);
    expect(batch.tasks.map((t) => t.entry)).toStrictEqual([entry('acked'), entry('handed'), entry('lost')]);
    expect((await taken()).sort()).toStrictEqual([entry('acked'), entry('handed'), entry('lost')]);
    await c.queues.ackPods([entry('acked')]);
    await c.queues.handBackPod(entry('handed'), 60_000);
    expect(await taken()).toStrictEqual([entry('lost')]);
    // The node that took "lost" died: nothing is due until its lease ends, then the next take gets it back.
    expect((await c.queues.takePods(3, 200)).tasks).toStrictEqual([]);
    await sleep(300);
    expect((await c.queues.takePods(3, 200)).tasks.map((t) => t.entry)).toStrictEqual([entry('lost')]);
    await c.queues.ackPods([entry('lost')]);
    expect(await c.store.redis.exists(c.store.keys.podQueueTaken)).toBe(0);
  });

  it('queues a large batch in pieces (Lua unpack has a limit) and removes entries', async () => {
    const c = connect();
    const pods = Array.from({ length: 2_500 }, (_, i) => pod(`big-${i}`));
    await c.queues.enqueuePods(pods);
    expect(await c.store.redis.zcard(c.store.keys.podQueue)).toBe(2_500);
    await c.queues.dequeuePods(pods.map(podQueueEntry));
    expect(await c.store.redis.exists(c.store.keys.podQueue)).toBe(0);
  });
});

describe('PodTaskConsumer', () => {
  it('runs at most `concurrency` tasks at once, wakes on a queued pod, and hands back what asked for later', async () => {
    const c = connect();
    let running = 0;
    let peak = 0;
    const seen: string[] = [];
    const retried = new Set<string>();
    const handler = async (task: ReceivedPodTask): Promise<PodTaskOutcome> => {
      running++;
      peak = Math.max(peak, running);
      seen.push(task.data?.name ?? '');
      await sleep(20);
      running--;
      // Every tenth pod is handed back once (as for a node that does not match it).
      if (task.data?.name.endsWith('0') && !retried.has(task.entry)) {
        retried.add(task.entry);
        return { retryInMs: 50 };
      }
    };
    // A poll far longer than the test: the wake-up message is what starts the work.
    const consumer = c.podTaskConsumer(handler, { concurrency: 4, pollMs: 60_000 });
    await sleep(100); // subscribed
    await c.queues.enqueuePods(Array.from({ length: 40 }, (_, i) => pod(`w${i}`)));
    await until(() => seen.length === 44, '40 pods and 4 hand-backs');
    expect(peak).toBeLessThanOrEqual(4);
    expect(peak).toBeGreaterThan(1);
    expect(new Set(seen).size).toBe(40);
    await consumer.close();
    expect(await c.store.redis.exists(c.store.keys.podQueue)).toBe(0);
    // Every task the handler ended let go of its entry.
    expect(await c.store.redis.exists(c.store.keys.podQueueTaken)).toBe(0);
  });

  it('looks again at once when a task is handed back for later after the queue was found empty (not a whole poll later)', async () => {
    const c = connect();
    let takes = 0;
    // One pod, handed back once, a moment after the loop found nothing more due and went to sleep.
    const consumer = c.podTaskConsumer(
      async () => {
        if (++takes > 1) return;
        await sleep(100);
        return { retryInMs: 10 };
      },
      { concurrency: 2, pollMs: 60_000 },
    );
    await sleep(100); // subscribed
    await c.queues.enqueuePods([pod('once')]);
    await until(() => takes === 2, 'the pod taken again', 5_000);
    await consumer.close();
  });

  it("hands each task its pod as read with the batch (one round trip for the batch), null for a pod that is not there", async () => {
    const c = connect();
    const pods = [pod('r1'), pod('r2', 'other'), pod('r3')];
    // r1 and r2 (of another namespace) exist; r3 is queued without a pod (deleted since).
    expect((await c.store.commit([putOp(c.store.keys.pod('default', 'r1'), '', pods[0]!), putOp(c.store.keys.pod('other', 'r2'), '', pods[1]!)])).ok).toBe(true);
    await c.queues.enqueuePods(pods);
    const hmgets = vi.spyOn(c.store.redis, 'hmget');
    const got = new Map<string, ReceivedPodTask['stored']>();
    const consumer = c.podTaskConsumer(async (task) => void got.set(task.data?.name ?? '', task.stored), { concurrency: 10, pollMs: 20 });
    await until(() => got.size === 3, 'the three tasks');
    await consumer.close();
    expect(got.get('r1')?.pod.metadata.uid).toBe('uid-r1');
    expect(got.get('r2')?.pod.metadata).toMatchObject({ namespace: 'other', uid: 'uid-r2' });
    expect(got.get('r3')).toBeNull();
    // Read in one pipeline, not one HMGET per pod.
    expect(hmgets).not.toHaveBeenCalled();
    // A record that is not a pod is named so, the others read all the same.
    await c.store.redis.hset(c.store.keys.pod('default', 'bad'), 'rv', '7', 'obj', '{"metadata":', 'd', '');
    expect(await c.store.getPodsAt([{ ns: 'other', name: 'r2' }, { ns: 'default', name: 'none' }, { ns: 'default', name: 'bad' }, { ns: 'default', name: 'r1' }])).toMatchObject([{ pod: { metadata: { name: 'r2' } } }, undefined, 'unreadable', { pod: { metadata: { name: 'r1' } } }]);
  });

  it('is not woken by pods of only the placement classes it leaves to the others (enqueue or hand back); is by any other', async () => {
    const prefix = `q${randomUUID().slice(0, 8)}`;
    const [c, d] = [connect(prefix), connect(prefix)];
    const zoned = (name: string): Pod => ({ ...pod(name), spec: { containers: [], nodeSelector: { zone: 'elsewhere' } } });
    const skipped = placementClass(zoned('x').spec) ?? '';
    const seen: string[] = [];
    const takes = vi.spyOn(c.queues, 'takePods');
    const consumer = c.podTaskConsumer(async (task) => void seen.push(task.data?.name ?? ''), { concurrency: 4, pollMs: 60_000, skip: () => [skipped] });
    await until(() => takes.mock.calls.length >= 1, 'the first look');
    await takes.mock.results[0]?.value; // done: a look still under way would see the pods queued below
    await sleep(100); // subscribed
    const before = takes.mock.calls.length;
    expect((await c.store.commit(enqueueOps(c.store.keys, [zoned('z1'), zoned('z2')], await c.store.now()))).ok).toBe(true);
    // Another node took one and handed it back at once: the message names its class too. (Queued
    // within the millisecond the clock was read, an entry may not be due yet: that node looks again.
    // Handing back nothing would wake every node.)
    let other: ReceivedPodTask | undefined;
    await until(async () => (other = (await d.queues.takePods(1)).tasks[0]) !== undefined, 'the other node to take one');
    await d.queues.handBackPod(other?.entry ?? '', 0, other?.score);
    await sleep(300); // a wake-up arrives in milliseconds
    expect(takes.mock.calls.length).toBe(before);
    // A pod of another class (or of none) wakes it.
    expect((await c.store.commit(enqueueOps(c.store.keys, [pod('plain')], await c.store.now()))).ok).toBe(true);
    await until(() => seen.includes('plain'), 'the plain pod taken');
    expect(seen).toStrictEqual(['plain']);
    await consumer.close();
  });

  it('takes nothing while paused; close waits for running tasks and leaves the untaken queued', async () => {
    const c = connect();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    let started = 0;
    let finished = 0;
    const consumer = c.podTaskConsumer(
      async () => {
        started++;
        await gate;
        finished++;
      },
      { concurrency: 2, pollMs: 50 },
    );
    await consumer.pause();
    await c.queues.enqueuePods([pod('a'), pod('b'), pod('c')]);
    await sleep(200);
    expect(started).toBe(0);
    consumer.resume();
    await until(() => started === 2, 'two tasks started');
    const closing = consumer.close();
    await sleep(100);
    expect(finished).toBe(0);
    release();
    await closing;
    expect(finished).toBe(2);
    expect((await c.queues.queuedPods()).map((q) => q.entry)).toStrictEqual([entry('c')]);
  });
});
