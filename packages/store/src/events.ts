import { randomUUID } from 'node:crypto';
import { k8sTime, randomSuffix, type Job, type JobEvent, type Pod } from '@jobfleet/spec';
import { encodeObject, type JobStore, type WriteOp } from './store.js';

/** Who records an event: the Job controller, or the kubelet-like worker of a node. */
export interface EventSource {
  component: 'job-controller' | 'kubelet';
  /** The node, for events a worker records. */
  host?: string;
}

/**
 * The writes recording one event about a Job or one of its pods. Every event is also listed under
 * its Job (`jobEvents`), so that deleting the Job deletes its events, its pods' ones included.
 */
export function eventOps(store: JobStore, about: Job | Pod, jobUid: string, event: JobEvent, now: number, source: EventSource = { component: 'job-controller' }): WriteOp[] {
  const ns = about.metadata.namespace ?? 'default';
  const name = `${about.metadata.name}.${now.toString(16).padStart(12, '0')}${randomSuffix(Math.random, 6)}`;
  const t = k8sTime(now);
  const obj = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns, uid: randomUUID(), creationTimestamp: t },
    involvedObject: { apiVersion: about.apiVersion, kind: about.kind, namespace: ns, name: about.metadata.name, uid: about.metadata.uid },
    reason: event.reason,
    message: event.message,
    source,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
    type: event.type,
    reportingComponent: source.component,
    reportingInstance: source.host ?? '',
  };
  return [
    { op: 'put', key: store.keys.event(ns, name), expect: '', obj: encodeObject(obj), kind: 'Event', ns, name },
    { op: 'zadd', key: store.keys.events(ns), member: name },
    { op: 'sadd', key: store.keys.jobEvents(jobUid), member: name },
  ];
}

/** The uid of the Job owning a pod ('' for a pod without one). */
export function ownerJobUid(pod: Pod): string {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'Job')?.uid ?? '';
}
