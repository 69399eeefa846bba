import type { CoreEvent, CronJob } from '@jobfleet/kube';
import { describe, expect, it } from 'vitest';
import { describeCronJob } from './describe.js';

const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'hello', namespace: 'default', uid: 'cj1', labels: { team: 'ops' }, annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' } },
  spec: {
    schedule: '*/1 * * * *',
    concurrencyPolicy: 'Forbid',
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      spec: {
        backoffLimit: 6,
        template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'hello', image: 'busybox', command: ['echo', 'Hello from jobfleet'] }] } },
      },
    },
  },
  status: { lastScheduleTime: '2025-06-01T12:04:00Z', active: [{ kind: 'Job', name: 'hello-29146324', namespace: 'default', uid: 'j1' }] },
};

const NOW = new Date('2025-06-01T12:05:00Z');

function event(reason: string, message: string, at: string, type = 'Normal'): CoreEvent {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: `hello.${reason}` },
    involvedObject: { kind: 'CronJob', name: 'hello', namespace: 'default', uid: 'cj1' },
    reason,
    message,
    source: { component: 'cronjob-controller' },
    firstTimestamp: at,
    lastTimestamp: at,
    count: 1,
    type,
  };
}

describe('describeCronJob', () => {
  it('lays the CronJob out like kubectl describe cronjob', () => {
    const events = [event('SuccessfulCreate', 'Created job hello-29146324', '2025-06-01T12:04:00Z')];
    expect(describeCronJob(cronJob, events, { utcOffsetMinutes: 0, now: NOW })).toBe(
      [
        'Name:                          hello',
        'Namespace:                     default',
        'Labels:                        team=ops',
        'Annotations:                   <none>',
        'Schedule:                      */1 * * * *',
        'Concurrency Policy:            Forbid',
        'Suspend:                       False',
        'Successful Job History Limit:  3',
        'Failed Job History Limit:      1',
        'Starting Deadline Seconds:     <unset>',
        'Selector:                      <unset>',
        'Parallelism:                   <unset>',
        'Completions:                   <unset>',
        'Pod Template:',
        '  Labels:  <none>',
        '  Containers:',
        '   hello:',
        '    Image:      busybox',
        '    Port:       <none>',
        '    Host Port:  <none>',
        '    Command:',
        '      echo',
        '      Hello from jobfleet',
        '    Environment:     <none>',
        '    Mounts:          <none>',
        '  Volumes:           <none>',
        '  Node-Selectors:    <none>',
        '  Tolerations:       <none>',
        'Last Schedule Time:  Sun, 01 Jun 2025 12:04:00 +0000',
        'Active Jobs:         hello-29146324',
        'Events:',
        '  Type    Reason            Age   From                Message',
        '  ----    ------            ----  ----                -------',
        '  Normal  SuccessfulCreate  60s   cronjob-controller  Created job hello-29146324',
        '',
      ].join('\n'),
    );
  });

  it('prints the set limits, deadline, parallelism and selector; <unset> and <none> otherwise', () => {
    const spec = { ...cronJob.spec, startingDeadlineSeconds: 200, suspend: true };
    const template = { ...spec.jobTemplate, spec: { ...spec.jobTemplate.spec, parallelism: 2, completions: 4, activeDeadlineSeconds: 30, selector: { matchLabels: { a: 'b' } } } };
    const text = describeCronJob({ ...cronJob, spec: { ...spec, jobTemplate: template }, status: {} }, []);
    expect(text).toMatch(/^Suspend: +True$/m);
    expect(text).toMatch(/^Starting Deadline Seconds: +200s$/m);
    expect(text).toMatch(/^Selector: +a=b$/m);
    expect(text).toMatch(/^Parallelism: +2$/m);
    expect(text).toMatch(/^Completions: +4$/m);
    expect(text).toMatch(/^Active Deadline Seconds: +30s$/m);
    expect(text).toMatch(/^Last Schedule Time: +<unset>$/m);
    expect(text).toMatch(/^Active Jobs: +<none>$/m);
    expect(text).toMatch(/\nEvents:\s+<none>\n$/);
  });

  it('lists several active Jobs on one line, comma-separated', () => {
    const text = describeCronJob({ ...cronJob, status: { active: [{ name: 'a' }, { name: 'b' }] } }, []);
    expect(text).toMatch(/^Active Jobs: +a, b$/m);
  });
});
