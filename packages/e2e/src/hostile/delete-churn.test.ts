/**
 * A DELETE always wins (issue 10, finding 4): deleting a Job whose pods fail or succeed as fast as
 * the fleet can run them used to answer 500 ("kept conflicting with other writes"), since the
 * deletion was a compare-and-set of the Job and every pod, retried while the controller and the
 * workers kept writing. Real API, two workers, Redis and Docker; re-creation backoff is off so
 * that the controller replaces failed pods as fast as it can.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { DockerEngine, LABELS } from '@jobfleet/worker';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { startRoleProcess, type RoleProcess } from '../processes.js';
import { eventually } from '../timing.js';

const docker = new DockerEngine();

function churningJob(name: string, image: string, script: string, parallelism: number): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      parallelism,
      completions: 100_000,
      backoffLimit: 1_000_000,
      template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image, command: ['sh', '-c', script] }] } },
    },
  } as Job;
}

describe('DELETE during churn', () => {
  let fleet: Fleet;
  const workers: RoleProcess[] = [];
  beforeAll(async () => {
    process.env.JOBFLEET_POD_BACKOFF_BASE_MS = '0';
    process.env.JOBFLEET_POD_BACKOFF_MAX_MS = '0';
    fleet = await startFleet({ workers: 0 });
    // Workers in their own processes, so that their writes really run while the API deletes.
    for (let i = 0; i < 2; i++) {
      const nodeName = `${fleet.prefix}-churn-${i}`;
      workers.push(await startRoleProcess('worker', { redisUrl: fleet.redisUrl, prefix: fleet.prefix, nodeName, maxPods: 24, heartbeatMs: 500, drainTimeoutMs: 2_000 }));
    }
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.kill('SIGTERM')));
    await fleet?.close();
  });

  /** One DELETE, raw: the client must not hide a retry. */
  async function deleteOnce(name: string): Promise<{ status: number; body: string; ms: number }> {
    const started = Date.now();
    const res = await fetch(`${fleet.api.url}/apis/batch/v1/namespaces/default/jobs/${name}`, {
      method: 'DELETE',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' }),
    });
    return { status: res.status, body: await res.text(), ms: Date.now() - started };
  }

  const cases = [
    // Pods that never start: the fastest churn there is (every failure is replaced at once).
    { what: 'never-starting pods', image: 'jobfleet-test/never-pulled:v1', script: 'true', parallelism: 48, minPods: 1000, rounds: 3 },
    // Containers that fail or succeed at random, as fast as Docker runs them.
    { what: 'fast-failing and fast-succeeding containers', image: 'busybox:latest', script: 'echo run; exit $((RANDOM % 2))', parallelism: 8, minPods: 8, rounds: 2 },
  ];

  for (const c of cases) {
    it(`succeeds on the first try, every time, for a Job of ${c.what}`, async () => {
      for (let round = 0; round < c.rounds; round++) {
        const name = uniqueName('churn');
        await fleet.client.createJob(churningJob(name, c.image, c.script, c.parallelism));
        // Churn: many pods created, finished and replaced, many writes to the Job and its pods.
        await eventually(async () => ((await fleet.client.getJob(name)).status?.failed ?? 0) + ((await fleet.client.getJob(name)).status?.succeeded ?? 0) >= c.minPods, 90_000, `${c.minPods} finished pods`);
        const res = await deleteOnce(name);
        console.log(`${c.what}, round ${round}: DELETE ${res.status} in ${res.ms} ms`);
        expect(res.status, res.body).toBe(200);
        expect(JSON.parse(res.body)).toMatchObject({ kind: 'Status', status: 'Success', details: { name } });
        // Gone at once for readers, and its pods (in the background past 2 s) and containers follow.
        await expect(fleet.client.getJob(name)).rejects.toMatchObject({ code: 404 });
        await eventually(async () => (await fleet.client.listPods({ labelSelector: `job-name=${name}` })).length === 0, 30_000, 'the pods of the deleted Job to go');
        await eventually(async () => (await docker.listManaged({ [LABELS.job]: name })).length === 0, 30_000, 'the containers of the deleted Job to go');
      }
    });
  }
});
