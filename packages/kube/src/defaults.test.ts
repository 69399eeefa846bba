import { describe, expect, it } from 'vitest';
import { applyJobDefaults, DEFAULT_NAMESPACE } from './defaults.js';
import type { Job, JobSpec } from './types.js';

function newJob(spec: Partial<JobSpec> = {}, extra: Partial<Job> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi' },
    spec: { template: { spec: { containers: [{ name: 'pi', image: 'busybox' }] } }, ...spec },
    ...extra,
  };
}

describe('applyJobDefaults', () => {
  it.each<{ name: string; spec: Partial<JobSpec>; want: Partial<JobSpec> }>([
    {
      name: 'nothing set: one pod to success',
      spec: {},
      // podReplacementPolicy: jobfleet's default is Failed (Kubernetes': TerminatingOrFailed), see defaults.ts.
      want: { completions: 1, parallelism: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'Failed' },
    },
    { name: 'TerminatingOrFailed asked for is kept', spec: { podReplacementPolicy: 'TerminatingOrFailed' }, want: { podReplacementPolicy: 'TerminatingOrFailed' } },
    { name: 'backoffLimitPerIndex: backoffLimit defaults to MaxInt32', spec: { backoffLimitPerIndex: 1 }, want: { backoffLimit: 2147483647 } },
    { name: 'backoffLimitPerIndex with a backoffLimit keeps it', spec: { backoffLimitPerIndex: 1, backoffLimit: 3 }, want: { backoffLimit: 3 } },
    {
      name: 'an onPodConditions pattern without status means True',
      spec: { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }, { type: 'X', status: 'False' }] }] } },
      want: { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }, { type: 'X', status: 'False' }] }] } },
    },
    { name: 'parallelism alone: a work queue', spec: { parallelism: 3 }, want: { completions: undefined, parallelism: 3 } },
    { name: 'completions alone', spec: { completions: 5 }, want: { completions: 5, parallelism: 1 } },
    { name: 'null completions counts as unset', spec: { completions: null }, want: { completions: 1, parallelism: 1 } },
    {
      name: 'set values are kept',
      spec: { completions: 4, parallelism: 2, backoffLimit: 0, completionMode: 'Indexed', suspend: true, podReplacementPolicy: 'Failed' },
      want: { completions: 4, parallelism: 2, backoffLimit: 0, completionMode: 'Indexed', suspend: true, podReplacementPolicy: 'Failed' },
    },
    { name: 'zero parallelism is kept', spec: { parallelism: 0 }, want: { completions: undefined, parallelism: 0 } },
  ])('$name', ({ spec, want }) => {
    const defaulted = applyJobDefaults(newJob(spec)).spec;
    for (const [key, value] of Object.entries(want)) expect(defaulted[key as keyof JobSpec]).toStrictEqual(value);
    expect(defaulted.manualSelector).toBeUndefined();
  });

  it('defaults the pod template', () => {
    const job = newJob({
      template: {
        spec: {
          containers: [{ name: 'a', image: 'busybox', env: [{ name: 'N', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] }],
          initContainers: [{ name: 'b', image: 'busybox', imagePullPolicy: 'Never' }],
          volumes: [{ name: 'scratch' }],
        },
      },
    });
    const pod = applyJobDefaults(job).spec.template.spec;
    expect(pod.restartPolicy).toBe('Always');
    expect(pod.terminationGracePeriodSeconds).toBe(30);
    expect(pod.containers[0]?.imagePullPolicy).toBe('IfNotPresent');
    expect(pod.containers[0]?.env?.[0]?.valueFrom?.fieldRef?.apiVersion).toBe('v1');
    expect(pod.initContainers?.[0]?.imagePullPolicy).toBe('Never');
    expect(pod.volumes?.[0]?.emptyDir).toStrictEqual({});
  });

  it('gives a Job without labels its template labels', () => {
    const job = newJob({ template: { metadata: { labels: { app: 'pi' } }, spec: { containers: [] } } });
    expect(applyJobDefaults(job).metadata.labels).toStrictEqual({ app: 'pi' });
    const labelled = { ...job, metadata: { name: 'pi', labels: { team: 'a' } } };
    expect(applyJobDefaults(labelled).metadata.labels).toStrictEqual({ team: 'a' });
  });

  it('sets the namespace only when asked', () => {
    expect(applyJobDefaults(newJob()).metadata.namespace).toBeUndefined();
    expect(applyJobDefaults(newJob(), { namespace: DEFAULT_NAMESPACE }).metadata.namespace).toBe('default');
    const placed = newJob({}, { metadata: { name: 'pi', namespace: 'team-a' } });
    expect(applyJobDefaults(placed, { namespace: DEFAULT_NAMESPACE }).metadata.namespace).toBe('team-a');
  });

  it('returns a new object and leaves its argument alone', () => {
    const job = newJob();
    const before = structuredClone(job);
    const defaulted = applyJobDefaults(job);
    expect(job).toStrictEqual(before);
    expect(defaulted).not.toBe(job);
    expect(applyJobDefaults(defaulted)).toStrictEqual(defaulted);
  });
});
