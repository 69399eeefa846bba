/** What the placement e2e tests (placement.test.ts, hostile/placement-processes.test.ts) share: a Job builder, CPU quantities. */
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

/** A CPU quantity in millicores ("500m", "2", 1.5), as Kubernetes reads it. */
export function milliCpu(q: string | number | undefined): number {
  return q === undefined || q === '' ? 0 : (toResourceList({ cpu: q }).cpu ?? 0);
}
