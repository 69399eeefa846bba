import { randomUUID } from 'node:crypto';
import { k8sTime, randomSuffix, type CronJob, type Job, type JobEvent, type Pod } from '@jobfleet/kube';
import { encodeObject, type JobStore, type WriteOp } from './store.js';

/** Who records an event: the Job controller, or the kubelet-like worker of a node. */
export interface EventSource {
  component: 'job-controller' | 'kubelet' | 'default-scheduler' | 'cronjob-controller' | 'node-controller' | 'taint-eviction-controller';
  /** The node, for events a worker records. */
  host?: string;
}

/** What a kubelet-like event adds: the container it is about, and its identity when it repeats. */
export interface EventDetails {
  /** involvedObject.fieldPath, e.g. "spec.containers{main}". */
  fieldPath?: string;
  /** The event's name and uid (default: new ones). */
  name?: string;
  uid?: string;
  /**
   * Above 1, the event repeats one recorded before under `name` and `uid` (Kubernetes' event
   * correlator): that object is rewritten with the count and a new lastTimestamp.
   */
  count?: number;
  /** When it first happened (default: now). */
  firstTimestamp?: string;
  /** Whether the event under `name` was written before, so that this rewrites it (default: count above 1). */
  exists?: boolean;
}

/**
 * One event to record, as the roles hand it to the store (which alone turns it into writes): what
 * it is about, the Job whose events list it, what happened, when, who says so, and how it repeats.
 */
export interface EventRecord {
  about: Job | Pod | CronJob;
  jobUid: string;
  event: JobEvent;
  /** When it happened (ms). */
  at: number;
  source?: EventSource;
  details?: EventDetails;
}

/**
 * The writes recording events about a Job or its pods (or a CronJob). Every event is also listed
 * under its Job (`jobEvents`), so that deleting the Job deletes its events, its pods' ones included.
 */
export function eventOps(store: JobStore, records: readonly EventRecord[] = []): WriteOp[] {
  return records.flatMap((r) => eventWrites(store, r));
}

function eventWrites(store: JobStore, { about, jobUid, event, at: now, source = { component: 'job-controller' }, details = {} }: EventRecord): WriteOp[] {
  const ns = about.metadata.namespace ?? 'default';
  const { fieldPath, count = 1 } = details;
  const name = details.name ?? `${about.metadata.name}.${now.toString(16).padStart(12, '0')}${randomSuffix(Math.random, 6)}`;
  const t = k8sTime(now);
  const first = details.firstTimestamp ?? t;
  const obj = {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name, namespace: ns, uid: details.uid ?? randomUUID(), creationTimestamp: first },
    involvedObject: { apiVersion: about.apiVersion, kind: about.kind, namespace: ns, name: about.metadata.name, uid: about.metadata.uid, ...(fieldPath ? { fieldPath } : {}) },
    reason: event.reason,
    message: event.message,
    source,
    firstTimestamp: first,
    lastTimestamp: t,
    count,
    type: event.type,
    reportingComponent: source.component,
    reportingInstance: source.host ?? '',
  };
  // A repeat rewrites the event whatever its version, and lists it again (idempotent: the Job's events
  // may have been trimmed since, and an event listed nowhere would outlive its Job). It must go in one
  // commit with a compare-and-set write of its pod or Job, so that it never recreates an event of a deleted Job.
  const repeat = details.exists ?? count > 1;
  return [
    { op: 'put', key: store.keys.event(ns, name), expect: repeat ? '*' : '', obj: encodeObject(obj), kind: 'Event', ns, name },
    { op: 'zadd', key: store.keys.events(ns), member: name },
    { op: 'sadd', key: store.keys.jobEvents(jobUid), member: name },
  ];
}

