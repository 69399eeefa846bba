/** The kubelet's event messages, rate limit and correlator, as pure decisions over the writes they make. */
import { describe, expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { redisKeys } from '@jobfleet/store';
import type { JobStore, WriteOp } from '@jobfleet/store';
import { backOffMessage, goDuration, KubeletEventRecorder, kubeletPodName, type KubeletEvent } from './kubelet-events.js';

// eventOps reads only the key layout of the store: a stand-in with the real layout.
const store = { keys: redisKeys('jf') } as unknown as JobStore;
const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'pi-abcde', namespace: 'ns', uid: 'pod-uid', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true }] },
  spec: { containers: [{ name: 'main', image: 'busybox' }] },
  status: { phase: 'Running' },
};
const ev = (reason: string, at: number, message = `m-${reason}`): KubeletEvent => ({ type: 'Normal', reason, message, fieldPath: 'spec.containers{main}', at });
const puts = (ops: WriteOp[]) => ops.filter((o): o is Extract<WriteOp, { op: 'put' }> => o.op === 'put').map((o) => ({ name: o.name, expect: o.expect, obj: JSON.parse(o.obj) as Record<string, unknown> }));

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
    const plan = recorder().plan(store, pod, [ev('Started', 1_000, 'Started container main')]);
    const [put] = puts(plan.ops);
    expect(put?.expect).toBe('');
    expect(put?.obj).toMatchObject({
      reason: 'Started',
      message: 'Started container main',
      type: 'Normal',
      count: 1,
      source: { component: 'kubelet', host: 'node-1' },
      involvedObject: { kind: 'Pod', namespace: 'ns', name: 'pi-abcde', uid: 'pod-uid', fieldPath: 'spec.containers{main}' },
      firstTimestamp: '1970-01-01T00:00:01Z',
    });
    expect(plan.ops).toContainEqual({ op: 'sadd', key: store.keys.jobEvents('job-uid'), member: put?.name });
    expect(plan.ops).toContainEqual({ op: 'zadd', key: store.keys.events('ns'), member: put?.name });
  });

  it('a repeat rewrites the first event with its count once the first was committed (the correlator), also within one batch', () => {
    const r = recorder();
    const first = r.plan(store, pod, [ev('BackOff', 1_000)]);
    const name = puts(first.ops)[0]?.name;
    // Not committed (its commit lost a race): the next plan records it anew.
    expect(puts(r.plan(store, pod, [ev('BackOff', 2_000)]).ops)[0]).toMatchObject({ expect: '' });
    first.committed();
    const again = r.plan(store, pod, [ev('BackOff', 2_000), ev('BackOff', 3_000), ev('Other', 3_000)]);
    const [second, third, other] = puts(again.ops);
    expect(second).toMatchObject({ name, expect: '*', obj: { count: 2, firstTimestamp: '1970-01-01T00:00:01Z', lastTimestamp: '1970-01-01T00:00:02Z' } });
    expect(third).toMatchObject({ name, expect: '*', obj: { count: 3, lastTimestamp: '1970-01-01T00:00:03Z' } });
    expect(other?.name).not.toBe(name);
    // Each event, a repeat too, is listed under its namespace and Job (idempotent: a repeat's listing may have been trimmed since).
    expect(again.ops.filter((o) => o.op !== 'put')).toHaveLength(6);
    again.committed();
    r.forget('pod-uid');
    expect(puts(r.plan(store, pod, [ev('BackOff', 4_000)]).ops)[0]).toMatchObject({ expect: '', obj: { count: 1 } });
  });

  it('an event with another message or container is another event', () => {
    const r = recorder();
    const a = r.plan(store, pod, [ev('Pulled', 0, 'x')]);
    a.committed();
    const b = puts(r.plan(store, pod, [ev('Pulled', 1, 'y'), { ...ev('Pulled', 1, 'x'), fieldPath: 'spec.initContainers{log}' }]).ops);
    expect(b.map((p) => p.expect)).toStrictEqual(['', '']);
  });

  it('keeps to the node rate: a burst, then qps a second; what is over it is dropped', () => {
    let now = 0;
    const r = recorder(2, 3, () => now);
    const many = (n: number) => Array.from({ length: n }, (_, i) => ev(`R${now}-${i}`, now));
    // Plans made at the same time (pods reporting together) share the rate.
    expect(puts(r.plan(store, pod, many(2)).ops)).toHaveLength(2);
    expect(puts(r.plan(store, pod, many(5)).ops)).toHaveLength(1);
    expect(puts(r.plan(store, pod, many(5)).ops)).toHaveLength(0);
    now = 1_000;
    expect(puts(r.plan(store, pod, many(5)).ops)).toHaveLength(2);
    now = 60_000;
    expect(puts(r.plan(store, pod, many(5)).ops)).toHaveLength(3); // never more than the burst
  });

  it('records nothing for a pod without a Job (its events would have no owner to go with) or with qps 0 and burst 0', () => {
    expect(recorder().plan(store, { ...pod, metadata: { ...pod.metadata, ownerReferences: [] } }, [ev('Started', 0)]).ops).toStrictEqual([]);
    expect(recorder(0, 0).plan(store, pod, [ev('Started', 0)]).ops).toStrictEqual([]);
  });
});
