/** A backlog of finished pods is counted in steps of at most 500, without creating pods meanwhile. */
import { expect, it } from 'vitest';
import { parseJob } from '@jobfleet/kube';
import { createJob } from './index.js';
import { scratchCluster } from './test-cluster.js';

const scratch = scratchCluster();

it('counts 1,000 finished pods exactly once, in bounded steps, creating no pod past completions', async () => {
  const manifest = parseJob({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'backlog' },
    spec: { completions: 1000, parallelism: 1000, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } },
  });
  const job = await createJob(scratch.store, scratch.cluster.controller, manifest, 'default');
  await scratch.cluster.controller.syncJob('default', 'backlog'); // creation is capped at 500 per sync: 1,000 now
  const store = scratch.store;
  expect(await store.podNamesOfJob(job.metadata.uid ?? '')).toHaveLength(1000);
  const finishAll = async () => {
    const pods = await store.getPods('default', await store.podNamesOfJob(job.metadata.uid ?? ''));
    for (const { pod, rv } of pods.filter((p) => p.pod.status.phase === 'Pending')) {
      const done = { ...pod, spec: { ...pod.spec, nodeName: 'n' }, status: { ...pod.status, phase: 'Succeeded' as const } };
      expect((await store.commit([await store.podPutOp(store.keys.pod('default', pod.metadata.name ?? ''), rv, done)])).ok).toBe(true);
    }
  };
  await finishAll(); // 1,000 finished, uncounted: more than one sync counts
  await scratch.cluster.controller.syncJob('default', 'backlog');
  const final = (await store.getJob('default', 'backlog'))?.job;
  expect(final?.status?.succeeded).toBe(1000);
  expect(final?.status?.conditions?.map((c) => c.type)).toEqual(['SuccessCriteriaMet', 'Complete']);
  expect(await store.podNamesOfJob(job.metadata.uid ?? '')).toHaveLength(1000);
  expect(await store.uncountedPodNames(job.metadata.uid ?? '')).toEqual([]);
});
