/** Pods compressed with their Job's dictionary: small in Redis, read back unchanged. */
import { describe, expect, it } from 'vitest';
import { newPodForJob, parseJob, type Job } from '@jobfleet/kube';
import { encodeObject } from '@jobfleet/store';
import { createJob } from './index.js';
import { scratchCluster } from './test-cluster.js';

const scratch = scratchCluster();

const manifest = (name: string): Job =>
  parseJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['echo', 'hi'] }] } } } });

describe('PodCodec', () => {
  it("stores a pod of a Job's metadata and spec in a few dozen bytes and reads it back equal, with its resourceVersion", async () => {
    const job = await createJob(scratch.store, scratch.cluster.controller, manifest('small'), 'default');
    const pending = newPodForJob(job, { name: 'small-abcde', uid: '11111111-2222-3333-4444-555555555555', now: Date.now() });
    // Compressed once a node has it: until then it is written again whole at its claim.
    const pod = { ...pending, spec: { ...pending.spec, nodeName: 'node-a' } };
    const result = await scratch.store.commit([await scratch.store.podPutOp(scratch.store.keys.pod('default', 'small-abcde'), '', pod)]);
    expect(result.ok).toBe(true);
    const stored = await scratch.redis.hget(scratch.store.keys.pod('default', 'small-abcde'), 'obj');
    expect(stored?.startsWith('Z1:')).toBe(true);
    const { status: _status, ...body } = pod;
    expect(stored?.split('\n')[0]?.length).toBeLessThan(JSON.stringify(body).length / 5);
    const read = await scratch.store.getPod('default', 'small-abcde');
    const rv = result.ok ? result.rvs[0] : '';
    expect(read?.pod).toStrictEqual({ ...pod, metadata: { resourceVersion: rv, ...pod.metadata } });
  });

  it("keeps a pod's status as JSON until the pod ends, then compressed; each reads back equal", async () => {
    const job = await createJob(scratch.store, scratch.cluster.controller, manifest('phases'), 'default');
    const pending = newPodForJob(job, { name: 'phases-abcde', uid: '11111111-2222-3333-4444-666666666666', now: Date.now() });
    const key = scratch.store.keys.pod('default', 'phases-abcde');
    // A pod waiting for a node is JSON whole (written again whole when a node claims it).
    const created = await scratch.store.commit([await scratch.store.podPutOp(key, '', pending)]);
    if (!created.ok) throw new Error('write refused');
    expect(await scratch.redis.hget(key, 'obj')).toBe(encodeObject(pending).replace('"__RV__"', `"${created.rvs[0]}"`));
    expect((await scratch.store.getPod('default', 'phases-abcde'))?.pod).toStrictEqual({ ...pending, metadata: { resourceVersion: created.rvs[0], ...pending.metadata } });
    const pod = { ...pending, spec: { ...pending.spec, nodeName: 'node-a' } };
    const statusPart = async () => ((await scratch.redis.hget(key, 'obj')) ?? '').split('\n')[1] ?? '';
    const running = { ...pod, status: { phase: 'Running', hostIP: '10.0.0.1', containerStatuses: [{ name: 'c', image: 'busybox', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: '2026-11-30T10:00:00Z' } } }] } } as typeof pod;
    // A client's status may hold the placeholder the write scripts replace: that one is compressed, out of their sight.
    const hostile = { ...running, status: { ...running.status, message: '__RV__', reason: '"resourceVersion":"1"' } } as typeof pod;
    const succeeded = { ...pod, status: { ...running.status, phase: 'Succeeded' } } as typeof pod;
    let rv = created.rvs[0] ?? '';
    for (const [version, plain] of [[pod, true], [running, true], [hostile, false], [succeeded, false]] as const) {
      const result = await scratch.store.commit([await scratch.store.podPutOp(key, rv, version)]);
      if (!result.ok) throw new Error('write refused');
      rv = result.rvs[0] ?? '';
      expect((await statusPart()).startsWith('{'), version.status.phase).toBe(plain);
      expect((await scratch.store.getPod('default', 'phases-abcde'))?.pod).toStrictEqual({ ...version, metadata: { resourceVersion: rv, ...version.metadata } });
    }
    // Its JSON while pending made its hash a hash table; ended, it is written anew, compact.
    expect(await scratch.redis.object('ENCODING', key)).toBe('listpack');
  });

  it('writes plain JSON for a pod whose Job has no dictionary', async () => {
    const job = { ...manifest('orphan'), metadata: { name: 'orphan', namespace: 'default', uid: 'no-such-job' } };
    const pod = newPodForJob(job, { name: 'orphan-abcde', uid: 'u', now: 0 });
    await scratch.store.commit([await scratch.store.podPutOp(scratch.store.keys.pod('default', 'orphan-abcde'), '', pod)]);
    expect((await scratch.redis.hget(scratch.store.keys.pod('default', 'orphan-abcde'), 'obj'))?.startsWith('{')).toBe(true);
    expect((await scratch.store.getPod('default', 'orphan-abcde'))?.pod.metadata.name).toBe('orphan-abcde');
  });
});
