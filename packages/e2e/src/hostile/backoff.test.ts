/**
 * Pods that never start back off like any failed pod (issue 10, finding 4): a Job whose image is
 * missing and whose backoffLimit is huge used to create thousands of failed pods a minute, since
 * the re-creation delay was computed from a container finish time such a pod does not have.
 * Real API, worker, Redis and Docker; only the base delay is shortened.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from '../harness.js';

/** The delays this file's fleet runs with (read by every role when it starts). */
const BASE_MS = 2_000;
const MAX_MS = 60_000;
/** How long pods are counted. */
const WINDOW_MS = 12_000;
/**
 * A failed pod's time is a whole second (Kubernetes' timestamps), rounded down: a wait can end
 * up to one second early.
 */
const ROUNDING_MS = 1_000;

/** The most pods a Job can create in `window` if the n-th wait lasts at least base·2^(n-1) − rounding. */
function mostPodsWithin(window: number, base: number, max: number, rounding: number): number {
  let pods = 1;
  let elapsed = 0;
  for (let n = 1; ; n++) {
    elapsed += Math.max(0, Math.min(base * 2 ** (n - 1), max) - rounding);
    if (elapsed > window) return pods;
    pods++;
  }
}

function missingImageJob(name: string): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 100_000,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'jobfleet-test/never-pulled:v1' }] } },
    },
  } as Job;
}

describe('re-creation backoff of pods that never start', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    process.env.JOBFLEET_POD_BACKOFF_BASE_MS = String(BASE_MS);
    process.env.JOBFLEET_POD_BACKOFF_MAX_MS = String(MAX_MS);
    fleet = await startFleet({ workers: 1 });
  });
  afterAll(async () => {
    await fleet?.close();
  });

  it('creates about log2(window/base) pods for a missing image, not one per failure', async () => {
    const name = uniqueName('noimage');
    await fleet.client.createJob(missingImageJob(name));
    const started = Date.now();
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const pods = await fleet.client.listPods({ jobName: name });
    const elapsed = Date.now() - started;
    const bound = mostPodsWithin(elapsed, BASE_MS, MAX_MS, ROUNDING_MS);
    const reasons = new Set(pods.map((p) => p.status.containerStatuses?.[0]?.state.waiting?.reason ?? p.status.reason));
    console.log(`backoff: ${pods.length} pods in ${elapsed} ms (bound ${bound}; without backoff: thousands); reasons ${[...reasons].join(',')}`);
    expect(reasons.has('ErrImageNeverPull')).toBe(true);
    expect(pods.length).toBeLessThanOrEqual(bound);
    // The delayed sync that fires when a wait ends does create the next pod.
    expect(pods.length).toBeGreaterThanOrEqual(2);
    const job = await fleet.client.getJob(name);
    expect(job.status?.failed ?? 0).toBeGreaterThanOrEqual(pods.length - 1);
    await fleet.client.deleteJob(name);
  });
});
