/**
 * The pods/eviction subresource (policy/v1 Eviction) against a real fleet (API, workers, Redis,
 * Docker), as the API server's EvictionREST (pkg/registry/core/pod/storage/eviction.go) without
 * PodDisruptionBudgets: 201 with a Status Success; the pod gets the DisruptionTarget condition
 * (reason EvictionByEvictionAPI, message "Eviction API: evicting"), is deleted gracefully, and its
 * Job counts it as failed and replaces it. (job.go's "should allow to use a pod failure policy to
 * ignore failure for an evicted pod; matching on the condition", which evicts pods, is ported in
 * job-failure-policy.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { Job, Pod } from '@jobfleet/kube';
import { uniqueName, useFleet, type Fleet } from '../harness.js';
import { httpJson, shellJob } from './job-fixtures.js';
import { eventually } from '../timing.js';

let fleet: Fleet;

useFleet({ workers: 1, maxPods: 10 }, (started) => {
  fleet = started;
});

const jobManifest = (name: string, spec: Record<string, unknown> = {}): Job => shellJob(name, 'sleep 300', spec);

const http = (method: string, path: string, body?: unknown, contentType = 'application/json') => httpJson(fleet.api.url, method, path, body, contentType);

const eviction = (name: string, extra: Record<string, unknown> = {}) => ({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: 'default' }, ...extra });
const evictPath = (name: string) => `/api/v1/namespaces/default/pods/${name}/eviction`;

async function runningPod(job: string): Promise<Pod> {
  return eventually(async () => (await fleet.client.listPods({ jobName: job })).find((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp), 60_000, `a running pod of ${job}`);
}

/** The pod's objects as a watch delivers them, until it is DELETED. */
async function watchUntilDeleted(name: string, fromRv: string): Promise<{ type: string; object: Pod }[]> {
  const res = await fetch(`${fleet.api.url}/api/v1/namespaces/default/pods?watch=1&resourceVersion=${fromRv}&fieldSelector=metadata.name%3D${name}`);
  const reader = res.body!.getReader();
  const events: { type: string; object: Pod }[] = [];
  let buffer = '';
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += new TextDecoder().decode(value);
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const event = JSON.parse(buffer.slice(0, nl)) as { type: string; object: Pod };
      buffer = buffer.slice(nl + 1);
      events.push(event);
      if (event.type === 'DELETED') {
        await reader.cancel();
        return events;
      }
    }
  }
  throw new Error(`no DELETED event for ${name}: ${events.map((e) => e.type).join(',')}`);
}

const disruption = (pod: Pod | undefined) => pod?.status.conditions?.find((c) => c.type === 'DisruptionTarget');

describe('POST /api/v1/namespaces/{ns}/pods/{name}/eviction', () => {
  it('marks the pod DisruptionTarget, deletes it gracefully; its Job counts a failure and replaces it', async () => {
    const name = uniqueName('evict');
    await fleet.client.createJob(jobManifest(name, { backoffLimit: 3 }));
    const pod = await runningPod(name);
    const podName = pod.metadata.name ?? '';
    const watched = watchUntilDeleted(podName, pod.metadata.resourceVersion ?? '0');
    const res = await http('POST', evictPath(podName), eviction(podName));
    expect(res.status).toBe(201);
    expect(res.body).toStrictEqual({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
    const events = await watched;
    const marked = events.find((e) => e.type === 'MODIFIED' && e.object.metadata.deletionTimestamp);
    expect(disruption(marked?.object)).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' });
    // The condition stays to the end: the last state of the pod (its DELETED event) has it, Failed.
    const last = events.at(-1)?.object;
    expect(last?.status.phase).toBe('Failed');
    expect(disruption(last)).toMatchObject({ status: 'True', reason: 'EvictionByEvictionAPI' });
    await eventually(async () => {
      const job = await fleet.client.getJob(name);
      return job.status?.failed === 1 && job.status.active === 1 ? job : undefined;
    }, 30_000, 'the eviction counted and the pod replaced');
    await fleet.client.deleteJob(name);
  });

  it('answers as Kubernetes to wrong requests, and a dry run changes nothing', async () => {
    const name = uniqueName('evict-err');
    await fleet.client.createJob(jobManifest(name));
    const pod = await runningPod(name);
    const podName = pod.metadata.name ?? '';
    expect((await http('POST', evictPath('no-such-pod'), eviction('no-such-pod'))).body).toMatchObject({ code: 404, reason: 'NotFound', message: 'pods "no-such-pod" not found' });
    expect((await http('POST', evictPath(podName), eviction('other'))).body).toMatchObject({ code: 400, message: 'name in URL does not match name in Eviction object' });
    const wrongUid = await http('POST', evictPath(podName), eviction(podName, { deleteOptions: { preconditions: { uid: 'x' } } }));
    expect(wrongUid.status).toBe(409);
    expect(wrongUid.body.message).toContain(`the UID in the precondition (x) does not match the UID in record (${pod.metadata.uid})`);
    const dry = await http('POST', `${evictPath(podName)}?dryRun=All`, { ...eviction(podName), apiVersion: 'policy/v1beta1' });
    expect(dry.status).toBe(201);
    const after = await fleet.client.getPod(podName);
    expect(after.metadata.deletionTimestamp).toBeUndefined();
    expect(disruption(after)).toBeUndefined();
    await fleet.client.deleteJob(name);
  });
});
