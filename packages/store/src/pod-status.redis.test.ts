/**
 * reportPodStatus-5+.lua through JobStore.reportPodStatus against a real redis-server: a report
 * writes the status alone, reads and watches see the same whole pod as after a whole write,
 * reports ready together go in one script call, and a stale report is refused.
 */
import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { newPodForJob, parseJob, podDictionary, type Job, type Pod, type PodStatus } from '@jobfleet/kube';
import { JobStore, encodeObject } from './store.js';
import { podDictionaryId } from './keys.js';
import { jobPodDictionary } from './pod-codec.js';
import { scratchStore } from './test-store.js';

const scratch = scratchStore();
let store: JobStore;
let job: Job;
const NODE = 'node-a';

beforeEach(async () => {
  store = scratch.newStore();
  const manifest = parseJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });
  job = { ...manifest, metadata: { ...manifest.metadata, namespace: 'default', uid: randomUUID() } };
  await scratch.redis.set(store.keys.podDictionary(job.metadata.uid ?? ''), podDictionary(job));
});

async function createPod(name: string): Promise<{ pod: Pod; rv: string }> {
  const pod = newPodForJob(job, { name, uid: randomUUID(), now: Date.now() });
  const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
  const result = await store.commit([await store.podPutOp(store.keys.pod('default', name), '', claimed), { op: 'sadd', key: store.keys.nodePods(NODE), member: `default/${name}` }]);
  if (!result.ok) throw new Error('create failed');
  return { pod: claimed, rv: result.rvs[0] ?? '' };
}

