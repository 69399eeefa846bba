import { describe, expect, it } from 'vitest';
import { CRONJOB_COLUMNS, CRONJOB_COLUMN_DEFINITIONS, CRONJOB_WIDE_COLUMNS, cronJobRow } from './printers.js';
import type { CronJob } from './types.js';

const NOW = new Date('2026-01-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000).toISOString().replace('.000Z', 'Z');

function newCronJob(spec: Partial<CronJob['spec']> = {}, status: CronJob['status'] = {}): CronJob {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'hello', creationTimestamp: ago(3 * 3600 + 60) },
    spec: {
      schedule: '*/1 * * * *',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: {
        spec: {
          template: {
            spec: {
              restartPolicy: 'OnFailure',
              containers: [
                { name: 'hello', image: 'busybox' },
                { name: 'side', image: 'alpine:3' },
              ],
            },
          },
        },
      },
      ...spec,
    },
    status,
  };
}

describe('printCronJob (kubectl get cronjobs)', () => {
  it('has kubectl columns', () => {
    expect(CRONJOB_COLUMNS).toStrictEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
    expect(CRONJOB_WIDE_COLUMNS).toStrictEqual([...CRONJOB_COLUMNS, 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(CRONJOB_COLUMN_DEFINITIONS.map((c) => [c.name, c.type, c.priority])).toStrictEqual([
      ['Name', 'string', 0],
      ['Schedule', 'string', 0],
      ['Timezone', 'string', 0],
      ['Suspend', 'boolean', 0],
      ['Active', 'integer', 0],
      ['Last Schedule', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    expect(CRONJOB_COLUMN_DEFINITIONS[0]!.format).toBe('name');
  });

  it.each<[string, CronJob, (string | number)[]]>([
    ['never scheduled, no time zone', newCronJob(), ['hello', '*/1 * * * *', '<none>', 'False', 0, '<none>', '3h1m']],
    [
      'scheduled 75s ago, two active, suspended, in a time zone',
      newCronJob({ suspend: true, timeZone: 'Europe/Berlin' }, { lastScheduleTime: ago(75), active: [{ name: 'hello-1' }, { name: 'hello-2' }] }),
      ['hello', '*/1 * * * *', 'Europe/Berlin', 'True', 2, '75s', '3h1m'],
    ],
    ['last schedule 2m3s ago', newCronJob({}, { lastScheduleTime: ago(123) }), ['hello', '*/1 * * * *', '<none>', 'False', 0, '2m3s', '3h1m']],
    ['suspend unset', newCronJob({ suspend: undefined as unknown as boolean }), ['hello', '*/1 * * * *', '<none>', '<unset>', 0, '<none>', '3h1m']],
  ])('%s', (_name, cj, want) => {
    expect(cronJobRow(cj, NOW)).toStrictEqual(want);
  });

  it('wide: containers, images and the template selector', () => {
    expect(cronJobRow(newCronJob(), NOW, true).slice(7)).toStrictEqual(['hello,side', 'busybox,alpine:3', '<none>']);
    const withSelector = newCronJob();
    withSelector.spec.jobTemplate.spec.selector = { matchLabels: { b: '2', a: '1' } };
    expect(cronJobRow(withSelector, NOW, true).at(-1)).toBe('a=1,b=2');
  });
});
