/**
 * Kubernetes' event aggregation (client-go tools/record/events_cache.go, EventAggregator with its
 * defaults) for the events the Job controller records about one Job: events of the same type and
 * reason with different messages are recorded one by one until 10 such arrive within 10 minutes;
 * from the 10th on they are one aggregate event, "(combined from similar events): <latest message>",
 * whose count grows with each (what `kubectl describe` shows as "(x490 over 2m)"). A Job creating
 * 2,000 pods records 9 SuccessfulCreate events and one aggregate of count 1,991 instead of 2,000
 * events. Pure: the aggregate's identity comes from the caller; the state lives in the Job's control
 * state, so that every controller process continues the same aggregate.
 */
import type { JobEvent } from './sync.js';

/** EventAggregator's maxEvents: similar events recorded one by one before they are combined. */
export const EVENT_AGGREGATE_MAX = 10;
/** EventAggregator's maxIntervalInSeconds: similar events further apart start over. */
export const EVENT_AGGREGATE_WINDOW_MS = 600_000;
/** The message prefix of an aggregate event (EventAggregatorByReasonMessageFunc). */
export const COMBINED_FROM_SIMILAR = '(combined from similar events): ';

/** The aggregate event of a type and reason, once there is one. */
export interface EventAggregate {
  name: string;
  uid: string;
  /** When the first of the events it combines happened. */
  firstTimestamp: string;
  count: number;
}

/** Per "type/reason": how many similar events were seen (up to EVENT_AGGREGATE_MAX), when the last was (ms), and the aggregate. */
export type EventAggregates = Record<string, { seen: number; last: number; aggregate?: EventAggregate }>;

/** An event to record: as it came, or the aggregate it joined (`exists`: written before, so rewritten). */
export interface CorrelatedEvent extends JobEvent {
  aggregate?: EventAggregate & { exists: boolean };
}

/**
 * The events to record for `events` (in order) and the new state. Several events joining one
 * aggregate in one call are one write: the aggregate with their count added and the latest message.
 */
export function correlateEvents(
  events: readonly JobEvent[],
  state: EventAggregates | undefined,
  now: number,
  newIdentity: () => { name: string; uid: string; firstTimestamp: string },
): { events: CorrelatedEvent[]; state: EventAggregates } {
  const next: EventAggregates = { ...(state ?? {}) };
  const out: CorrelatedEvent[] = [];
  const joined = new Map<string, CorrelatedEvent>();
  for (const event of events) {
    const key = `${event.type}/${event.reason}`;
    const previous = next[key];
    const record = previous && now - previous.last <= EVENT_AGGREGATE_WINDOW_MS ? { ...previous } : { seen: 0, last: now };
    record.seen = Math.min(EVENT_AGGREGATE_MAX, record.seen + 1);
    record.last = now;
    if (record.seen < EVENT_AGGREGATE_MAX) {
      next[key] = record;
      out.push(event);
      continue;
    }
    const exists = joined.get(key)?.aggregate?.exists ?? record.aggregate !== undefined;
    const aggregate = record.aggregate ? { ...record.aggregate, count: record.aggregate.count + 1 } : { ...newIdentity(), count: 1 };
    record.aggregate = aggregate;
    next[key] = record;
    const combined: CorrelatedEvent = { ...event, message: `${COMBINED_FROM_SIMILAR}${event.message}`, aggregate: { ...aggregate, exists } };
    const earlier = joined.get(key);
    if (earlier) out.splice(out.indexOf(earlier), 1);
    joined.set(key, combined);
    out.push(combined);
  }
  return { events: out, state: next };
}
