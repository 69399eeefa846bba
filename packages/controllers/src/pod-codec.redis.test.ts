/** Pods compressed with their Job's dictionary: small in Redis, read back unchanged. */
import { describe, expect, it } from 'vitest';
import { newPodForJob, parseJob, type Job } from '@jobfleet/kube';
import { createJob } from './index.js';
import { scratchCluster } from './test-cluster.js';

const scratch = scratchCluster();

const manifest = (name: string): Job =>
  parseJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['echo', 'hi'] }] } } } });

describe('PodCodec', () => {
  it('stores a pod of a Job in a few dozen bytes and reads it back equal, with its resourceVersion', async () => {
    const job = await createJob(scratch.store, scratch.cluster.controller, manifest('small'), 'default');
    const pod = newPodForJob(job, { name: 'small-abcde', uid: '11111111-2222-3333-4444-555555555555', now: Date.now() });
    const result = await scratch.store.commit([await scratch.store.podPutOp(scratch.store.keys.pod('default', 'small-abcde'), '', pod)]);
    expect(result.ok).toBe(true);
    const stored = await scratch.redis.hget(scratch.store.keys.pod('default', 'small-abcde'), 'obj');
    expect(stored?.startsWith('Z1:')).toBe(true);
    expect(stored?.length).toBeLessThan(JSON.stringify(pod).length / 5);
    const read = await scratch.store.getPod('default', 'small-abcde');
    const rv = result.ok ? result.rvs[0] : '';
    expect(read?.pod).toStrictEqual({ ...pod, metadata: { resourceVersion: rv, ...pod.metadata } });
  });

  it('writes plain JSON for a pod whose Job has no dictionary', async () => {
    const job = { ...manifest('orphan'), metadata: { name: 'orphan', namespace: 'default', uid: 'no-such-job' } };
    const pod = newPodForJob(job, { name: 'orphan-abcde', uid: 'u', now: 0 });
    await scratch.store.commit([await scratch.store.podPutOp(scratch.store.keys.pod('default', 'orphan-abcde'), '', pod)]);
    expect((await scratch.redis.hget(scratch.store.keys.pod('default', 'orphan-abcde'), 'obj'))?.startsWith('{')).toBe(true);
    expect((await scratch.store.getPod('default', 'orphan-abcde'))?.pod.metadata.name).toBe('orphan-abcde');
  });
});
