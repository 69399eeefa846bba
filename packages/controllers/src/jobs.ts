import type { Job } from '@jobfleet/kube';
import { insertJob, JobExistsError, prepareNewJob, type JobStore } from '@jobfleet/store';
import type { JobController } from './controller.js';

/** Stores a new, already validated and defaulted Job and runs its first sync. */
export async function createJob(store: JobStore, controller: JobController, job: Job, ns: string, now = Date.now()): Promise<Job> {
  const prepared = prepareNewJob(job, ns, now);
  const name = prepared.metadata.name ?? '';
  const result = await insertJob(store, prepared);
  if (!result.ok) throw new JobExistsError(ns, name);
  const { completions, parallelism } = prepared.spec;
  controller.logger.info({ job: `${ns}/${name}`, uid: prepared.metadata.uid, completions, parallelism }, 'Job created');
  await controller.syncJob(ns, name);
  return (await store.getJob(ns, name))?.job ?? { ...prepared, metadata: { ...prepared.metadata, resourceVersion: result.rvs[0] } };
}
