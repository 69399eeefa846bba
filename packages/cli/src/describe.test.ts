import type { CoreEvent, Job, Pod } from '@jobfleet/kube';
import { describe, expect, it } from 'vitest';
import { describeJob, formatRFC1123Z, podsStatuses } from './describe.js';

const job: Job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: {
    name: 'echo-job',
    namespace: 'default',
    uid: 'u1',
    labels: { 'batch.kubernetes.io/job-name': 'echo-job', 'batch.kubernetes.io/controller-uid': 'u1' },
    annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
  },
  spec: {
    parallelism: 1,
    completions: 5,
    completionMode: 'NonIndexed',
    suspend: false,
    backoffLimit: 6,
    selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u1' } },
    template: {
      metadata: { labels: { 'batch.kubernetes.io/job-name': 'echo-job', 'batch.kubernetes.io/controller-uid': 'u1' } },
      spec: { restartPolicy: 'OnFailure', containers: [{ name: 'echo', image: 'busybox', command: ['echo', 'Running in a job'], env: [{ name: 'GREETING', value: 'hi' }] }] },
    },
  },
  status: {
    succeeded: 5,
    ready: 0,
    startTime: '2025-06-01T12:00:00Z',
    completionTime: '2025-06-01T12:00:12Z',
    conditions: [
      { type: 'SuccessCriteriaMet', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
      { type: 'Complete', status: 'True', reason: 'CompletionsReached', message: 'Reached expected number of succeeded pods' },
    ],
  },
};

const pod: Pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'echo-job-x7k2p' },
  spec: { containers: [{ name: 'echo', image: 'busybox' }], nodeName: 'node-1' },
  status: { phase: 'Succeeded', containerStatuses: [{ name: 'echo', image: 'busybox', ready: false, restartCount: 0, state: { terminated: { exitCode: 0, reason: 'Completed' } } }] },
};

const NOW = new Date('2025-06-01T12:05:00Z');

function event(reason: string, message: string, at: string, extra: Partial<CoreEvent> = {}): CoreEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `echo-job.${reason}` },
    involvedObject: { kind: 'Job', name: 'echo-job', namespace: 'default', uid: 'u1' },
    reason,
    message,
    source: { component: 'job-controller' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type: 'Normal',
    ...extra,
  };
}

const events = [event('Completed', 'Job completed', '2025-06-01T12:00:12Z'), event('SuccessfulCreate', 'Created pod: echo-job-x7k2p', '2025-06-01T12:00:00Z')];

