/** What the kubelet tests share: Job manifests and waiting on pods (kubectl is ../kubectl-runner.ts). */
import type { Job, Pod } from '@jobfleet/kube';
import type { JobfleetClient } from '@jobfleet/client';

export function job(name: string, podSpec: Record<string, unknown>, spec: Record<string, unknown> = {}): Job {
  return { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { backoffLimit: 0, ...spec, template: { spec: { restartPolicy: 'Never', ...podSpec } } } } as Job;
}

export function shell(name: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name, image: 'busybox', command: ['sh', '-c', script], ...extra };
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The only pod of a Job, once `ready` says it is as wanted. */
export function waitForPod(client: JobfleetClient, jobName: string, what: string, ready: (pod: Pod) => boolean, timeoutMs = 60_000): Promise<Pod> {
  // The Job may not exist yet (another process creates it).
  return waitFor(what, async () => (await client.listPods({ jobName }).catch(() => [])).find(ready), timeoutMs);
}

/** GET a pod's log with raw query parameters: status and body (a Status on errors). */
export async function podLog(apiUrl: string, pod: string, query: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${apiUrl}/api/v1/namespaces/default/pods/${pod}/log?${query}`);
  return { status: res.status, body: await res.text() };
}
