/** What the node monitor tells users about a lost node: a Warning NodeNotReady event on each of its pods (once), and a log line each way. */
import { PassThrough } from 'node:stream';
import { k8sTime, type Pod } from '@jobfleet/kube';
import { getEventsJson } from '@jobfleet/store';
import { defaultedJob as newJob } from '@jobfleet/testing';
import { describe, expect, it } from 'vitest';
import { createJob } from './jobs.js';
import { createLogger } from './logger.js';
import { NodeMonitor } from './node-monitor.js';
import { scratchCluster } from './test-cluster.js';

const NS = 'default';
const scratch = scratchCluster();

describe('the node monitor tells what it does', () => {
  it('a lost node: NodeNotReady on its pod once, a warn line once, an info line when it is back', async () => {
    const { store, controller } = scratch.newCluster();
    const job = await createJob(store, controller, newJob('silent-node'), NS);
    const [name = ''] = await store.podNamesOfJob(job.metadata.uid ?? '');
    const stored = await store.getPod(NS, name);
    const running: Pod = { ...stored!.pod, spec: { ...stored!.pod.spec, nodeName: 'quiet-node' }, status: { phase: 'Running', startTime: k8sTime(Date.now()) } };
    expect((await store.putNodePod(stored!.rv, running, 'quiet-node')).ok).toBe(true);
    await scratch.redis.sadd(store.keys.nodePods('quiet-node'), `${NS}/${name}`); // as the worker's claim does
    const now = await store.now();
    await scratch.redis.hset(store.keys.nodes, 'quiet-node', JSON.stringify({ name: 'quiet-node', heartbeat: now - 60_000 }));

    const out = new PassThrough();
    let text = '';
    out.on('data', (d: Buffer) => (text += d.toString()));
    const monitor = new NodeMonitor(store, controller, { graceMs: 40_000, evictionMs: 300_000 }, createLogger({ format: 'json', destination: out }));
    Reflect.set(monitor, 'connectedSince', now - 50_000); // it has seen Redis for longer than the grace period
    await monitor.check();
    await monitor.check(); // still lost: nothing more

    const eventNames = await scratch.redis.smembers(store.keys.jobEvents(job.metadata.uid ?? ''));
    const events = (await getEventsJson(store, NS, eventNames)).map((raw) => JSON.parse(raw) as { type: string; reason: string; message: string; involvedObject: { kind: string; name: string }; source: { component: string } });
    const notReady = events.filter((e) => e.reason === 'NodeNotReady');
    expect(notReady).toHaveLength(1);
    expect(notReady[0]).toMatchObject({ type: 'Warning', involvedObject: { kind: 'Pod', name }, source: { component: 'node-controller' } });
    expect(notReady[0]?.message).toMatch(/^Node quiet-node is not ready: no heartbeat for 60 s; the pod ends as NodeLost after 300 s unless the node comes back$/);

    const lines = () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; msg: string; node?: string });
    expect(lines().filter((l) => l.node === 'quiet-node')).toEqual([expect.objectContaining({ level: 40, msg: expect.stringContaining('node is not ready: no heartbeat for 60 s') })]);

    await scratch.redis.hset(store.keys.nodes, 'quiet-node', JSON.stringify({ name: 'quiet-node', heartbeat: await store.now() }));
    await monitor.check();
    expect(lines().filter((l) => l.node === 'quiet-node').map((l) => l.level)).toEqual([40, 30]);
  });
});