describe('describeJob', () => {
  it('lays the Job out like kubectl describe job, then its conditions, pods and events', () => {
    expect(describeJob(job, [pod], events, { utcOffsetMinutes: 0, now: NOW })).toBe(
      [
        'Name:             echo-job',
        'Namespace:        default',
        'Selector:         batch.kubernetes.io/controller-uid=u1',
        'Labels:           batch.kubernetes.io/controller-uid=u1',
        '                  batch.kubernetes.io/job-name=echo-job',
        'Annotations:      <none>',
        'Parallelism:      1',
        'Completions:      5',
        'Completion Mode:  NonIndexed',
        'Suspend:          false',
        'Backoff Limit:    6',
        'Start Time:       Sun, 01 Jun 2025 12:00:00 +0000',
        'Completed At:     Sun, 01 Jun 2025 12:00:12 +0000',
        'Duration:         12s',
        'Pods Statuses:    0 Active (0 Ready) / 5 Succeeded / 0 Failed',
        'Pod Template:',
        '  Labels:  batch.kubernetes.io/controller-uid=u1',
        '           batch.kubernetes.io/job-name=echo-job',
        '  Containers:',
        '   echo:',
        '    Image:      busybox',
        '    Port:       <none>',
        '    Host Port:  <none>',
        '    Command:',
        '      echo',
        '      Running in a job',
        '    Environment:',
        '      GREETING:    hi',
        '    Mounts:        <none>',
        '  Volumes:         <none>',
        '  Node-Selectors:  <none>',
        '  Tolerations:     <none>',
        'Conditions:',
        '  Type                Status  Reason              Message',
        '  ----                ------  ------              -------',
        '  SuccessCriteriaMet  True    CompletionsReached  Reached expected number of succeeded pods',
        '  Complete            True    CompletionsReached  Reached expected number of succeeded pods',
        'Pods:',
        '  Name            Phase      Status     Node',
        '  ----            -----      ------     ----',
        '  echo-job-x7k2p  Succeeded  Completed  node-1',
        'Events:',
        '  Type    Reason            Age    From            Message',
        '  ----    ------            ----   ----            -------',
        '  Normal  SuccessfulCreate  5m     job-controller  Created pod: echo-job-x7k2p',
        '  Normal  Completed         4m48s  job-controller  Job completed',
        '',
      ].join('\n'),
    );
  });

  it('says <unset> for a work-queue Job and <none> without pods, conditions or events', () => {
    const queue: Job = { ...job, spec: { ...job.spec, completions: null }, status: {} };
    const text = describeJob(queue, [], []);
    expect(text).toContain('Completions:      <unset>');
    expect(text).toContain('Pods Statuses:    0 Active / 0 Succeeded / 0 Failed');
    expect(text).toMatch(/\nConditions:\s+<none>\n/);
    expect(text).toMatch(/\nPods:\s+<none>\n/);
    expect(text).toMatch(/\nEvents:\s+<none>\n$/);
  });

  it("lists the template's node selector as kubectl does, one label a line", () => {
    const pinned: Job = { ...job, spec: { ...job.spec, template: { ...job.spec.template, spec: { ...job.spec.template.spec, nodeSelector: { 'kubernetes.io/os': 'linux', disk: 'ssd' } } } } };
    const lines = describeJob(pinned, [], []).split('\n');
    const at = lines.findIndex((l) => l.startsWith('  Node-Selectors:'));
    expect(lines.slice(at, at + 3).map((l) => l.trim().split(/\s+/))).toStrictEqual([['Node-Selectors:', 'disk=ssd'], ['kubernetes.io/os=linux'], ['Tolerations:', '<none>']]);
  });

  it('adds the failure- and success-handling fields that are set, after the completed indexes', () => {
    const indexed: Job = {
      ...job,
      spec: {
        ...job.spec,
        completionMode: 'Indexed',
        backoffLimitPerIndex: 1,
        maxFailedIndexes: 2,
        podFailurePolicy: {
          rules: [
            { action: 'FailIndex', onExitCodes: { containerName: 'echo', operator: 'In', values: [3, 4] } },
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
          ],
        },
        successPolicy: { rules: [{ succeededIndexes: '0-2', succeededCount: 2 }] },
        managedBy: 'example.com/custom',
      },
      status: { ...job.status, completedIndexes: '0,2', failedIndexes: '1,3' },
    };
    const text = describeJob(indexed, [], [], { utcOffsetMinutes: 0, now: NOW });
    const from = text.indexOf('Completed Indexes:');
    expect(text.slice(from, text.indexOf('Pod Template:'))).toBe(
      [
        'Completed Indexes:        0,2',
        'Backoff Limit Per Index:  1',
        'Max Failed Indexes:       2',
        'Failed Indexes:           1,3',
        'Managed By:               example.com/custom',
        'Pod Failure Policy:',
        '  Rule 0:  FailIndex on exit codes In [3, 4] of container echo',
        '  Rule 1:  Ignore on pod conditions DisruptionTarget=True',
        'Success Policy:',
        '  Rule 0:  succeededIndexes 0-2, succeededCount 2',
        '',
      ].join('\n'),
    );
  });

  it("shows a repeated event's count and span as kubectl does", () => {
    const repeated = event('BackoffLimitExceeded', 'Job has reached the specified backoff limit\n', '2025-06-01T12:00:00Z', { count: 3, lastTimestamp: '2025-06-01T12:04:00Z', type: 'Warning' });
    const text = describeJob(job, [], [repeated], { now: NOW });
    expect(text).toContain('  Warning  BackoffLimitExceeded  60s (x3 over 5m)  job-controller  Job has reached the specified backoff limit\n');
  });
});

describe('podsStatuses', () => {
  it.each([
    { status: { active: 2, ready: 1, succeeded: 3, failed: 1 }, want: '2 Active (1 Ready) / 3 Succeeded / 1 Failed' },
    { status: { active: 1 }, want: '1 Active / 0 Succeeded / 0 Failed' },
  ])('$want', ({ status, want }) => {
    expect(podsStatuses({ ...job, status })).toBe(want);
  });
});

describe('formatRFC1123Z', () => {
  it.each([
    { offset: 0, want: 'Sun, 01 Jun 2025 12:00:00 +0000' },
    { offset: 120, want: 'Sun, 01 Jun 2025 14:00:00 +0200' },
    { offset: -330, want: 'Sun, 01 Jun 2025 06:30:00 -0530' },
  ])('offset $offset → $want', ({ offset, want }) => {
    expect(formatRFC1123Z('2025-06-01T12:00:00Z', { utcOffsetMinutes: offset })).toBe(want);
  });
});
