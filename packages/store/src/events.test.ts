/** How an event the roles hand over (EventRecord) is written: a new one, a repeat, and where each is listed. */
import { describe, expect, it } from 'vitest';
import { newPodForJob, type Job, type Pod } from '@jobfleet/kube';
import { eventOps, type EventRecord } from './events.js';
import { redisKeys } from './keys.js';
import type { JobStore, WriteOp } from './store.js';

// eventOps reads only the key layout of the store: a stand-in with the real layout.
const store = { keys: redisKeys('jf') } as unknown as JobStore;
const job: Job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid' },
  spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] } } },
};
const pod: Pod = newPodForJob(job, { name: 'pi-abcde', uid: 'pod-uid', now: 0 });
const record = (details: EventRecord['details'] = {}): EventRecord => ({
  about: pod,
  jobUid: 'job-uid',
  event: { type: 'Normal', reason: 'Started', message: 'Started container main' },
  at: 2_000,
  source: { component: 'kubelet', host: 'node-1' },
  details,
});
const puts = (ops: WriteOp[]) => ops.filter((o): o is Extract<WriteOp, { op: 'put' }> => o.op === 'put').map((o) => ({ name: o.name, expect: o.expect, obj: JSON.parse(o.obj) as Record<string, unknown> }));

describe('eventOps', () => {
  it('writes a new event about the pod and its container (it must not exist), listed under its namespace and its Job', () => {
    const ops = eventOps(store, [record({ fieldPath: 'spec.containers{main}', name: 'pi-abcde.1', uid: 'ev-uid' })]);
    expect(puts(ops)).toStrictEqual([
      {
        name: 'pi-abcde.1',
        expect: '',
        obj: expect.objectContaining({
          metadata: { name: 'pi-abcde.1', namespace: 'ns', uid: 'ev-uid', creationTimestamp: '1970-01-01T00:00:02Z', resourceVersion: '__RV__' },
          involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace: 'ns', name: 'pi-abcde', uid: 'pod-uid', fieldPath: 'spec.containers{main}' },
          reason: 'Started',
          source: { component: 'kubelet', host: 'node-1' },
          reportingComponent: 'kubelet',
          reportingInstance: 'node-1',
          count: 1,
          firstTimestamp: '1970-01-01T00:00:02Z',
          lastTimestamp: '1970-01-01T00:00:02Z',
        }),
      },
    ]);
    expect(ops).toContainEqual({ op: 'zadd', key: store.keys.events('ns'), member: 'pi-abcde.1' });
    expect(ops).toContainEqual({ op: 'sadd', key: store.keys.jobEvents('job-uid'), member: 'pi-abcde.1' });
  });

  it('a repeat (count above 1) rewrites the event of its name whatever its version, and lists it again (its listing may have been trimmed)', () => {
    const ops = eventOps(store, [record({ name: 'pi-abcde.1', uid: 'ev-uid', count: 3, firstTimestamp: '1970-01-01T00:00:01Z' })]);
    expect(puts(ops)).toStrictEqual([{ name: 'pi-abcde.1', expect: '*', obj: expect.objectContaining({ count: 3, firstTimestamp: '1970-01-01T00:00:01Z', lastTimestamp: '1970-01-01T00:00:02Z' }) }]);
    expect(ops.filter((o) => o.op !== 'put')).toHaveLength(2);
  });

  it('names a new event without a name after what it is about, each one anew; no records, no writes', () => {
    const [a, b] = puts(eventOps(store, [record(), record()]));
    expect(a?.name).toMatch(/^pi-abcde\.[0-9a-f]{12}[a-z0-9]{6}$/);
    expect(b?.name).not.toBe(a?.name);
    expect(eventOps(store, [])).toStrictEqual([]);
  });
});
