/** The kubelet's event messages, rate limit and correlator, as pure decisions over the events they record. */
import { describe, expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { backOffMessage, goDuration, KubeletEventRecorder, kubeletPodName, type EventPlan, type KubeletEvent } from './kubelet-events.js';

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'pi-abcde', namespace: 'ns', uid: 'pod-uid', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true }] },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
  status: { phase: 'Running' },
};
const ev = (reason: string, at: number, message = `m-${reason}`): KubeletEvent => ({ type: 'Normal', reason, message, fieldPath: 'spec.containers{main}', at });
/** What the store is asked to write of each event: its name, count and first time (a count above 1 rewrites the event of that name). */
const recorded = (plan: EventPlan) => plan.events.map((r) => ({ name: r.details?.name, count: r.details?.count, firstTimestamp: r.details?.firstTimestamp, at: r.at }));

describe('kubelet event texts', () => {
  it.each([
    [0, '0s'],
    [250, '250ms'],
    [10_000, '10s'],
    [1_500, '1.5s'],
    [80_000, '1m20s'],
    [300_000, '5m0s'],
    [3_600_000, '1h0m0s'],
  ])('goDuration(%d) = %s', (ms, want) => expect(goDuration(ms)).toBe(want));

  it('names the pod and the back-off as the kubelet does', () => {
    expect(kubeletPodName(pod)).toBe('pi-abcde_ns(pod-uid)');
    expect(backOffMessage(20_000, 'main', pod)).toBe('back-off 20s restarting failed container=main pod=pi-abcde_ns(pod-uid)');
  });
});

describe('KubeletEventRecorder', () => {
  const recorder = (qps = 50, burst = 100, clock = () => 0) => new KubeletEventRecorder({ qps, burst, source: { component: 'kubelet', host: 'node-1' }, clock });

  it('records an event about the pod and its container, listed under its Job, from the kubelet of the node', () => {
    const plan = recorder().plan(pod, [ev('Started', 1_000, 'Started container main')]);
    expect(plan.events).toHaveLength(1);
    expect(plan.events[0]).toMatchObject({
      about: { apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'ns', name: 'pi-abcde', uid: 'pod-uid' } },
      jobUid: 'job-uid',
      event: { type: 'Normal', reason: 'Started', message: 'Started container main' },
      at: 1_000,
      source: { component: 'kubelet', host: 'node-1' },
      details: { fieldPath: 'spec.containers{main}', count: 1, firstTimestamp: '1970-01-01T00:00:01Z' },
    });
  });

  it('a repeat rewrites the first event with its count once the first was committed (the correlator), also within one batch', () => {
    const r = recorder();
    const first = r.plan(pod, [ev('BackOff', 1_000)]);
    const name = recorded(first)[0]?.name;
    // Not committed (its commit lost a race): the next plan records it anew.
    const lost = recorded(r.plan(pod, [ev('BackOff', 2_000)]))[0];
    expect(lost).toMatchObject({ count: 1 });
    expect(lost?.name).not.toBe(name);
    first.committed();
    const [second, third, other] = recorded(r.plan(pod, [ev('BackOff', 2_000), ev('BackOff', 3_000), ev('Other', 3_000)]));
    expect(second).toStrictEqual({ name, count: 2, firstTimestamp: '1970-01-01T00:00:01Z', at: 2_000 });
    expect(third).toStrictEqual({ name, count: 3, firstTimestamp: '1970-01-01T00:00:01Z', at: 3_000 });
    expect(other).toMatchObject({ count: 1 });
    expect(other?.name).not.toBe(name);
    r.forget('pod-uid');
    expect(recorded(r.plan(pod, [ev('BackOff', 4_000)]))[0]).toMatchObject({ count: 1, firstTimestamp: '1970-01-01T00:00:04Z' });
  });

  it('an event with another message or container is another event', () => {
    const r = recorder();
    const a = r.plan(pod, [ev('Pulled', 0, 'x')]);
    a.committed();
    const b = recorded(r.plan(pod, [ev('Pulled', 1, 'y'), { ...ev('Pulled', 1, 'x'), fieldPath: 'spec.initContainers{log}' }]));
    expect(b.map((e) => e.count)).toStrictEqual([1, 1]);
    expect(new Set([recorded(a)[0]?.name, ...b.map((e) => e.name)]).size).toBe(3);
  });

  it('keeps to the node rate: a burst, then qps a second; what is over it is dropped', () => {
    let now = 0;
    const r = recorder(2, 3, () => now);
    const many = (n: number) => Array.from({ length: n }, (_, i) => ev(`R${now}-${i}`, now));
    // Plans made at the same time (pods reporting together) share the rate.
    expect(r.plan(pod, many(2)).events).toHaveLength(2);
    expect(r.plan(pod, many(5)).events).toHaveLength(1);
    expect(r.plan(pod, many(5)).events).toHaveLength(0);
    now = 1_000;
    expect(r.plan(pod, many(5)).events).toHaveLength(2);
    now = 60_000;
    expect(r.plan(pod, many(5)).events).toHaveLength(3); // never more than the burst
  });

  it('records nothing for a pod without a Job (its events would have no owner to go with) or with qps 0 and burst 0', () => {
    expect(recorder().plan({ ...pod, metadata: { ...pod.metadata, ownerReferences: [] } }, [ev('Started', 0)]).events).toStrictEqual([]);
    expect(recorder(0, 0).plan(pod, [ev('Started', 0)]).events).toStrictEqual([]);
  });
});
