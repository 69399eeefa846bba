/**
 * Pods as API objects: DELETE of one pod and of a collection, against a real fleet (API, workers,
 * Redis, Docker), as the API server's pod deletion (pkg/registry/core/pod/strategy.go
 * CheckGracefulDelete, the generic registry's preconditions and dryRun): a deletion's
 * deletionTimestamp and grace period, the watch events (MODIFIED with the deletion, then
 * DELETED), the container stopped and removed, a pod no node took or that had ended removed at
 * once, 409 on a failed precondition.
 * (job.go's "should recreate pods only after they have failed if pod replacement policy is set to
 * Failed", which deletes a pod, is ported in job-basics.test.ts.)
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job, Pod } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { eventually } from '../timing.js';

let fleet: Fleet;
let idle: Fleet;
const docker = new Docker();
const JOBFLEET = fileURLToPath(new URL('../../../cli/bin/jobfleet.js', import.meta.url));

beforeAll(async () => {
  [fleet, idle] = await Promise.all([startFleet({ workers: 1, maxPods: 10 }), startFleet({ workers: 0 })]);
});
afterAll(async () => {
  await Promise.all([fleet?.close(), idle?.close()]);
});

function jobManifest(name: string, script: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      ...spec,
      template: { metadata: { labels }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 30, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } },
    },
  } as Job;
}

async function http(f: Fleet, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${f.api.url}${path}`, { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

const podPath = (name: string, ns = 'default') => `/api/v1/namespaces/${ns}/pods/${name}`;

async function jobPods(f: Fleet, job: string): Promise<Pod[]> {
  return f.client.listPods({ jobName: job });
}

async function runningPod(f: Fleet, job: string): Promise<Pod> {
  return eventually(async () => (await jobPods(f, job)).find((p) => p.status.phase === 'Running' && p.status.containerStatuses?.[0]?.state.running), 60_000, `a running pod of ${job}`);
}

/** Collects watch events of pods (from now on) until `stop` is called. */
function watchPods(f: Fleet, ns = 'default'): { events: { type: string; pod: Pod }[]; stop: () => void } {
  const events: { type: string; pod: Pod }[] = [];
  const abort = new AbortController();
  void (async () => {
    const res = await fetch(`${f.api.url}/api/v1/namespaces/${ns}/pods?watch=1`, { signal: abort.signal });
    const reader = res.body!.getReader();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += new TextDecoder().decode(value);
      let nl: number;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim()) {
          const e = JSON.parse(line) as { type: string; object: Pod };
          events.push({ type: e.type, pod: e.object });
        }
      }
    }
  })().catch(() => undefined);
  return { events, stop: () => abort.abort() };
}

