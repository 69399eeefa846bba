/**
 * What a failover does to a write whose reply is lost: the primary ran the script, the connection died
 * before the reply came back, and ioredis sends the command again once reconnected
 * (`autoResendUnfulfilledCommands`, on by default). Through a TCP proxy that drops the connection
 * instead of passing one reply on (a boundary fake of a primary dying between its write and its answer),
 * against a real redis-server: the replayed script must not apply the write twice, and must answer as
 * the first run did (each transition call carries a write id that the script keeps beside what it wrote).
 */
import { randomUUID } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newPodForJob, parseJob, podDictionary, type Job, type Pod, type PodStatus } from '@jobfleet/kube';
import { newRedis } from './cluster.js';
import { startScratchRedis, type EmbeddedRedis } from './embedded-redis.js';
import type { EventRecord } from './events.js';
import { JobStore, putOp } from './store.js';
import { insertJob } from './transitions.js';

let server: EmbeddedRedis;
let proxy: Server;
let proxyPort = 0;
/** Set: the next chunk from Redis is not passed on; the connection is cut instead. */
let dropNextReply = false;
let replyDropped = false;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = await startScratchRedis();
  proxy = createServer((client) => {
    const upstream = connect(server.port, '127.0.0.1');
    sockets.add(client).add(upstream);
    client.on('data', (d) => upstream.write(d));
    upstream.on('data', (d) => {
      if (!dropNextReply) return void client.write(d);
      dropNextReply = false;
      replyDropped = true;
      client.destroy();
      upstream.destroy();
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close).on('close', close);
    upstream.on('error', close).on('close', close);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const address = proxy.address();
  proxyPort = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  proxy?.close();
  await server?.stop();
});

function pod(name: string): Pod {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } };
}

function newJob(name: string): Job {
  const manifest = parseJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });
  return { ...manifest, metadata: { ...manifest.metadata, namespace: 'default', uid: randomUUID() } };
}