const running = (): PodStatus => ({ phase: 'Running', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', containerID: 'x://1', ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, lastState: {} }] });
const succeeded = (): PodStatus => ({ phase: 'Succeeded', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', containerID: 'x://1', ready: false, started: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: '2026-01-01T00:00:00Z', finishedAt: '2026-01-01T00:00:01Z', containerID: 'x://1' } }, lastState: {} }] });

async function evalCalls(): Promise<number> {
  const info = await scratch.redis.info('commandstats');
  return [...info.matchAll(/cmdstat_(?:evalsha|eval):calls=(\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
}

async function lastChange(): Promise<{ rv: string; type: string; json: string | undefined }> {
  const [entry] = await scratch.redis.xrevrange(store.keys.changes, '+', '-', 'COUNT', 1);
  const [id = '', fields = []] = entry ?? [];
  const f: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) f[fields[i] ?? ''] = fields[i + 1] ?? '';
  const rv = id.split('-')[0] ?? '';
  return { rv, type: f.t ?? '', json: await store.codec.decode(f.o ?? '', f.d ?? '', rv) };
}

describe('reportPodStatus', () => {
  it('writes the status alone: the stored body is untouched, and reads and the change stream give the whole pod, byte for byte as a whole write', async () => {
    const { pod, rv } = await createPod('j-aaaaa');
    const before = (await scratch.redis.hget(store.keys.pod('default', 'j-aaaaa'), 'obj')) ?? '';
    const after: Pod = { ...pod, status: running() };
    const result = await store.reportPodStatus({ ns: 'default', name: 'j-aaaaa', rv, pod: after, node: NODE });
    expect(result.ok).toBe(true);
    const newRv = result.ok ? result.rv : '';
    expect(Number(newRv)).toBeGreaterThan(Number(rv));
    const stored = (await scratch.redis.hget(store.keys.pod('default', 'j-aaaaa'), 'obj')) ?? '';
    expect(stored.split('\n')[0]).toBe(before.split('\n')[0]);
    // A pod that has not ended keeps its status as JSON (it is soon replaced); an ended one compressed (next test).
    expect(stored.split('\n')[1]).toBe(JSON.stringify(running()));
    const expected = encodeObject(after).replace('"__RV__"', `"${newRv}"`);
    const change = await lastChange();
    expect(change).toEqual({ rv: newRv, type: 'MODIFIED', json: expected });
    const read = await store.getPod('default', 'j-aaaaa');
    expect(read?.rv).toBe(newRv);
    expect(JSON.stringify(read?.pod)).toBe(expected);
    expect(await scratch.redis.hget(store.keys.pod('default', 'j-aaaaa'), 'p')).toBe('Running');
  });

  it("writes an ended pod's hash anew when an earlier, larger value left it a hash table: Redis then keeps it compact", async () => {
    // Waiting for a node, the pod is JSON: with a large annotation, past hash-max-listpack-value.
    const created = newPodForJob(job, { name: 'j-compact', uid: randomUUID(), now: Date.now() });
    const pending: Pod = { ...created, metadata: { ...created.metadata, annotations: { note: 'n'.repeat(2_000) } } };
    const key = store.keys.pod('default', 'j-compact');
    const put = await store.commit([await store.podPutOp(key, '', pending)]);
    if (!put.ok) throw new Error('create failed');
    expect(await scratch.redis.object('ENCODING', key)).toBe('hashtable');
    const claimed: Pod = { ...pending, spec: { ...pending.spec, nodeName: NODE } };
    const claim = await store.commit([await store.podPutOp(key, put.rvs[0] ?? '', claimed), { op: 'sadd', key: store.keys.nodePods(NODE), member: 'default/j-compact' }]);
    if (!claim.ok) throw new Error('claim failed');
    const started = await store.reportPodStatus({ ns: 'default', name: 'j-compact', rv: claim.rvs[0] ?? '', pod: { ...claimed, status: running() }, node: NODE });
    if (!started.ok) throw new Error('report failed');
    expect(await scratch.redis.object('ENCODING', key)).toBe('hashtable'); // not ended: left as it is
    const fieldsBefore = Object.keys(await scratch.redis.hgetall(key)).sort();
    const ended = await store.reportPodStatus({ ns: 'default', name: 'j-compact', rv: started.rv, pod: { ...claimed, status: succeeded() }, node: NODE });
    if (!ended.ok) throw new Error('report failed');
    expect(await scratch.redis.object('ENCODING', key)).toBe('listpack');
    expect(Object.keys(await scratch.redis.hgetall(key)).sort()).toStrictEqual(fieldsBefore);
    expect(JSON.stringify((await store.getPod('default', 'j-compact'))?.pod)).toBe(encodeObject({ ...claimed, status: succeeded() } as Pod).replace('"__RV__"', `"${ended.rv}"`));
  });

  it('reads an ended pod back whole, and takes it off its node', async () => {
    const { pod, rv } = await createPod('j-bbbbb');
    const after: Pod = { ...pod, status: succeeded() };
    const result = await store.reportPodStatus({ ns: 'default', name: 'j-bbbbb', rv, pod: after, node: NODE });
    expect(result.ok).toBe(true);
    const stored = (await scratch.redis.hget(store.keys.pod('default', 'j-bbbbb'), 'obj')) ?? '';
    expect(stored.split('\n')[1]?.length).toBeLessThan(JSON.stringify(succeeded()).length / 2);
    expect(JSON.stringify((await store.getPod('default', 'j-bbbbb'))?.pod)).toBe(encodeObject(after).replace('"__RV__"', `"${result.ok ? result.rv : ''}"`));
    expect(await scratch.redis.sismember(store.keys.nodePods(NODE), 'default/j-bbbbb')).toBe(0);
    expect(await scratch.redis.hget(store.keys.pod('default', 'j-bbbbb'), 'p')).toBe('S');
  });

  it('writes the reports that are ready together in one script call, refusing only the stale one', async () => {
    const pods = await Promise.all(['j-c0001', 'j-c0002', 'j-c0003', 'j-c0004'].map((n) => createPod(n)));
    await store.reportPodStatus({ ns: 'default', name: 'j-c0004', rv: pods[3]?.rv ?? '', pod: { ...(pods[3]?.pod as Pod), status: running() }, node: NODE });
    const rvBefore = await scratch.redis.get(store.keys.rv);
    const calls = await evalCalls();
    const results = await Promise.all(
      pods.map(({ pod, rv }) => store.reportPodStatus({ ns: 'default', name: pod.metadata.name ?? '', rv, pod: { ...pod, status: succeeded() }, node: NODE })),
    );
    expect(await evalCalls()).toBe(calls + 1);
    expect(results.map((r) => r.ok)).toEqual([true, true, true, false]);
    expect(results[3]).toEqual({ ok: false, reason: 'conflict' });
    expect(Number(await scratch.redis.get(store.keys.rv))).toBe(Number(rvBefore) + 3);
    // Their resourceVersions follow each other, in the order of the reports.
    expect(results.slice(0, 3).map((r) => (r.ok ? Number(r.rv) - Number(rvBefore) : 0))).toEqual([1, 2, 3]);
    // The stale report wrote nothing: the pod is still Running, and on its node.
    expect((await store.getPod('default', 'j-c0004'))?.pod.status.phase).toBe('Running');
    expect(await scratch.redis.smembers(store.keys.nodePods(NODE))).toEqual(['default/j-c0004']);
  });

  it('refuses the second of two reports of one pod in one call: the first changed what it was based on', async () => {
    const { pod, rv } = await createPod('j-c0005');
    const calls = await evalCalls();
    const [first, second] = await Promise.all([
      store.reportPodStatus({ ns: 'default', name: 'j-c0005', rv, pod: { ...pod, status: running() }, node: NODE }),
      store.reportPodStatus({ ns: 'default', name: 'j-c0005', rv, pod: { ...pod, status: succeeded() }, node: NODE }),
    ]);
    expect(await evalCalls()).toBe(calls + 1);
    expect(first.ok).toBe(true);
    expect(second).toEqual({ ok: false, reason: 'conflict' });
    expect((await store.getPod('default', 'j-c0005'))?.pod.status.phase).toBe('Running');
  });

  it('refuses a report of a pod deleted and created again under its name', async () => {
    const { pod, rv } = await createPod('j-ddddd');
    const stored = await store.getPod('default', 'j-ddddd');
    expect(await store.commit([{ op: 'del', key: store.keys.pod('default', 'j-ddddd'), expect: rv, kind: 'Pod', ns: 'default', name: 'j-ddddd', final: JSON.stringify(stored?.pod) }])).toMatchObject({ ok: true });
    expect(await store.reportPodStatus({ ns: 'default', name: 'j-ddddd', rv, pod: { ...pod, status: running() }, node: NODE })).toEqual({ ok: false, reason: 'conflict' });
    expect(await scratch.redis.exists(store.keys.pod('default', 'j-ddddd'))).toBe(0);
    await createPod('j-ddddd');
    expect(await store.reportPodStatus({ ns: 'default', name: 'j-ddddd', rv, pod: { ...pod, status: running() }, node: NODE })).toEqual({ ok: false, reason: 'conflict' });
  });

  it('asks for a whole write of a pod stored as plain JSON (no Job dictionary)', async () => {
    const orphan: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bare', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } };
    const created = await store.commit([await store.podPutOp(store.keys.pod('default', 'bare'), '', orphan)]);
    const rv = created.ok ? (created.rvs[0] ?? '') : '';
    expect(await store.reportPodStatus({ ns: 'default', name: 'bare', rv, pod: { ...orphan, status: running() }, node: NODE })).toEqual({ ok: false, reason: 'whole' });
    expect((await store.getPod('default', 'bare'))?.rv).toBe(rv);
  });
});

describe('claimPod', () => {
  async function pendingPod(name: string): Promise<{ pod: Pod; rv: string }> {
    const pod = newPodForJob(job, { name, uid: randomUUID(), now: Date.now() });
    const result = await store.commit([await store.podPutOp(store.keys.pod('default', name), '', pod)]);
    return { pod, rv: result.ok ? (result.rvs[0] ?? '') : '' };
  }
  const scheduledEvent = (pod: Pod, name: string) =>
    ({ about: pod, jobUid: job.metadata.uid ?? '', event: { type: 'Normal' as const, reason: 'Scheduled', message: `Successfully assigned default/${pod.metadata.name} to ${NODE}` }, at: Date.now(), source: { component: 'default-scheduler' as const }, details: { name } });

  it('writes the claimed pod, puts it on its node and records the Scheduled event, each change in resourceVersion order', async () => {
    const { pod, rv } = await pendingPod('j-eeeee');
    const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
    const result = await store.claimPod({ ns: 'default', name: 'j-eeeee', rv, pod: claimed, node: NODE, leaseToken: 'lease-a', event: scheduledEvent(claimed, 'j-eeeee.1') });
    expect(result.ok).toBe(true);
    const podRv = result.ok ? result.rv : '';
    expect(JSON.stringify((await store.getPod('default', 'j-eeeee'))?.pod)).toBe(encodeObject(claimed).replace('"__RV__"', `"${podRv}"`));
    expect(await scratch.redis.smembers(store.keys.nodePods(NODE))).toEqual(['default/j-eeeee']);
    expect(await scratch.redis.zrange(store.keys.events('default'), 0, -1)).toEqual(['j-eeeee.1']);
    expect(await scratch.redis.smembers(store.keys.jobEvents(job.metadata.uid ?? ''))).toEqual(['j-eeeee.1']);
    const event = JSON.parse((await scratch.redis.hget(store.keys.event('default', 'j-eeeee.1'), 'obj')) ?? '{}') as { metadata: { resourceVersion: string }; reason: string };
    expect(event.reason).toBe('Scheduled');
    expect(Number(event.metadata.resourceVersion)).toBe(Number(podRv) + 1);
    const changes = await scratch.redis.xrange(store.keys.changes, '-', '+');
    expect(changes.slice(-2).map(([id, f]) => [id, f[1], f[3]])).toEqual([
      [`${podRv}-0`, 'MODIFIED', 'Pod'],
      [`${Number(podRv) + 1}-0`, 'ADDED', 'Event'],
    ]);
  });

  it('claims made in one turn go in one request, each with its own answer', async () => {
    const pods = await Promise.all(['j-turn1', 'j-turn2', 'j-turn3'].map((n) => pendingPod(n)));
    const pipelines = vi.spyOn(store.redis, 'pipeline');
    const results = await Promise.all(
      pods.map(({ pod, rv }, i) => store.claimPod({ ns: 'default', name: pod.metadata.name ?? '', rv: i === 1 ? '1' : rv, pod: { ...pod, spec: { ...pod.spec, nodeName: NODE } }, node: NODE, leaseToken: 'lease-a' })),
    );
    expect(pipelines).toHaveBeenCalledTimes(1);
    pipelines.mockRestore();
    expect(results.map((r) => r.ok)).toStrictEqual([true, false, true]); // the second was based on a stale resourceVersion
    expect((await scratch.redis.smembers(store.keys.nodePods(NODE))).sort()).toStrictEqual(['default/j-turn1', 'default/j-turn3']);
  });

  it('refuses a pod that changed since it was read, writing nothing', async () => {
    const { pod, rv } = await pendingPod('j-fffff');
    const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
    expect((await store.claimPod({ ns: 'default', name: 'j-fffff', rv, pod: claimed, node: NODE, leaseToken: 'lease-a' })).ok).toBe(true);
    const rvBefore = await scratch.redis.get(store.keys.rv);
    const other: Pod = { ...pod, spec: { ...pod.spec, nodeName: 'node-b' } };
    expect(await store.claimPod({ ns: 'default', name: 'j-fffff', rv, pod: other, node: 'node-b', leaseToken: 'lease-b', event: scheduledEvent(other, 'j-fffff.2') })).toEqual({ ok: false });
    expect(await scratch.redis.get(store.keys.rv)).toBe(rvBefore);
    expect(await scratch.redis.smembers(store.keys.nodePods('node-b'))).toEqual([]);
    expect(await scratch.redis.exists(store.keys.event('default', 'j-fffff.2'))).toBe(0);
    expect((await store.getPod('default', 'j-fffff'))?.pod.spec.nodeName).toBe(NODE);
  });

  it('a claim made again under the write id of one that landed answers as it did, writing nothing; under another, refused', async () => {
    const { pod, rv } = await pendingPod('j-again');
    const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
    const claim = { ns: 'default', name: 'j-again', rv, pod: claimed, node: NODE, leaseToken: 'lease-a', event: scheduledEvent(claimed, 'j-again.1'), writeId: 'claim-id' };
    const first = await store.claimPod(claim);
    expect(first.ok).toBe(true);
    const rvBefore = await scratch.redis.get(store.keys.rv);
    expect(await store.claimPod(claim)).toEqual(first);
    expect(await store.claimPod({ ...claim, writeId: 'another' })).toEqual({ ok: false });
    expect(await scratch.redis.get(store.keys.rv)).toBe(rvBefore);
    expect(await scratch.redis.zrange(store.keys.events('default'), 0, -1)).toEqual(['j-again.1']);
  });

  it('a whole write of a node’s pod made again under the write id of one that landed answers as it did: its events once', async () => {
    const { pod, rv } = await pendingPod('j-report');
    const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
    const claim = await store.claimPod({ ns: 'default', name: 'j-report', rv, pod: claimed, node: NODE, leaseToken: 'lease-a' });
    const claimRv = claim.ok ? claim.rv : '';
    const started = { ...scheduledEvent(claimed, 'j-report.2'), event: { type: 'Normal' as const, reason: 'Started', message: 'Started container c' } };
    const report = () => store.putNodePod(claimRv, { ...claimed, status: running() }, NODE, { events: [started], writeId: 'report-id' });
    const first = await report();
    expect(first.ok).toBe(true);
    const rvBefore = await scratch.redis.get(store.keys.rv);
    expect(await report()).toEqual(first);
    expect(await scratch.redis.get(store.keys.rv)).toBe(rvBefore);
    expect(await store.putNodePod(claimRv, { ...claimed, status: running() }, NODE, { events: [started], writeId: 'another' })).toMatchObject({ ok: false });
    const event = JSON.parse((await scratch.redis.hget(store.keys.event('default', 'j-report.2'), 'obj')) ?? '{}') as { count?: number };
    expect(event.count ?? 1).toBe(1);
  });

  it('refuses a worker whose node name another worker holds, writing nothing', async () => {
    const { pod, rv } = await pendingPod('j-ggggg');
    await scratch.redis.set(store.keys.nodeLease(NODE), 'lease-of-another-worker');
    const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
    const rvBefore = await scratch.redis.get(store.keys.rv);
    expect(await store.claimPod({ ns: 'default', name: 'j-ggggg', rv, pod: claimed, node: NODE, leaseToken: 'lease-a', event: scheduledEvent(claimed, 'j-ggggg.1') })).toEqual({ ok: false, nameLost: true });
    expect(await scratch.redis.get(store.keys.rv)).toBe(rvBefore);
    expect(await scratch.redis.smembers(store.keys.nodePods(NODE))).toEqual([]);
    expect((await store.getPod('default', 'j-ggggg'))?.pod.spec.nodeName).toBeUndefined();
    expect((await store.claimPod({ ns: 'default', name: 'j-ggggg', rv, pod: claimed, node: NODE, leaseToken: 'lease-of-another-worker' })).ok).toBe(true);
  });
});

describe('reportPodStatus with the log’s last output', () => {
  const limits = { podMaxBytes: 64 * 1024, jobMaxBytes: 0 };
  const finishOf = (pod: Pod, text: string) => ({
    target: { ns: 'default', name: pod.metadata.name ?? '', podUid: pod.metadata.uid ?? '', jobUid: job.metadata.uid ?? '' },
    limits,
    chunks: [{ container: 'c', stream: 'stdout' as const, time: 1, data: Buffer.from(text) }],
  });

  it('archives the log before the final status, in the same request; a refused status leaves it archived all the same', async () => {
    const { pod, rv } = await createPod('j-logged');
    const calls = await evalCalls();
    const pipelines = vi.spyOn(store.redis, 'pipeline');
    const alone = vi.spyOn(store.logs, 'write');
    const result = await store.reportPodStatus({ ns: 'default', name: 'j-logged', rv, pod: { ...pod, status: succeeded() }, node: NODE, log: finishOf(pod, 'last words\n') });
    expect(result.ok).toBe(true);
    expect(await evalCalls()).toBe(calls + 2); // the archive, then the status: one pipeline
    expect(pipelines).toHaveBeenCalledTimes(1);
    expect(alone).not.toHaveBeenCalled();
    pipelines.mockRestore();
    expect((await store.logs.read('default', 'j-logged')).map((c) => c.data)).toStrictEqual(['last words\n']);
    expect((await store.getPod('default', 'j-logged'))?.pod.status.phase).toBe('Succeeded');

    const other = await createPod('j-refused');
    const refused = await store.reportPodStatus({ ns: 'default', name: 'j-refused', rv: '1', pod: { ...other.pod, status: succeeded() }, node: NODE, log: finishOf(other.pod, 'kept\n') });
    expect(refused).toStrictEqual({ ok: false, reason: 'conflict' });
    expect((await store.logs.read('default', 'j-refused')).map((c) => c.data)).toStrictEqual(['kept\n']);
  });

  it('stores the short dictionary id in the pod and its change, and still reads a pod written with the whole uid (before the ids were short)', async () => {
    const uid = job.metadata.uid ?? '';
    const { pod, rv } = await createPod('j-short');
    const done = await store.reportPodStatus({ ns: 'default', name: 'j-short', rv, pod: { ...pod, status: succeeded() }, node: NODE });
    expect(done.ok).toBe(true);
    const key = store.keys.pod('default', 'j-short');
    expect(await scratch.redis.hget(key, 'd')).toBe(podDictionaryId(uid));
    expect(await scratch.redis.hget(key, 'd')).toHaveLength(12);
    const [[, fields = []] = []] = await scratch.redis.xrevrange(store.keys.changes, '+', '-', 'COUNT', 1);
    expect(fields[fields.indexOf('d') + 1]).toBe(podDictionaryId(uid));
    const read = await store.getPod('default', 'j-short');
    expect(read?.pod.status.phase).toBe('Succeeded');
    // As a pod and dictionary written before: the hash names the whole uid, the dictionary is under it.
    await scratch.redis.rename(store.keys.podDictionary(uid), store.keys.podDictionaryOf(uid));
    await scratch.redis.hset(key, 'd', uid);
    const legacy = new JobStore(scratch.redis, store.keys.pod('d', 'n').slice(0, -':pod:d:n'.length)); // a process that never read the dictionary
    expect((await legacy.getPod('default', 'j-short'))?.pod).toStrictEqual(read?.pod);
  });

  it("compresses the finished statuses of a Job of many pods with the Job's status sample: smaller, read back the same by any process, gone with the Job's dictionary", async () => {
    const big: Job = { ...job, metadata: { ...job.metadata, name: 'big', uid: randomUUID() }, spec: { ...job.spec, completions: 100 } };
    const uid = big.metadata.uid ?? '';
    const image = `docker://sha256:${'ab12'.repeat(16)}`;
    const finished = (i: number): PodStatus => {
      const s = succeeded();
      const cid = `docker://${randomUUID().replaceAll('-', '')}${randomUUID().replaceAll('-', '')}`;
      const c = s.containerStatuses?.[0];
      return { ...s, hostIP: '192.0.2.7', podIP: `172.17.0.${i}`, containerStatuses: c ? [{ ...c, imageID: image, containerID: cid, state: { terminated: { ...c.state.terminated, exitCode: 0, containerID: cid } } }] : [] };
    };
    const storedOf = async (j: Job, name: string, i: number) => {
      const pod = newPodForJob(j, { name, uid: randomUUID(), now: Date.now() });
      const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
      const created = await store.commit([await store.podPutOp(store.keys.pod('default', name), '', claimed)]);
      const ended: Pod = { ...claimed, status: finished(i) };
      const done = await store.reportPodStatus({ ns: 'default', name, rv: created.ok ? (created.rvs[0] ?? '') : '', pod: ended, node: NODE });
      expect(done.ok).toBe(true);
      return { pod: ended, obj: (await scratch.redis.hget(store.keys.pod('default', name), 'obj')) ?? '' };
    };
    await scratch.redis.set(store.keys.podDictionary(uid), jobPodDictionary(big));
    const sampledPods = [];
    for (let i = 0; i < 5; i++) sampledPods.push(await storedOf(big, `big-${i}`, i));
    // Of the small Job (one completion): no sample.
    const plain = await storedOf(job, 'j-plain', 9);
    expect(plain.obj.split('\n')[1]?.startsWith('~')).toBe(false);
    expect(await scratch.redis.exists(store.keys.podStatusSample(podDictionaryId(job.metadata.uid ?? '')))).toBe(0);
    for (const { obj } of sampledPods) expect(obj.split('\n')[1]?.startsWith('~')).toBe(true);
    // The sample is the first finished status; the later ones are much smaller than without it.
    expect(JSON.parse((await scratch.redis.get(store.keys.podStatusSample(podDictionaryId(uid)))) ?? '{}')).toMatchObject({ podIP: '172.17.0.0' });
    const later = sampledPods.slice(1).map(({ obj }) => (obj.split('\n')[1] ?? '').length);
    const unsampled = (plain.obj.split('\n')[1] ?? '').length;
    for (const length of later) expect(length).toBeLessThan(unsampled * 0.75);
    // Read back whole, by a process that never saw the sample.
    const fresh = new JobStore(scratch.redis, store.keys.pod('d', 'n').slice(0, -':pod:d:n'.length));
    for (const [i, { pod }] of sampledPods.entries()) expect((await fresh.getPod('default', `big-${i}`))?.pod.status).toStrictEqual(pod.status);
    // Without its sample (the Job deleted meanwhile) a sampled status is not read: as without its dictionary.
    await scratch.redis.del(store.keys.podStatusSample(podDictionaryId(uid)));
    const other = new JobStore(scratch.redis, store.keys.pod('d', 'n').slice(0, -':pod:d:n'.length));
    expect(await other.getPod('default', 'big-1')).toBeUndefined();
  });

  it("neither offers nor asks for a sample with a finished status past 2 KiB: no call more than the report's, compressed with the dictionary alone", async () => {
    const big: Job = { ...job, metadata: { ...job.metadata, name: 'long', uid: randomUUID() }, spec: { ...job.spec, completions: 100 } };
    const uid = big.metadata.uid ?? '';
    await scratch.redis.set(store.keys.podDictionary(uid), jobPodDictionary(big));
    const long = async (name: string) => {
      const pod = newPodForJob(big, { name, uid: randomUUID(), now: Date.now() });
      const claimed: Pod = { ...pod, spec: { ...pod.spec, nodeName: NODE } };
      const created = await store.commit([await store.podPutOp(store.keys.pod('default', name), '', claimed)]);
      // A termination message of 3 KiB (the container's termination log may hold 4).
      const status: PodStatus = { ...succeeded(), message: randomUUID().repeat(90) };
      const calls = await evalCalls();
      expect((await store.reportPodStatus({ ns: 'default', name, rv: created.ok ? (created.rvs[0] ?? '') : '', pod: { ...claimed, status }, node: NODE })).ok).toBe(true);
      expect(await evalCalls()).toBe(calls + 1);
      expect((await scratch.redis.hget(store.keys.pod('default', name), 'obj'))?.split('\n')[1]?.startsWith('~')).toBe(false);
      expect((await store.getPod('default', name))?.pod.status).toStrictEqual(status);
    };
    await long('long-1');
    await long('long-2');
    expect(await scratch.redis.exists(store.keys.podStatusSample(podDictionaryId(uid)))).toBe(0);
  });

  it('archives the log when the status cannot be written alone (the Job’s dictionary is gone: the worker then writes the whole pod)', async () => {
    const { pod, rv } = await createPod('j-whole');
    await scratch.redis.del(store.keys.podDictionary(job.metadata.uid ?? ''));
    // Another process, which never read the dictionary: its status cannot be compressed.
    const fresh = new JobStore(scratch.redis, store.keys.pod('d', 'n').slice(0, -':pod:d:n'.length));
    const result = await fresh.reportPodStatus({ ns: 'default', name: 'j-whole', rv, pod: { ...pod, status: succeeded() }, node: NODE, log: finishOf(pod, 'whole\n') });
    expect(result).toStrictEqual({ ok: false, reason: 'whole' });
    expect((await fresh.logs.read('default', 'j-whole')).map((c) => c.data)).toStrictEqual(['whole\n']);
  });
});