async function containersOf(pod: Pod): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.jobfleet.pod-uid=${pod.metadata.uid}`] } });
}

describe.concurrent('DELETE /api/v1/namespaces/{ns}/pods/{name}', () => {
  it('stops a running pod gracefully, removes it once it ended, counts it as failed and replaces it', async () => {
    const name = uniqueName('del-run');
    await fleet.client.createJob(jobManifest(name, 'sleep 300', { backoffLimit: 3 }));
    const pod = await runningPod(fleet, name);
    const podName = pod.metadata.name ?? '';
    const watch = watchPods(fleet);
    await new Promise((r) => setTimeout(r, 300)); // the watch is established
    const before = Date.now();
    const res = await http(fleet, 'DELETE', `${podPath(podName)}?gracePeriodSeconds=1`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('Pod');
    expect(res.body.metadata.deletionGracePeriodSeconds).toBe(1);
    // deletionTimestamp is when the grace period ends (now + 1 s), in whole seconds.
    const at = Date.parse(res.body.metadata.deletionTimestamp as string);
    expect(at).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(at).toBeLessThanOrEqual(Date.now() + 2_000);

    // The pod is gone (after its container ended), replaced, and its end counted as a failure.
    await eventually(async () => (await http(fleet, 'GET', podPath(podName))).status === 404, 30_000, 'the pod object gone');
    expect(await containersOf(pod)).toStrictEqual([]);
    const job = await eventually(async () => {
      const j = await fleet.client.getJob(name);
      return j.status?.failed === 1 && (j.status.active ?? 0) === 1 ? j : undefined;
    }, 30_000, 'the failure counted and a replacement active');
    expect(job.status?.succeeded ?? 0).toBe(0);
    const replacement = (await jobPods(fleet, name)).map((p) => p.metadata.name);
    expect(replacement).toHaveLength(1);
    expect(replacement[0]).not.toBe(podName);

    // Watches saw the deletion mark, then the removal, of this very pod.
    await eventually(async () => watch.events.some((e) => e.type === 'DELETED' && e.pod.metadata.name === podName), 10_000, 'the DELETED event');
    watch.stop();
    const mine = watch.events.filter((e) => e.pod.metadata.name === podName);
    const marked = mine.findIndex((e) => e.type === 'MODIFIED' && e.pod.metadata.deletionTimestamp);
    const deleted = mine.findIndex((e) => e.type === 'DELETED');
    expect(marked).toBeGreaterThanOrEqual(0);
    expect(deleted).toBeGreaterThan(marked);
    expect(mine[deleted]?.pod.status.phase).toBe('Failed');
    await fleet.client.deleteJob(name);
  });

  it('removes a pod no worker took yet at once, counted as failed', async () => {
    const name = uniqueName('del-pending');
    await idle.client.createJob(jobManifest(name, 'true', { backoffLimit: 5 }));
    const [pod] = await eventually(async () => {
      const pods = await jobPods(idle, name);
      return pods.length === 1 ? pods : undefined;
    }, 10_000, 'the pending pod');
    const podName = pod?.metadata.name ?? '';
    const res = await http(idle, 'DELETE', podPath(podName));
    expect(res.status).toBe(200);
    expect(res.body.metadata.deletionGracePeriodSeconds).toBe(0);
    // Gone before the DELETE answered: the Job's sync counted and removed it.
    expect((await http(idle, 'GET', podPath(podName))).status).toBe(404);
    const job = await idle.client.getJob(name);
    expect(job.status?.failed).toBe(1);
    // Replaced after the re-creation backoff.
    await eventually(async () => (await jobPods(idle, name)).some((p) => p.metadata.name !== podName), 10_000, 'a replacement');
    await idle.client.deleteJob(name);
  });

  it('removes a pod that had ended at once, and counts nothing again', async () => {
    const name = uniqueName('del-done');
    await fleet.client.createJob(jobManifest(name, 'echo done', { completions: 2, parallelism: 1 }));
    const first = await eventually(async () => (await jobPods(fleet, name)).find((p) => p.status.phase === 'Succeeded'), 60_000, 'a succeeded pod');
    await eventually(async () => ((await fleet.client.getJob(name)).status?.succeeded ?? 0) >= 1, 30_000, 'its success counted');
    const res = await http(fleet, 'DELETE', podPath(first.metadata.name ?? ''));
    expect(res.status).toBe(200);
    expect((await http(fleet, 'GET', podPath(first.metadata.name ?? ''))).status).toBe(404);
    expect((await http(fleet, 'GET', `${podPath(first.metadata.name ?? '')}/log`)).status).toBe(404);
    const done = await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
    expect(done.status?.succeeded).toBe(2);
    expect(done.status?.failed ?? 0).toBe(0);
    await fleet.client.deleteJob(name);
  });

  it('refuses a failed precondition with 409 and writes nothing on a dry run', async () => {
    const name = uniqueName('del-pre');
    await fleet.client.createJob(jobManifest(name, 'sleep 300'));
    const pod = await runningPod(fleet, name);
    const podName = pod.metadata.name ?? '';
    const wrongUid = await http(fleet, 'DELETE', podPath(podName), { preconditions: { uid: 'not-the-uid' } });
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.body).toMatchObject({
      kind: 'Status',
      reason: 'Conflict',
      message: `Operation cannot be fulfilled on pods "${podName}": Precondition failed: UID in precondition: not-the-uid, UID in object meta: ${pod.metadata.uid}`,
    });
    const staleRv = await http(fleet, 'DELETE', podPath(podName), { preconditions: { resourceVersion: '1' } });
    expect(staleRv.status).toBe(409);
    expect(staleRv.body.message).toContain('Precondition failed: ResourceVersion in precondition: 1, ResourceVersion in object meta: ');
    const dry = await http(fleet, 'DELETE', `${podPath(podName)}?dryRun=All`);
    expect(dry.status).toBe(200);
    expect(dry.body.metadata.deletionTimestamp).toBeDefined();
    const after = await fleet.client.getPod(podName);
    expect(after.metadata.deletionTimestamp).toBeUndefined();
    expect(after.status.phase).toBe('Running');
    expect((await http(fleet, 'DELETE', podPath('no-such-pod'))).body).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "no-such-pod" not found' });
    await fleet.client.deleteJob(name);
  });

  it('a second DELETE only shortens the grace period', async () => {
    const name = uniqueName('del-twice');
    await fleet.client.createJob(jobManifest(name, 'sleep 300'));
    const pod = await runningPod(fleet, name);
    const podName = pod.metadata.name ?? '';
    // The container ignores SIGTERM (sh as PID 1): only the grace period's end (SIGKILL) stops it.
    const first = await http(fleet, 'DELETE', `${podPath(podName)}?gracePeriodSeconds=60`);
    expect(first.body.metadata.deletionGracePeriodSeconds).toBe(60);
    const longer = await http(fleet, 'DELETE', `${podPath(podName)}?gracePeriodSeconds=120`);
    expect(longer.body.metadata.deletionGracePeriodSeconds).toBe(60);
    expect(longer.body.metadata.deletionTimestamp).toBe(first.body.metadata.deletionTimestamp);
    const shorter = await http(fleet, 'DELETE', `${podPath(podName)}?gracePeriodSeconds=0`);
    expect(shorter.body.metadata.deletionGracePeriodSeconds).toBe(0);
    expect(Date.parse(shorter.body.metadata.deletionTimestamp as string)).toBe(Date.parse(first.body.metadata.deletionTimestamp as string) - 60_000);
    // The worker honours the shorter grace: the container is killed and the pod gone long before the first 60 s.
    const asked = Date.now();
    await eventually(async () => (await http(fleet, 'GET', podPath(podName))).status === 404, 30_000, 'the pod gone after the shortened grace');
    expect(Date.now() - asked).toBeLessThan(45_000);
    await fleet.client.deleteJob(name);
  });
});

describe('DELETE /api/v1/namespaces/{ns}/pods (deletecollection)', () => {
  it('deletes the pods the selectors match, and only those', async () => {
    const keep = uniqueName('dc-keep');
    const drop = uniqueName('dc-drop');
    await fleet.client.createJob(jobManifest(keep, 'sleep 300', {}, { tier: 'keep' }));
    await fleet.client.createJob(jobManifest(drop, 'sleep 300', { parallelism: 2, completions: 2, backoffLimit: 5 }, { tier: drop }));
    await runningPod(fleet, keep);
    const dropped = await eventually(async () => {
      const pods = await jobPods(fleet, drop);
      return pods.length === 2 ? pods : undefined;
    }, 30_000, 'two pods to drop');
    const res = await http(fleet, 'DELETE', `/api/v1/namespaces/default/pods?labelSelector=tier%3D${drop}&gracePeriodSeconds=0`);
    expect(res.status).toBe(200);
    expect(res.body.kind).toBe('PodList');
    expect(res.body.items.map((p: Pod) => p.metadata.name).sort()).toStrictEqual(dropped.map((p) => p.metadata.name).sort());
    for (const p of dropped) await eventually(async () => (await http(fleet, 'GET', podPath(p.metadata.name ?? ''))).status === 404, 30_000, `${p.metadata.name} gone`);
    expect((await jobPods(fleet, keep)).every((p) => !p.metadata.deletionTimestamp)).toBe(true);
    await Promise.all([fleet.client.deleteJob(keep), fleet.client.deleteJob(drop)]);
  });
});

describe('the TypeScript client and the jobfleet command', () => {
  it('delete a pod (the client, then `jobfleet delete pod`), evict and patch one', async () => {
    const name = uniqueName('client-pods');
    await fleet.client.createJob(jobManifest(name, 'sleep 300', { parallelism: 2, completions: 2, backoffLimit: 5 }));
    const [first, second] = await eventually(async () => {
      const pods = (await jobPods(fleet, name)).filter((p) => p.status.phase === 'Running');
      return pods.length === 2 ? pods : undefined;
    }, 60_000, 'two running pods');
    const patched = await fleet.client.patchPod(first?.metadata.name ?? '', { metadata: { labels: { checked: 'yes' } } });
    expect(patched.metadata.labels?.checked).toBe('yes');
    const deleted = await fleet.client.deletePod(first?.metadata.name ?? '', { gracePeriodSeconds: 0, preconditions: { uid: first?.metadata.uid } });
    expect(deleted.metadata.deletionTimestamp).toBeDefined();
    // The container ignores SIGTERM (sh as PID 1): a short grace period stops it soon.
    await fleet.client.evictPod(second?.metadata.name ?? '', { gracePeriodSeconds: 1 });
    for (const pod of [first, second]) {
      await eventually(async () => (await http(fleet, 'GET', podPath(pod?.metadata.name ?? ''))).status === 404, 30_000, `${pod?.metadata.name} gone`);
    }
    const replacement = await runningPod(fleet, name);
    const cli = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, [JOBFLEET, '--server', fleet.api.url, 'delete', 'pod', replacement.metadata.name ?? '', '--grace-period', '0'], (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
      );
    });
    expect(cli).toStrictEqual({ code: 0, stdout: `pod "${replacement.metadata.name}" deleted\n`, stderr: '' });
    await eventually(async () => (await http(fleet, 'GET', podPath(replacement.metadata.name ?? ''))).status === 404, 30_000, 'the replacement gone');
    await fleet.client.deleteJob(name);
  });
});
