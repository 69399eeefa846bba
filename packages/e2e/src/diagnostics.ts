/** What a test or benchmark prints when a Job failed where it should not have: why. */
import type { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';

/** The first failed pods of a Job, with what their status says (why a Job failed). */
export async function failedPodsOf(client: JobfleetClient, job: Job): Promise<string> {
  const selector = encodeURIComponent(`batch.kubernetes.io/controller-uid=${job.metadata.uid ?? ''}`);
  const url = `${client.server}/api/v1/namespaces/${job.metadata.namespace ?? 'default'}/pods?labelSelector=${selector}&fieldSelector=status.phase%3DFailed&limit=3`;
  const list = (await (await fetch(url)).json()) as { items?: { metadata: { name?: string; annotations?: Record<string, string> }; spec: { nodeName?: string }; status: unknown }[] };
  return JSON.stringify((list.items ?? []).map((p) => ({ name: p.metadata.name, node: p.spec.nodeName, annotations: p.metadata.annotations, status: p.status })));
}

