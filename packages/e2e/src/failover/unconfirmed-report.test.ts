/**
 * A worker's status report whose answer is lost in a failover: with `--redis-wait-replicas`, a write
 * whose confirmation by a replica was cut off answers NOREPLICAS whether or not it landed (see
 * JobStore.durable), and the worker makes the report again (untilStoreAnswers). A report carrying the
 * kubelet's events (Pulled, Created, Started) that had landed must not record them twice: the report
 * is made again under the same write id, and the store answers it as the write that landed. Fault
 * injected at the store's putNodePod (the one fake here, named so): the first report with events is
 * written, then answered NOREPLICAS.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { eventsCountedTwice, podEventCounts } from '../diagnostics.js';
import { useFleet, uniqueName, type Fleet } from '../harness.js';
import { NOREPLICAS, workerStore } from './lost-answers.js';

let fleet: Fleet;
useFleet({ workers: 1, maxPods: 2 }, (f) => {
  fleet = f;
});

describe('a status report Redis did not confirm', () => {
  it('is made again without recording its events twice', async () => {
    // Fault injection: the worker's own store answers its first report with events NOREPLICAS, after writing it.
    const store = workerStore(fleet);
    const put = store.putNodePod.bind(store);
    const faults: string[] = [];
    store.putNodePod = async (expect, pod, node, opts = {}) => {
      const result = await put(expect, pod, node, opts);
      if (faults.length === 0 && result.ok && (opts.events?.length ?? 0) > 0) {
        faults.push(`lost after: ${pod.metadata.name} (${opts.events?.map((e) => e.event.reason).join(', ')})`);
        throw new Error(NOREPLICAS);
      }
      return result;
    };
    try {
      const name = uniqueName('unconfirmed-report');
      const job: Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name },
        spec: { completions: 1, backoffLimit: 0, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo ran'] }] } } },
      } as Job;
      await fleet.client.createJob(job);
      const done = await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
      expect(faults).toHaveLength(1);
      expect(done.status?.succeeded).toBe(1);
      const [pod] = await fleet.client.listPods({ jobName: name });
      // Each of the kubelet's events once, counted once (the lost report's among them).
      expect(await podEventCounts(fleet.client, name)).toContain(`${pod?.metadata.name} Started ×1`);
      expect(await eventsCountedTwice(fleet.client, name)).toStrictEqual([]);
    } finally {
      store.putNodePod = put;
    }
  }, 90_000);
});
