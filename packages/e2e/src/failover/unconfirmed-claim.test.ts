/**
 * A worker's claim whose answer is lost in a failover: with `--redis-wait-replicas`, a claim whose
 * confirmation by a replica was cut off answers NOREPLICAS whether or not it landed (see
 * JobStore.durable). Fault injected at the store's claimPod (the one fake here, named so): the first
 * claim fails before it is written, the second after. The worker makes each again under its write id
 * (writeClaimSurely): the one that landed answers as it did, the other is made then; both pods run
 * once. One that landed and was not run would be ended by the sweep as Orphaned (Failed), and with
 * backoffLimit 0 the Job would fail; one whose Scheduled event was written twice would count 2.
 */
import { describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { eventsCountedTwice, podEventCounts } from '../diagnostics.js';
import { useFleet, uniqueName, type Fleet } from '../harness.js';
import { NOREPLICAS, workerStore } from './lost-answers.js';

let fleet: Fleet;
useFleet({ workers: 1, maxPods: 4 }, (f) => {
  fleet = f;
});

describe('a claim Redis did not confirm', () => {
  it('is made again under its write id: each pod runs once, none is failed, each Scheduled once', async () => {
    // Fault injection: the worker's own store answers its first two claims with NOREPLICAS.
    const store = workerStore(fleet);
    const claim = store.claimPod.bind(store);
    const faults: string[] = [];
    store.claimPod = async (args) => {
      if (faults.length === 0) {
        faults.push(`lost before: ${args.name}`);
        throw new Error(NOREPLICAS);
      }
      const result = await claim(args);
      if (faults.length === 1 && result.ok) {
        faults.push(`lost after: ${args.name}`);
        throw new Error(NOREPLICAS);
      }
      return result;
    };
    try {
      const name = uniqueName('unconfirmed-claim');
      const job: Job = {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name },
        spec: { completions: 2, parallelism: 2, backoffLimit: 0, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo ran'] }] } } },
      } as Job;
      await fleet.client.createJob(job);
      const done = await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
      expect(faults).toHaveLength(2);
      expect(done.status?.succeeded).toBe(2);
      expect(done.status?.failed ?? 0).toBe(0);
      const pods = await fleet.client.listPods({ jobName: name });
      expect(pods.map((p) => p.status.phase)).toStrictEqual(['Succeeded', 'Succeeded']);
      // Each ran once: one container each, and its one line of output.
      for (const pod of pods) {
        expect(pod.status.containerStatuses?.[0]?.restartCount).toBe(0);
        expect(await fleet.client.logs(pod.metadata.name ?? '')).toBe('ran\n');
        expect(await podEventCounts(fleet.client, name)).toContain(`${pod.metadata.name} Scheduled ×1`);
      }
      expect(await eventsCountedTwice(fleet.client, name)).toStrictEqual([]);
    } finally {
      store.claimPod = claim;
    }
  }, 90_000);
});
