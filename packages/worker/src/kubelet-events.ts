/**
 * The kubelet's pod events (Scheduled, Pulled, Created, Started, Killing, BackOff, Failed): their
 * messages, the kubelet's rate limit (--event-qps / --event-burst, a token bucket per node) and
 * its event correlator (an event equal to one recorded before for the same pod bumps that one's
 * count instead of adding an object), so that `kubectl describe pod` reads as on Kubernetes.
 */
import { randomUUID } from 'node:crypto';
import { k8sTime, ownerJobUid, type Pod } from '@jobfleet/kube';
import type { EventRecord, EventSource } from '@jobfleet/store';

/** One event about a pod, as the pod runner records it. */
export interface KubeletEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The container it is about: involvedObject.fieldPath, e.g. "spec.containers{main}". */
  fieldPath?: string;
  /** When it happened (ms). */
  at: number;
}

/** The kubelet's defaults: 50 events a second, bursts of 100. */
export const DEFAULT_EVENT_QPS = 50;
export const DEFAULT_EVENT_BURST = 100;
/** Repeats of one pod's event within this long are one event with a count (the correlator's 10 minutes). */
const REPEAT_WINDOW_MS = 10 * 60_000;

/** Go's time.Duration text of a whole number of ms: "500ms", "10s", "1m20s", "5m0s". */
export function goDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = `${(total % 60_000) / 1000}`;
  if (hours > 0) return `${hours}h${minutes}m${seconds}s`;
  if (minutes > 0) return `${minutes}m${seconds}s`;
  return `${seconds}s`;
}

/** The kubelet's name for a pod in messages (format.Pod): "name_namespace(uid)". */
export function kubeletPodName(pod: Pod): string {
  return `${pod.metadata.name ?? ''}_${pod.metadata.namespace ?? 'default'}(${pod.metadata.uid ?? ''})`;
}

/** The waiting message of a container in CrashLoopBackOff. */
export function backOffMessage(delayMs: number, container: string, pod: Pod): string {
  return `back-off ${goDuration(delayMs)} restarting failed container=${container} pod=${kubeletPodName(pod)}`;
}

/** Events of one process within one ms: their names keep their order. */
let sequence = 0;

/**
 * The kubelet's event name, "<pod>.<time in ns, hex>" (the ns here: the ms and a sequence), so that
 * events sort by name in the order they happened, also within one ms.
 */
function eventName(pod: Pod, at: number): string {
  sequence = (sequence + 1) % 1_000_000;
  return `${pod.metadata.name ?? ''}.${(BigInt(Math.max(0, Math.floor(at))) * 1_000_000n + BigInt(sequence)).toString(16).padStart(16, '0')}`;
}

interface Recorded {
  name: string;
  uid: string;
  count: number;
  first: number;
  firstTimestamp: string;
}

/** A batch of events to record, and what to remember once they are committed. */
export interface EventPlan {
  events: EventRecord[];
  /** Call once the writes are committed: later repeats of these events update them. */
  committed(): void;
}

export interface KubeletEventRecorderOptions {
  /** Events a second the node may record (0: none at all). */
  qps: number;
  /** Events it may record at once after a quiet while. */
  burst: number;
  source: EventSource;
  /** The clock of the token bucket (ms). */
  clock?: () => number;
}

/**
 * Turns a node's events into event records: new events within the node's rate, repeats as updates of
 * the event they repeat. Events past the rate are dropped, as the kubelet's recorder drops what its
 * rate limit holds back; a node that runs thousands of short pods a second thus writes at most
 * `qps` events a second, not several per pod.
 */
export class KubeletEventRecorder {
  private tokens: number;
  private lastRefill: number;
  /** Pod uid → event key → the event recorded for it. */
  private readonly recorded = new Map<string, Map<string, Recorded>>();
  private readonly clock: () => number;

  constructor(private readonly opts: KubeletEventRecorderOptions) {
    this.clock = opts.clock ?? Date.now;
    this.tokens = opts.burst;
    this.lastRefill = this.clock();
  }

  /**
   * The records of `events` about `pod` (a Job's pod; others have nowhere to be listed), to be
   * committed with a compare-and-set write of the pod itself. The events take their share
   * of the rate at once (plans made at the same time never exceed it together); what they are is
   * remembered only once `committed()`, so a plan whose commit lost its race is made again anew.
   */
  plan(pod: Pod, events: readonly KubeletEvent[]): EventPlan {
    const jobUid = ownerJobUid(pod);
    const podUid = pod.metadata.uid ?? '';
    if (!jobUid || events.length === 0) return { events: [], committed: () => undefined };
    const about: Pod = { ...pod, apiVersion: 'v1', kind: 'Pod' };
    const known = this.recorded.get(podUid) ?? new Map<string, Recorded>();
    const updates = new Map<string, Recorded>();
    const records: EventRecord[] = [];
    this.refill();
    for (const e of events) {
      if (this.tokens < 1) break;
      this.tokens -= 1;
      const key = `${e.type}\u0000${e.reason}\u0000${e.fieldPath ?? ''}\u0000${e.message}`;
      const before = updates.get(key) ?? known.get(key);
      const repeat = before !== undefined && e.at - before.first <= REPEAT_WINDOW_MS;
      const next: Recorded = repeat
        ? { ...before, count: before.count + 1 }
        : { name: eventName(pod, e.at), uid: randomUUID(), count: 1, first: e.at, firstTimestamp: k8sTime(e.at) };
      const details = { ...(e.fieldPath ? { fieldPath: e.fieldPath } : {}), name: next.name, uid: next.uid, count: next.count, firstTimestamp: next.firstTimestamp };
      records.push({ about, jobUid, event: { type: e.type, reason: e.reason, message: e.message }, at: e.at, source: this.opts.source, details });
      updates.set(key, next);
    }
    return {
      events: records,
      committed: () => {
        if (updates.size === 0) return;
        for (const [key, r] of updates) known.set(key, r);
        this.recorded.set(podUid, known);
      },
    };
  }

  /** The pod ended: its events will not repeat. */
  forget(podUid: string): void {
    this.recorded.delete(podUid);
  }

  private refill(): void {
    const now = this.clock();
    this.tokens = Math.min(this.opts.burst, this.tokens + ((now - this.lastRefill) / 1000) * this.opts.qps);
    this.lastRefill = now;
  }
}
