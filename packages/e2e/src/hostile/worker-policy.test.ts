/**
 * The worker enforces its own security policy (issue 10, finding 2). A second API server started
 * with --allow-privileged on the same Redis (or anyone who can write to Redis) used to get a
 * hostPath pod run by a worker that was not started with it. Now each worker checks every pod it
 * claims against its own --allow-privileged: a refused pod ends Failed (reason Forbidden, a message
 * naming the field and the flag) with a Warning Event from the kubelet of that node, and nothing of
 * it runs. Real APIs, Redis and Docker; the workers are OS processes.
 */
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type RunningApi } from '@jobfleet/api';
import { JobfleetClient } from '@jobfleet/client';
import type { Pod } from '@jobfleet/kube';
import { Cluster } from '@jobfleet/controllers';
import { putOp } from '@jobfleet/store';
import { testRedis, uniqueName } from '../harness.js';
import { eventually } from '../timing.js';
import { podsOf, removeContainersOf, shellJob, spawnWorker, writeJobToRedis, type WorkerProcess } from './worker-processes.js';

const prefix = `pol${Date.now().toString(36)}`;
let redisUrl: string;
let strictApi: RunningApi;
let laxApi: RunningApi;
let lax: JobfleetClient;
let hostDir: string;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  redisUrl = (await testRedis()).url;
  strictApi = await startApi({ redisUrl, port: 0, prefix, allowPrivileged: false });
  laxApi = await startApi({ redisUrl, port: 0, prefix, allowPrivileged: true });
  lax = new JobfleetClient({ server: laxApi.url });
  hostDir = mkdtempSync(join(tmpdir(), 'jobfleet-policy-'));
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGTERM')));
  await Promise.all([strictApi?.close(), laxApi?.close()]);
  for (const w of workers) await removeContainersOf(w.nodeName);
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

/** A pod that writes into the Docker host's directory, through a hostPath volume. */
function hostPathJob(name: string, marker: string) {
  return shellJob(name, `echo pwned > /host/${marker}`, {}, {
    volumes: [{ name: 'host', hostPath: { path: hostDir, type: 'Directory' } }],
    containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `echo pwned > /host/${marker}`], volumeMounts: [{ name: 'host', mountPath: '/host' }] }],
  });
}