const NODE = 'node-r';
const running = (): PodStatus => ({ phase: 'Running', startTime: '2026-01-01T00:00:00Z', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', containerID: 'x://1', ready: true, started: true, restartCount: 0, state: { running: { startedAt: '2026-01-01T00:00:00Z' } }, lastState: {} }] });

describe('a write whose reply is lost, replayed by the client after it reconnects', () => {
  let redis: Redis;
  let direct: Redis;
  let store: JobStore;
  let job: Job;
  beforeAll(async () => {
    redis = newRedis(`redis://127.0.0.1:${proxyPort}`); // a worker's connection: it waits and retries
    direct = newRedis(server.url);
    store = new JobStore(redis, `r${randomUUID().slice(0, 8)}`);
    job = newJob('j');
    await direct.set(store.keys.podDictionary(job.metadata.uid ?? ''), podDictionary(job));
    await store.commit([putOp(store.keys.pod('default', 'warm-up'), '', pod('warm-up'))]); // the script is loaded: no NOSCRIPT round
  });
  afterAll(() => {
    redis?.disconnect();
    direct?.disconnect();
  });

  /** Runs `write` with the reply of its first script call cut; what it answered, and how far the rv counter and the change stream moved. */
  async function cut<T>(write: () => Promise<T>): Promise<{ result: T; rvBefore: number; rvs: number; changes: number }> {
    const rvBefore = Number(await direct.get(store.keys.rv));
    const changesBefore = await direct.xlen(store.keys.changes);
    replyDropped = false;
    dropNextReply = true;
    const result = await write();
    expect(replyDropped).toBe(true);
    return { result, rvBefore, rvs: Number(await direct.get(store.keys.rv)) - rvBefore, changes: (await direct.xlen(store.keys.changes)) - changesBefore };
  }

  /** A pod of the Job as the controller writes it, Pending; with `nodeName`, as its claim left it (compressed with the Job's dictionary). */
  async function pendingPod(name: string, nodeName?: string): Promise<{ pod: Pod; rv: string }> {
    const created = newPodForJob(job, { name, uid: randomUUID(), now: Date.now() });
    const p = nodeName ? { ...created, spec: { ...created.spec, nodeName } } : created;
    const result = await store.commit([await store.podPutOp(store.keys.pod('default', name), '', p)]);
    if (!result.ok) throw new Error('create failed');
    return { pod: p, rv: result.rvs[0] ?? '' };
  }

  it('a commit is applied once and answered as the first run: its resourceVersions, one change each', async () => {
    const { result, rvBefore, rvs, changes } = await cut(() => store.commit([putOp(store.keys.pod('default', 'a'), '', pod('a')), putOp(store.keys.pod('default', 'b'), '', pod('b'))]));
    expect(result).toEqual({ ok: true, rvs: [String(rvBefore + 1), String(rvBefore + 2)] });
    expect([rvs, changes]).toEqual([2, 2]);
    expect((await store.getPod('default', 'b'))?.rv).toBe(String(rvBefore + 2));
    // The write id is kept beside the object, not in it: reads show the object as before.
    expect((await store.getPod('default', 'a'))?.pod.metadata).toEqual({ name: 'a', namespace: 'default', resourceVersion: String(rvBefore + 1) });
  });

  it('an unconditional put (expect "*") is not written a second time', async () => {
    const { result, rvBefore, rvs, changes } = await cut(() => store.commit([{ op: 'sadd', key: store.keys.namespaces, member: 'x' }, putOp(store.keys.pod('default', 'a'), '*', pod('a'))]));
    expect(result).toEqual({ ok: true, rvs: [String(rvBefore + 1)] });
    expect([rvs, changes]).toEqual([1, 1]);
  });

  it("a Job's creation answers created (not 409 for the Job it created), with its resourceVersion", async () => {
    const created = newJob('created');
    const { result, rvBefore, rvs, changes } = await cut(() => insertJob(store, created));
    expect(result).toEqual({ ok: true, rvs: [String(rvBefore + 1)] });
    expect([rvs, changes]).toEqual([1, 1]);
    expect((await store.getJob('default', 'created'))?.job.metadata.uid).toBe(created.metadata.uid);
    // A second creation of that name (another write id) is still refused.
    expect((await insertJob(store, newJob('created'))).ok).toBe(false);
  });

  it("a Job's creation on the API's connection (fail fast: one retry, no offline queue) answers created too", async () => {
    const api = newRedis(`redis://127.0.0.1:${proxyPort}`, { maxRetriesPerRequest: 1, enableOfflineQueue: false });
    try {
      const apiStore = new JobStore(api, store.keys.rv.slice(0, -':rv'.length));
      await new Promise((resolve) => api.once('ready', resolve)); // no offline queue: commands only once connected
      await apiStore.commit([putOp(store.keys.pod('default', 'api-warm-up'), '', pod('api-warm-up'))]);
      const { result, rvBefore, rvs } = await cut(() => insertJob(apiStore, newJob('via-api')));
      expect(result).toEqual({ ok: true, rvs: [String(rvBefore + 1)] });
      expect(rvs).toBe(1);
    } finally {
      api.disconnect();
    }
  });

  it("a worker's claim answers claimed with the pod's resourceVersion (not lost): pod, node set and Scheduled event written once", async () => {
    const { pod: p, rv } = await pendingPod('j-claim');
    const claimed: Pod = { ...p, spec: { ...p.spec, nodeName: NODE } };
    const event: EventRecord = { about: claimed, jobUid: job.metadata.uid ?? '', event: { type: 'Normal', reason: 'Scheduled', message: `Successfully assigned default/j-claim to ${NODE}` }, at: Date.now(), source: { component: 'default-scheduler' }, details: { name: 'j-claim.1' } };
    const { result, rvBefore, rvs, changes } = await cut(() => store.claimPod({ ns: 'default', name: 'j-claim', rv, pod: claimed, node: NODE, leaseToken: 'lease-r', event }));
    expect(result).toEqual({ ok: true, rv: String(rvBefore + 1) });
    expect([rvs, changes]).toEqual([2, 2]); // the pod and its event
    expect((await store.getPod('default', 'j-claim'))?.rv).toBe(String(rvBefore + 1));
    expect(await direct.zrange(store.keys.events('default'), 0, -1)).toEqual(['j-claim.1']);
    // A claim of the pod from the rv it had before, by another call, is still refused.
    expect(await store.claimPod({ ns: 'default', name: 'j-claim', rv, pod: claimed, node: NODE, leaseToken: 'lease-r' })).toEqual({ ok: false });
  });

  it('a status report answers written with its resourceVersion (not a conflict); of a batch, each pod as the first run', async () => {
    const reported = await pendingPod('j-report', NODE);
    const stale = await pendingPod('j-stale', NODE);
    await store.commit([putOp(store.keys.pod('default', 'j-stale'), stale.rv, { ...stale.pod, status: running() })]); // its report below is based on an old rv
    const { result, rvBefore, rvs, changes } = await cut(() =>
      Promise.all([
        store.reportPodStatus({ ns: 'default', name: 'j-report', rv: reported.rv, pod: { ...reported.pod, status: running() }, node: NODE }),
        store.reportPodStatus({ ns: 'default', name: 'j-stale', rv: stale.rv, pod: { ...stale.pod, status: running() }, node: NODE }),
      ]),
    );
    expect(result).toEqual([{ ok: true, rv: String(rvBefore + 1) }, { ok: false, reason: 'conflict' }]);
    expect([rvs, changes]).toEqual([1, 1]);
    expect((await store.getPod('default', 'j-report'))?.pod.status.phase).toBe('Running');
  });

  it('a log append is not appended twice, and answers what it stored', async () => {
    const p = await pendingPod('j-log');
    const target = { ns: 'default', name: 'j-log', podUid: p.pod.metadata.uid ?? '', jobUid: job.metadata.uid ?? '' };
    const limits = { podMaxBytes: 64 * 1024, jobMaxBytes: 1024 * 1024 };
    const { result } = await cut(() => store.logs.write(target, limits, [{ container: 'c', stream: 'stdout', time: 1, data: Buffer.from('once\n') }]));
    expect(result).toEqual({ status: 'ok', stored: 1, droppedBytes: 0 });
    expect((await store.logs.read('default', 'j-log')).map((c) => c.data)).toEqual(['once\n']);
    // The next append and the archive go on as usual, and the write id leaves the pod's hash with the archive.
    await store.logs.write(target, limits, [{ container: 'c', stream: 'stdout', time: 2, data: Buffer.from('twice\n') }], true);
    expect((await store.logs.read('default', 'j-log')).map((c) => c.data)).toEqual(['once\n', 'twice\n']);
    expect(await direct.hexists(store.keys.pod('default', 'j-log'), 'lw')).toBe(0);
  });
});
