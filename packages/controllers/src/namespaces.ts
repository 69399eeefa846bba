import type { NamespaceRecord } from '@jobfleet/kube';
import { cronJobNamesPage, deleteJob, forgetNamespace, getNamespace, jobNamesPage, type JobStore, type TaskQueues } from '@jobfleet/store';
import type { JobController } from './controller.js';
import { deleteCronJob } from './cronjobs.js';
import { deleteNamespacePods } from './pod-updates.js';

/**
 * Deletes a namespace with every CronJob and Job in it (and so their pods, logs and events) and the pods no Job
 * owns (with `controller`), then forgets it.
 * Returns its record, or undefined when it is not known.
 */
export async function deleteNamespace(store: JobStore, name: string, now: number, opts: { queues?: TaskQueues; controller?: JobController } = {}): Promise<NamespaceRecord | undefined> {
  const record = await getNamespace(store, name, now);
  if (!record) return undefined;
  // CronJobs first (with their Jobs), so that none creates a Job while the namespace's Jobs go.
  for (;;) {
    const cronJobs = await cronJobNamesPage(store, name, undefined, 500);
    if (cronJobs.length === 0) break;
    for (const cronJob of cronJobs) await deleteCronJob(store, opts.queues, name, cronJob);
  }
  for (;;) {
    const jobs = await jobNamesPage(store, name, undefined, 500);
    if (jobs.length === 0) break;
    for (const job of jobs) await deleteJob(store, name, job, { queues: opts.queues });
  }
  // Pods no Job owns any more (released ones) go too; a running one once its node stopped it.
  if (opts.controller) await deleteNamespacePods(store, opts.controller, name, opts.queues);
  await forgetNamespace(store, name);
  return record;
}
