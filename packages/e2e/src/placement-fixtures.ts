/** What the placement e2e tests (placement.test.ts, hostile/placement-processes.test.ts) share: a Job builder, a poll that says what it waited for, CPU quantities. */
import { toResourceList, type Job } from '@jobfleet/kube';

export interface PodTemplateExtras {
  requests?: Record<string, string>;
  limits?: Record<string, string>;
  nodeSelector?: Record<string, string>;
  tolerations?: unknown[];
  affinity?: unknown;
  nodeName?: string;
  terminationGracePeriodSeconds?: number;
}

/** A Job of `pods` pods (all at once, no retry) of one busybox container running `script`, with the pod template's placement fields and `jobSpec` over the Job's spec. */
export function placementJob(name: string, script: string, pods: number, extras: PodTemplateExtras = {}, jobSpec: Record<string, unknown> = {}): Job {
  const { requests, limits, ...podSpec } = extras;
  const resources = { ...(requests ? { requests } : {}), ...(limits ? { limits } : {}) };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completions: pods,
      parallelism: pods,
      backoffLimit: 0,
      ...jobSpec,
      template: { spec: { restartPolicy: 'Never', ...podSpec, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script], resources }] } },
    },
  } as Job;
}

/** Polls `probe` until it returns a value; past `timeoutMs`, fails saying what was awaited, the last error and what `seen` shows. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, opts: { timeoutMs?: number; seen?: () => Promise<unknown> } = {}): Promise<T> {
  const { timeoutMs = 120_000, seen } = opts;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const state = seen ? `; seen: ${JSON.stringify(await seen().catch(String))}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}${state}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A CPU quantity in millicores ("500m", "2", 1.5), as Kubernetes reads it. */
export function milliCpu(q: string | number | undefined): number {
  return q === undefined || q === '' ? 0 : (toResourceList({ cpu: q }).cpu ?? 0);
}
