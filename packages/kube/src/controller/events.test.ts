import { describe, expect, it } from 'vitest';
import { COMBINED_FROM_SIMILAR, correlateEvents, EVENT_AGGREGATE_WINDOW_MS, type EventAggregates } from './events.js';
import type { JobEvent } from './sync.js';

const created = (i: number): JobEvent => ({ type: 'Normal', reason: 'SuccessfulCreate', message: `Created pod: p-${i}` });
let ids = 0;
const identity = () => ({ name: `agg-${++ids}`, uid: `uid-${ids}`, firstTimestamp: 'T' });

describe('correlateEvents (client-go EventAggregator, maxEvents 10 in 10 minutes)', () => {
  it('records 9 similar events one by one, then one aggregate whose count grows, in one write per call', () => {
    const first = correlateEvents([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map(created), undefined, 1_000, identity);
    expect(first.events.map((e) => e.message)).toStrictEqual([...[1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => `Created pod: p-${i}`), `${COMBINED_FROM_SIMILAR}Created pod: p-12`]);
    const aggregate = first.events[9]?.aggregate;
    expect(aggregate).toMatchObject({ count: 3, exists: false });
    // The next sync: the same aggregate, rewritten.
    const second = correlateEvents([13, 14].map(created), first.state, 2_000, identity);
    expect(second.events).toHaveLength(1);
    expect(second.events[0]).toMatchObject({ message: `${COMBINED_FROM_SIMILAR}Created pod: p-14`, aggregate: { name: aggregate?.name, uid: aggregate?.uid, count: 5, exists: true } });
  });

  it('keys by type and reason: other reasons are counted apart and pass through', () => {
    const events: JobEvent[] = [...[1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(created), { type: 'Normal', reason: 'Completed', message: 'Job completed' }, { type: 'Warning', reason: 'SuccessfulCreate', message: 'odd' }];
    const { events: out } = correlateEvents(events, undefined, 0, identity);
    expect(out.map((e) => e.reason)).toStrictEqual([...Array(9).fill('SuccessfulCreate'), 'SuccessfulCreate', 'Completed', 'SuccessfulCreate']);
    expect(out[10]?.aggregate).toBeUndefined();
    expect(out[11]).toStrictEqual({ type: 'Warning', reason: 'SuccessfulCreate', message: 'odd' });
  });

  it('starts over after 10 minutes without a similar event', () => {
    const { state } = correlateEvents([1, 2, 3, 4, 5, 6, 7, 8, 9, 10].map(created), undefined, 0, identity);
    const later = correlateEvents([11].map(created), state, EVENT_AGGREGATE_WINDOW_MS + 1, identity);
    expect(later.events).toStrictEqual([created(11)]);
    expect(later.state['Normal/SuccessfulCreate']).toStrictEqual({ seen: 1, last: EVENT_AGGREGATE_WINDOW_MS + 1 });
    const within = correlateEvents([11].map(created), state, EVENT_AGGREGATE_WINDOW_MS, identity);
    expect(within.events[0]?.aggregate).toMatchObject({ count: 2, exists: true });
  });

  it('leaves the state it was given as it was', () => {
    const state: EventAggregates = { 'Normal/SuccessfulCreate': { seen: 9, last: 0 } };
    correlateEvents([created(1)], state, 1, identity);
    expect(state).toStrictEqual({ 'Normal/SuccessfulCreate': { seen: 9, last: 0 } });
  });
});
