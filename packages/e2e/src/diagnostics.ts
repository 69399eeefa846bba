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


/**
 * The events of a Job's pods (those named `<jobName>-…`), one line per pod and reason with its count
 * summed over the events recorded: "<pod> <reason> ×<count>", sorted. A reason recorded twice for one
 * pod, or one event counted twice, shows as ×2 or more.
 */
export async function podEventCounts(client: JobfleetClient, jobName: string): Promise<string[]> {
  const counts = new Map<string, number>();
  for (const e of await client.listEvents({ fieldSelector: 'involvedObject.kind=Pod' })) {
    if (!(e.involvedObject?.name ?? '').startsWith(`${jobName}-`)) continue;
    const key = `${e.involvedObject?.name} ${e.reason}`;
    counts.set(key, (counts.get(key) ?? 0) + (e.count ?? 1));
  }
  return [...counts].map(([key, count]) => `${key} ×${count}`).sort();
}

/** The lines of podEventCounts past ×1: what was recorded more than once. */
export async function eventsCountedTwice(client: JobfleetClient, jobName: string): Promise<string[]> {
  return (await podEventCounts(client, jobName)).filter((line) => !line.endsWith(' ×1'));
}