describe('a worker without --allow-privileged', () => {
  it('refuses a hostPath pod that an API with --allow-privileged accepted: Failed, Forbidden, a Warning Event, nothing run', async () => {
    const worker = await spawnWorker({ redisUrl, prefix, nodeName: `${prefix}-strict`, heartbeatMs: 500, drainTimeoutMs: 2_000 });
    workers.push(worker);
    // The strict API refuses it, as before; the lax one stores it.
    const name = uniqueName('hostpath');
    const refused = await fetch(`${strictApi.url}/apis/batch/v1/namespaces/default/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(hostPathJob(name, 'x')) });
    expect(refused.status).toBe(422);
    await lax.createJob(hostPathJob(name, 'hostpath'));

    const pod = await eventually(async () => (await lax.listPods({ jobName: name })).find((p) => p.status.phase === 'Failed'), 30_000, 'the hostPath pod to be refused');
    expect(pod.spec.nodeName).toBe(worker.nodeName);
    expect(pod.status.reason).toBe('Forbidden');
    expect(pod.status.message).toBe(
      `Pod was rejected: spec.volumes[0].hostPath: Forbidden: not allowed on node ${worker.nodeName} (node ${worker.nodeName} runs no privileged pods: start its worker with --allow-privileged or JOBFLEET_ALLOW_PRIVILEGED=true to allow them)`,
    );
    const events = await eventually(async () => {
      const list = (await lax.listEvents()).filter((e) => e.involvedObject.name === pod.metadata.name && e.type === 'Warning');
      return list.length > 0 ? list : undefined;
    }, 10_000, 'the kubelet event of the refusal');
    expect(events.map((e) => ({ reason: e.reason, message: e.message, source: e.source }))).toEqual([
      { reason: 'Forbidden', message: pod.status.message, source: { component: 'kubelet', host: worker.nodeName } },
    ]);
    const job = await lax.waitForCondition(name, { type: 'Failed' });
    expect(job.status?.failed).toBe(1);
    expect(existsSync(join(hostDir, 'hostpath'))).toBe(false);
    expect(worker.alive()).toBe(true);
  });

  it('refuses privileged containers and host namespaces the same way, naming each field', async () => {
    const name = uniqueName('priv');
    await lax.createJob(shellJob(name, 'true', {}, { hostPID: true, containers: [{ name: 'c', image: 'busybox', command: ['true'], securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } } }] }));
    const pod = await eventually(async () => (await lax.listPods({ jobName: name })).find((p) => p.status.phase === 'Failed'), 30_000, 'the privileged pod to be refused');
    expect(pod.status.reason).toBe('Forbidden');
    for (const field of ['spec.containers[0].securityContext.privileged', 'spec.containers[0].securityContext.capabilities.add', 'spec.hostPID']) {
      expect(pod.status.message).toContain(`${field}: Forbidden: not allowed on node`);
    }
    expect(pod.status.containerStatuses?.[0]?.state.waiting?.reason).toBe('Forbidden');
  });
});

describe('a worker given pod records of any shape (written into Redis by hand)', () => {
  it('fails each pod it can claim with a reason, and stays up', async () => {
    const cluster = new Cluster({ redisUrl, prefix });
    try {
      const base = (name: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid: randomUUID() }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] }, status: { phase: 'Pending' } });
      const records: Record<string, unknown>[] = [
        { ...base(uniqueName('junk-containers')), spec: { restartPolicy: 'Never', containers: 'busybox' } },
        { ...base(uniqueName('junk-env')), spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', value: { $gt: 1 } }] }] } },
        { ...base(uniqueName('junk-volume')), spec: { restartPolicy: 'Never', volumes: [{ name: 'v', emptyDir: {} }], containers: [{ name: 'c', image: 'busybox', volumeMounts: [{ name: 'v', mountPath: 'relative' }] }] } },
        { ...base(uniqueName('junk-status')), status: undefined },
      ];
      for (const record of records) {
        const pod = record as unknown as Pod;
        const name = pod.metadata.name ?? '';
        const keys = cluster.store.keys;
        expect((await cluster.store.commit([putOp(keys.pod('default', name), '', pod), { op: 'iadd', key: keys.pods('default'), member: name }])).ok).toBe(true);
        await cluster.queues.enqueuePods([pod]);
      }
      for (const record of records.slice(0, 3)) {
        const name = (record.metadata as { name: string }).name;
        const stored = await eventually(async () => {
          const p = (await cluster.store.getPod('default', name))?.pod;
          return p?.status?.phase === 'Failed' ? p : undefined;
        }, 30_000, `${name} to be refused`);
        expect([name, stored.status.reason]).toEqual([name, 'CreateContainerConfigError']);
        expect(stored.status.message).toMatch(/^Pod was rejected: spec\./);
      }
      await new Promise((r) => setTimeout(r, 1_000));
      expect(workers.map((w) => [w.nodeName, w.alive()])).toEqual(workers.map((w) => [w.nodeName, true]));
    } finally {
      await cluster.close();
    }
  });
});

describe('a worker with --allow-privileged', () => {
  it('runs the hostPath pod (both the API and the worker allow it), and still refuses what no setting allows', async () => {
    for (const w of workers.splice(0)) await w.kill('SIGTERM');
    workers.push(await spawnWorker({ redisUrl, prefix, nodeName: `${prefix}-lax`, heartbeatMs: 500, drainTimeoutMs: 2_000, allowPrivileged: true }));
    const name = uniqueName('hostpath-ok');
    await lax.createJob(hostPathJob(name, 'allowed'));
    const done = await lax.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status?.succeeded).toBe(1);
    expect(existsSync(join(hostDir, 'allowed'))).toBe(true);
    // An image name that is not a Docker reference, stored without the API: refused whatever the policy.
    const cluster = new Cluster({ redisUrl, prefix });
    try {
      const badImage = hostPathJob(uniqueName('bad-image'), 'never');
      badImage.spec.template.spec.containers[0]!.image = 'BusyBox';
      const job = await writeJobToRedis(cluster, badImage);
      const pod = await eventually(async () => (await podsOf(cluster, job)).find((p) => p.status.phase === 'Failed'), 30_000, 'the pod with a bad image to be refused');
      expect(pod.status.reason).toBe('InvalidImageName');
      expect(existsSync(join(hostDir, 'never'))).toBe(false);
    } finally {
      await cluster.close();
    }
  });
});
