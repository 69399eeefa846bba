/**
 * The janitor and deletion: TTL after finished, cascading deletion, no orphans. Real Redis and
 * Docker; janitors and workers that must be killed run as separate processes.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { Janitor } from '@jobfleet/janitor';
import { DockerEngine, LABELS } from '@jobfleet/worker';
import { dataKeys, startFleet, uniqueName, type Fleet } from './harness.js';
import { startRoleProcess } from './processes.js';
import { eventually } from './timing.js';

const docker = new DockerEngine();

function shortJob(name: string, spec: Record<string, unknown> = {}, script = 'echo done'): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...spec, template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script] }] } } },
  } as Job;
}

async function isGone(fleet: Fleet, name: string): Promise<true | undefined> {
  return fleet.client.getJob(name).then(
    () => undefined,
    (err: { code?: number }) => (err.code === 404 ? true : undefined),
  );
}

async function finishTime(job: Job): Promise<number> {
  const c = job.status?.conditions?.find((x) => (x.type === 'Complete' || x.type === 'Failed') && x.status === 'True');
  return Date.parse(c?.lastTransitionTime ?? '');
}

describe('TTL after finished', () => {
  let fleet: Fleet;
  let redis: Redis;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1 });
    redis = new Redis(fleet.redisUrl);
  });
  afterAll(async () => {
    redis?.disconnect();
    await fleet?.close();
  });

  const keyCount = async () => (await dataKeys(redis, fleet.prefix, `${fleet.prefix}*`)).length;

  it('keeps a finished Job readable until its TTL, then deletes it with pods, logs, containers and keys', async () => {
    const warmup = uniqueName('warmup');
    await fleet.client.createJob(shortJob(warmup, { ttlSecondsAfterFinished: 0 }));
    await eventually(() => isGone(fleet, warmup), 30_000, 'the warm-up Job to go');
    const baseline = await keyCount();

    const name = uniqueName('ttl');
    await fleet.client.createJob(shortJob(name, { ttlSecondsAfterFinished: 3, completions: 2 }));
    const done = await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
    const finishedAt = await finishTime(done);
    const pods = await fleet.client.listPods({ jobName: name });
    expect(pods).toHaveLength(2);
    expect(await fleet.client.logs(pods[0]?.metadata.name ?? '')).toBe('done\n');
    expect(await isGone(fleet, name)).toBeUndefined();

    await eventually(() => isGone(fleet, name), 30_000, 'the Job to be deleted');
    const goneAfter = Date.now() - finishedAt;
    expect(goneAfter).toBeGreaterThanOrEqual(3_000);
    // On time: a deadline timer, not a periodic scan or never. On an idle machine N+1 s (the condition time is
    // rounded down to the second); the margin is for a loaded CI machine, where this once took 7.9 s.
    expect(goneAfter).toBeLessThan(3_000 + 10_000);
    expect(await fleet.client.listPods({ jobName: name }).catch(() => [])).toEqual([]);
    const podName = pods[0]?.metadata.name ?? '';
    const logStatus = (await fetch(`${fleet.api.url}/api/v1/namespaces/default/pods/${podName}/log`)).status;
    expect(logStatus).toBe(404);
    expect(await docker.listManaged({ [LABELS.job]: name })).toEqual([]);
    expect(await keyCount()).toBe(baseline);
  });

  it('deletes a Job with ttlSecondsAfterFinished 0 right after it finished, and keeps one without TTL', async () => {
    const zero = uniqueName('ttl0');
    const keep = uniqueName('keep');
    await fleet.client.createJob(shortJob(zero, { ttlSecondsAfterFinished: 0 }));
    await fleet.client.createJob(shortJob(keep));
    await eventually(() => isGone(fleet, zero), 10_000, 'the TTL-0 Job to go');
    await fleet.client.waitForCompletion(keep, { timeoutMs: 30_000 });
    await new Promise((r) => setTimeout(r, 1_500));
    expect(await isGone(fleet, keep)).toBeUndefined();
  });
});

describe('janitors', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1, janitor: false });
  });
  afterAll(async () => fleet?.close());

  it('a janitor killed before the deadline loses nothing: its successor deletes on time', async () => {
    const options = { redisUrl: fleet.redisUrl, prefix: fleet.prefix, pollMs: 100 };
    const first = await startRoleProcess('janitor', options);
    const name = uniqueName('crash');
    await fleet.client.createJob(shortJob(name, { ttlSecondsAfterFinished: 4 }));
    const done = await fleet.client.waitForCompletion(name, { timeoutMs: 30_000 });
    await first.kill('SIGKILL');
    await new Promise((r) => setTimeout(r, 1_000));
    const second = await startRoleProcess('janitor', options);
    const secondUp = Date.now();
    try {
      await eventually(() => isGone(fleet, name), 15_000, 'the Job to be deleted by the second janitor');
      const goneAt = Date.now();
      const deadline = (await finishTime(done)) + 4_000;
      // Never before its TTL; and on time: soon after whichever came last, the deadline or the
      // successor being up (a loaded machine can take seconds to start a process, which is no lateness of the janitor's).
      expect(goneAt).toBeGreaterThanOrEqual(deadline);
      expect(goneAt - Math.max(deadline, secondUp)).toBeLessThan(10_000);
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('two janitors at once delete each Job exactly once, without errors', async () => {
    const a = new Janitor({ redisUrl: fleet.redisUrl, prefix: fleet.prefix });
    const b = new Janitor({ redisUrl: fleet.redisUrl, prefix: fleet.prefix });
    const names = Array.from({ length: 4 }, () => uniqueName('pair'));
    for (const name of names) await fleet.client.createJob(shortJob(name, { ttlSecondsAfterFinished: 0 }));
    for (const name of names) await fleet.client.waitForCompletion(name, { timeoutMs: 30_000 }).catch(() => undefined);
    let deleted = 0;
    await eventually(async () => {
      const [da, db] = await Promise.all([a.collect(), b.collect()]);
      deleted += da + db;
      const gone = await Promise.all(names.map((n) => isGone(fleet, n)));
      return gone.every(Boolean) ? true : undefined;
    }, 15_000, 'both janitors to delete the Jobs');
    expect(deleted).toBe(names.length);
    await Promise.all([a.close(), b.close()]);
  });
});

describe('deletion', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 0, janitor: false });
  });
  afterAll(async () => fleet?.close());

  it('deleting a running Job stops and removes its containers, and its name is free at once', async () => {
    const worker = await fleet.addWorker();
    const name = uniqueName('running');
    await fleet.client.createJob(shortJob(name, { parallelism: 2, completions: 2 }, 'echo start; sleep 300'));
    await eventually(async () => ((await docker.listManaged({ [LABELS.job]: name })).filter((c) => c.State === 'running').length === 2 ? true : undefined), 30_000, 'two running containers');
    await fleet.client.deleteJob(name, { propagationPolicy: 'Background' });
    expect(await isGone(fleet, name)).toBe(true);
    await eventually(async () => ((await docker.listManaged({ [LABELS.job]: name })).length === 0 ? true : undefined), 15_000, 'the containers to be removed');
    const again = await fleet.client.createJob(shortJob(name));
    expect(again.metadata.name).toBe(name);
    await fleet.client.waitForCompletion(name, { timeoutMs: 30_000 });
    await fleet.client.deleteJob(name);
    await worker.close();
    fleet.workers.splice(fleet.workers.indexOf(worker), 1);
  });

  it('a worker killed mid-pod leaves a container that its restart removes; the Job still completes', async () => {
    const nodeName = `${fleet.prefix}-crashy`;
    const options = { redisUrl: fleet.redisUrl, prefix: fleet.prefix, nodeName, heartbeatMs: 500 };
    const first = await startRoleProcess('worker', options);
    const name = uniqueName('orphan');
    await fleet.client.createJob(shortJob(name, { backoffLimit: 3 }, 'if [ -n "$RESTARTED" ]; then echo ok; else sleep 300; fi'));
    const [orphan] = await eventually(async () => {
      const running = (await docker.listManaged({ [LABELS.job]: name })).filter((c) => c.State === 'running');
      return running.length === 1 ? running : undefined;
    }, 30_000, 'the pod container to run');
    await first.kill('SIGKILL');
    expect((await docker.listManaged({ [LABELS.job]: name })).map((c) => c.Id)).toEqual([orphan?.Id]);
    const second = await startRoleProcess('worker', options);
    try {
      await eventually(async () => ((await docker.listManaged({ [LABELS.job]: name })).some((c) => c.Id === orphan?.Id) ? undefined : true), 15_000, 'the orphan container to be removed');
      const pods = await eventually(async () => {
        const list = await fleet.client.listPods({ jobName: name });
        return list.find((p) => p.status.phase === 'Failed') ? list : undefined;
      }, 15_000, 'the lost pod to be marked Failed');
      expect(pods.find((p) => p.status.phase === 'Failed')?.status, JSON.stringify(pods.map((p) => p.status), null, 1)).toMatchObject({ reason: 'NodeRestarted' });
      // The Job's status follows once a sync has counted the pod (whichever process holds the sync
      // lease: the killed worker may have held it mid-sync, and then the sync waits for the rest of
      // its 10 s term).
      await eventually(async () => ((await fleet.client.getJob(name)).status?.failed === 1 ? true : undefined), 20_000, 'the failure to be counted');
    } finally {
      await fleet.client.deleteJob(name).catch(() => undefined);
      await eventually(async () => ((await docker.listManaged({ [LABELS.job]: name })).length === 0 ? true : undefined), 15_000, 'the containers to be removed');
      await second.kill('SIGTERM');
    }
  });

  it('a stray container labelled for a worker is removed by its periodic sweep', async () => {
    const worker = await fleet.addWorker();
    const stray = await docker.docker.createContainer({
      Image: 'busybox',
      Cmd: ['sleep', '300'],
      Labels: { [LABELS.managed]: 'true', [LABELS.node]: worker.nodeName, [LABELS.namespace]: 'default', [LABELS.pod]: 'nobody-abcde', [LABELS.podUid]: 'gone' },
    });
    await stray.start();
    await eventually(async () => ((await docker.listManaged({ [LABELS.node]: worker.nodeName })).some((c) => c.Id === stray.id) ? undefined : true), 30_000, 'the sweep to remove the stray container');
    await worker.close();
    fleet.workers.splice(fleet.workers.indexOf(worker), 1);
  });
});
