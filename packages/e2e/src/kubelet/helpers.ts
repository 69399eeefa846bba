/** What the kubelet tests share: Job manifests, waiting on pods, and the real kubectl against a fleet. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

export interface Kubectl {
  run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): void;
}

/** The real kubectl (v1.32) against `server`, with a fresh HOME and kubeconfig. */
export function kubectl(server: string): Kubectl {
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-kubelet-'));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'jobfleet', cluster: { server } }],
      users: [{ name: 'jobfleet', user: {} }],
      contexts: [{ name: 'jobfleet', context: { cluster: 'jobfleet', user: 'jobfleet', namespace: 'default' } }],
      'current-context': 'jobfleet',
    }),
  );
  return {
    run: (args) =>
      new Promise((resolve) => {
        const child = execFile('/usr/bin/kubectl', args, { env: { ...process.env, HOME: dir, KUBECONFIG: config }, timeout: 60_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
        });
        child.stdin?.end();
      }),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
