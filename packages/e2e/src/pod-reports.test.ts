/**
 * What a watch of a Job's pod sees as its node runs it (Docker, a real container): the pod claimed,
 * Running, then Succeeded with its container terminated in the same change, as the kubelet reports a
 * pod whose last container ended: never a Running pod whose only container has terminated (a report
 * of its own on the pod's path to its end, and to its Job's next pod).
 */
import { expect, it } from 'vitest';
import { readLines } from '@jobfleet/client';
import type { Job, Pod } from '@jobfleet/kube';
import { useFleet, uniqueName, type Fleet } from './harness.js';

let fleet: Fleet;
useFleet({ workers: 1, maxPods: 2 }, (f) => {
  fleet = f;
});

it('reports a pod whose last container ended once, with its phase: no Running pod with a terminated container', async () => {
  const name = uniqueName('reports');
  const list = (await (await fetch(`${fleet.api.url}/api/v1/namespaces/default/pods?limit=1`)).json()) as { metadata: { resourceVersion: string } };
  const abort = new AbortController();
  const seen: Pod[] = [];
  const watching = (async () => {
    const res = await fetch(`${fleet.api.url}/api/v1/namespaces/default/pods?watch=1&labelSelector=job-name%3D${name}&resourceVersion=${list.metadata.resourceVersion}`, { signal: abort.signal });
    if (!res.body) return;
    for await (const line of readLines(res.body)) {
      const event = JSON.parse(line) as { type: string; object: Pod };
      seen.push(event.object);
      if (event.object.status?.phase === 'Succeeded') break;
    }
  })();
  const job: Job = {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { completions: 1, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo done'] }] } } },
  } as Job;
  await fleet.client.createJob(job);
  await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });
  await watching;
  abort.abort();
  const phases = seen.map((p) => `${p.status?.phase}${p.status?.containerStatuses?.[0]?.state?.terminated ? ' (terminated)' : p.status?.containerStatuses?.[0]?.state?.running ? ' (running)' : ''}`);
  expect(phases).toContain('Running (running)');
  expect(phases.at(-1)).toBe('Succeeded (terminated)');
  expect(phases.filter((p) => p === 'Running (terminated)')).toStrictEqual([]);
  // Its log is whole with the final status.
  expect(await fleet.client.logs(seen.at(-1)?.metadata.name ?? '')).toBe('done\n');
}, 90_000);
