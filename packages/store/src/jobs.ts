import { randomUUID } from 'node:crypto';
import { generatedSelector, jobPodLabels, k8sTime, podDictionary, type Job } from '@jobfleet/spec';
import type { JobController } from './controller.js';
import type { TaskQueues } from './queues.js';
import { encodeObject, putOp, type JobStore, type WriteOp } from './store.js';

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export class JobExistsError extends Error {
  constructor(readonly ns: string, readonly jobName: string) {
    super(`jobs.batch "${jobName}" already exists`);
    this.name = 'JobExistsError';
  }
}

/** What the API server adds to a Job on create: uid, timestamps, generated selector and pod labels. */
export function prepareNewJob(job: Job, ns: string, now: number): Job {
  const uid = randomUUID();
  const name = job.metadata.name ?? '';
  const template = job.spec.template;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { ...job.metadata, namespace: ns, uid, generation: 1, creationTimestamp: k8sTime(now) },
    spec: {
      ...job.spec,
      selector: job.spec.manualSelector ? job.spec.selector : generatedSelector(uid),
      template: {
        ...template,
        metadata: { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), ...jobPodLabels(name, uid) } },
      },
    },
    status: {},
  };
}

/** Stores a new, already validated and defaulted Job and runs its first sync. */
export async function createJob(store: JobStore, controller: JobController, job: Job, ns: string, now = Date.now()): Promise<Job> {
  const prepared = prepareNewJob(job, ns, now);
  const name = prepared.metadata.name ?? '';
  const result = await store.commit([
    putOp(store.keys.job(ns, name), '', prepared, { failuresInRow: 0 }),
    { op: 'set', key: store.keys.podDictionary(prepared.metadata.uid ?? ''), value: podDictionary(prepared) },
    { op: 'zadd', key: store.keys.jobs(ns), member: name },
    { op: 'sadd', key: store.keys.namespaces, member: ns },
  ]);
  if (!result.ok) throw new JobExistsError(ns, name);
  await controller.syncJob(ns, name);
  return (await store.getJob(ns, name))?.job ?? { ...prepared, metadata: { ...prepared.metadata, resourceVersion: result.rvs[0] } };
}

/**
 * Deletes a Job with everything it owns in one atomic write: its pods, their logs, its events and
 * indexes. Nodes running its pods are told to stop them; a late report from a node finds nothing.
 * Returns the deleted Job, or undefined when it did not exist (or a precondition failed).
 */
export async function deleteJob(
  store: JobStore,
  ns: string,
  name: string,
  opts: { uid?: string; queues?: TaskQueues; gracePeriodSeconds?: number } = {},
): Promise<Job | undefined> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const stored = await store.getJob(ns, name);
    if (!stored || (opts.uid && stored.job.metadata.uid !== opts.uid)) return undefined;
    const uid = stored.job.metadata.uid ?? '';
    const keys = store.keys;
    const podNames = await store.podNamesOfJob(uid);
    const pods = await store.getPods(ns, podNames);
    const eventNames = await store.redis.smembers(keys.jobEvents(uid));
    const ops: WriteOp[] = [{ op: 'del', key: keys.job(ns, name), expect: stored.rv, kind: 'Job', ns, name }, { op: 'zrem', key: keys.jobs(ns), member: name }];
    for (const { pod } of pods) {
      const podName = pod.metadata.name ?? '';
      ops.push({ op: 'del', key: keys.pod(ns, podName), expect: '*', kind: 'Pod', ns, name: podName, final: encodeObject(pod) });
      ops.push({ op: 'zrem', key: keys.pods(ns), member: podName }, { op: 'delkey', key: keys.podLog(ns, podName) }, { op: 'delkey', key: keys.podLogArchive(ns, podName) });
      if (pod.spec.nodeName && pod.status.phase !== 'Succeeded' && pod.status.phase !== 'Failed') {
        ops.push({ op: 'publish', channel: keys.nodeChannel(pod.spec.nodeName), message: stopMessage(ns, podName, opts.gracePeriodSeconds) });
      }
    }
    for (const eventName of eventNames) {
      ops.push({ op: 'delkey', key: keys.event(ns, eventName) }, { op: 'zrem', key: keys.events(ns), member: eventName });
    }
    ops.push({ op: 'delkey', key: keys.jobPods(uid) }, { op: 'delkey', key: keys.jobUncounted(uid) }, { op: 'delkey', key: keys.jobEvents(uid) });
    ops.push({ op: 'delkey', key: keys.podDictionary(uid) }, { op: 'delkey', key: keys.syncLease(ns, name) }, { op: 'delkey', key: keys.syncAgain(ns, name) });
    ops.push({ op: 'zrem', key: keys.ttlSchedule, member: `${ns}/${name}` });
    const result = await store.commit(ops);
    if (!result.ok) continue;
    await opts.queues?.removeJobTasks(uid, pods.map((p) => p.pod.metadata.uid ?? ''));
    return stored.job;
  }
  throw new Error(`deleting job ${ns}/${name} kept conflicting with other writes`);
}

/** The message on a node's channel telling it to stop a pod: "ns/name", or "ns/name grace" in seconds. */
export function stopMessage(ns: string, pod: string, graceSeconds?: number): string {
  return graceSeconds === undefined ? `${ns}/${pod}` : `${ns}/${pod} ${graceSeconds}`;
}

export function parseStopMessage(message: string): { key: string; graceSeconds?: number } {
  const [key = '', grace] = message.split(' ');
  return grace === undefined ? { key } : { key, graceSeconds: Number(grace) };
}
