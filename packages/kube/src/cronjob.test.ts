import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decodeCronJobStatus, parseCronJob, validateCronJobUpdate } from './cronjob.js';
import { parseManifests } from './parse.js';
import { BadRequestError, InvalidError } from './errors.js';
import { formatFieldError } from './field-errors.js';
import type { CronJob } from './types.js';

type Manifest = Record<string, unknown>;

/** validation_test.go's valid CronJob: schedule "* * * * ?", Allow, a template with restartPolicy OnFailure. */
function manifest(spec: Manifest = {}, metadata: Manifest = {}, template: Manifest = {}): Manifest {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'mycronjob', namespace: 'default', ...metadata },
    spec: {
      schedule: '* * * * ?',
      concurrencyPolicy: 'Allow',
      jobTemplate: {
        spec: {
          template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } },
          ...template,
        },
      },
      ...spec,
    },
  };
}

function errorsOf(input: unknown, old?: CronJob): string[] {
  try {
    parseCronJob(input, { old });
  } catch (err) {
    if (!(err instanceof InvalidError)) throw err;
    return err.errors.map(formatFieldError);
  }
  return [];
}

describe('parseCronJob defaults (SetDefaults_CronJob, pod defaults of the template)', () => {
  it('fills the CronJob defaults and only the pod defaults of the jobTemplate', () => {
    const cj = parseCronJob(manifest({ concurrencyPolicy: undefined }));
    expect(cj.spec).toMatchObject({
      schedule: '* * * * ?',
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(cj.spec.timeZone).toBeUndefined();
    expect(cj.spec.startingDeadlineSeconds).toBeUndefined();
    const template = cj.spec.jobTemplate.spec;
    // as Kubernetes: no Job defaults (nor a selector) in a template; each Job gets them when created
    expect(template.completions).toBeUndefined();
    expect(template.parallelism).toBeUndefined();
    expect(template.backoffLimit).toBeUndefined();
    expect(template.selector).toBeUndefined();
    expect(template.template.spec.terminationGracePeriodSeconds).toBe(30);
    expect(template.template.spec.containers[0]!.imagePullPolicy).toBe('IfNotPresent');
  });

  it('keeps what is set, and a namespace option only when the manifest has none', () => {
    const cj = parseCronJob(
      manifest({ suspend: true, successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 5, concurrencyPolicy: 'Forbid', timeZone: 'Europe/Berlin', startingDeadlineSeconds: 0 }, { namespace: undefined }),
      { namespace: 'team-a' },
    );
    expect(cj.metadata.namespace).toBe('team-a');
    expect(cj.spec).toMatchObject({ suspend: true, successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 5, concurrencyPolicy: 'Forbid', timeZone: 'Europe/Berlin', startingDeadlineSeconds: 0 });
  });

  it('drops a status and reads null as unset', () => {
    const cj = parseCronJob({ ...manifest({ startingDeadlineSeconds: null }), status: { active: [{ name: 'x' }] } });
    expect(cj.status).toBeUndefined();
    expect(cj.spec.startingDeadlineSeconds).toBeUndefined();
  });
});

describe('examples/cronjob.yaml', () => {
  it('parses, defaults and validates', () => {
    const [manifest, ...rest] = parseManifests(readFileSync(new URL('../../../examples/cronjob.yaml', import.meta.url), 'utf8'));
    expect(rest).toHaveLength(0);
    const cj = parseCronJob(manifest);
    expect(cj.spec).toMatchObject({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect(cj.spec.jobTemplate.spec.template.spec.restartPolicy).toMatch(/^(OnFailure|Never)$/);
  });
});

describe('parseCronJob: 400 for what is not a batch/v1 CronJob', () => {
  it.each([
    [[], 'expected a CronJob object, got a list'],
    [{ apiVersion: 'batch/v1' }, "Object 'Kind' is missing in"],
    [{ kind: 'CronJob' }, "Object 'apiVersion' is missing in"],
    [{ apiVersion: 'batch/v1beta1', kind: 'CronJob' }, 'the API version in the data (batch/v1beta1) does not match the expected API version (batch/v1)'],
    [{ apiVersion: 'batch/v1', kind: 'Job' }, 'the kind in the data (Job) does not match the expected kind (CronJob)'],
  ])('%j', (input, message) => {
    expect(() => parseCronJob(input)).toThrow(BadRequestError);
    expect(() => parseCronJob(input)).toThrow(message);
  });
});

describe('parseCronJob: validation_test.go TestValidateCronJob', () => {
  it.each([
    ['mycronjob', manifest()],
    ['non-standard-scheduled', manifest({ schedule: '@hourly' })],
    ['correct-time-zone', manifest({ timeZone: 'America/New_York' })],
    ['every', manifest({ schedule: '@every 1h30m' })],
    ['52 characters', manifest({}, { name: 'a'.repeat(52) })],
    ['UTC', manifest({ timeZone: 'UTC' })],
    ['zero limits', manifest({ startingDeadlineSeconds: 0, successfulJobsHistoryLimit: 0, failedJobsHistoryLimit: 0 })],
    ['Replace', manifest({ concurrencyPolicy: 'Replace' })],
  ])('%s is valid', (_name, input) => {
    expect(errorsOf(input)).toStrictEqual([]);
  });

  it.each<[string, Manifest, string[]]>([
    ['schedule missing', manifest({ schedule: undefined }), ['spec.schedule: Required value']],
    ['schedule empty', manifest({ schedule: '' }), ['spec.schedule: Required value']],
    ['bad schedule', manifest({ schedule: 'error' }), ['spec.schedule: Invalid value: "error": expected exactly 5 fields, found 1: [error]']],
    ['seconds field', manifest({ schedule: '0 * * * * *' }), ['spec.schedule: Invalid value: "0 * * * * *": expected exactly 5 fields, found 6: [0 * * * * *]']],
    ['L', manifest({ schedule: '0 0 L * *' }), ['spec.schedule: Invalid value: "0 0 L * *": failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax']],
    ['out of range', manifest({ schedule: '0 25 * * *' }), ['spec.schedule: Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25']],
    ['TZ= in schedule', manifest({ schedule: 'TZ=UTC 0 * * * *' }), ['spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    ['CRON_TZ= in schedule', manifest({ schedule: 'CRON_TZ=UTC 0 * * * *' }), ['spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead']],
    [
      'TZ= with a bad zone',
      manifest({ schedule: 'TZ=Mars/Base 0 * * * *' }),
      [
        'spec.schedule: Invalid value: "TZ=Mars/Base 0 * * * *": provided bad location Mars/Base: unknown time zone Mars/Base',
        'spec.schedule: Invalid value: "TZ=Mars/Base 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ],
    ],
    ['empty time zone', manifest({ timeZone: '' }), ['spec.timeZone: Invalid value: "": timeZone must be nil or non-empty string']],
    ['Local', manifest({ timeZone: 'Local' }), ['spec.timeZone: Invalid value: "Local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones']],
    [
      'local',
      manifest({ timeZone: 'local' }),
      ['spec.timeZone: Invalid value: "local": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones', 'spec.timeZone: Invalid value: "local": unknown time zone local'],
    ],
    ['wrong case', manifest({ timeZone: 'AMERICA/new_york' }), ['spec.timeZone: Invalid value: "AMERICA/new_york": unknown time zone AMERICA/new_york']],
    ['unknown zone', manifest({ timeZone: 'Continent/InvalidZone' }), ['spec.timeZone: Invalid value: "Continent/InvalidZone": unknown time zone Continent/InvalidZone']],
    ['leading space', manifest({ timeZone: ' America/New_York' }), ['spec.timeZone: Invalid value: " America/New_York": unknown time zone  America/New_York']],
    ['dot dot', manifest({ timeZone: '../Asia/Tokyo' }), ['spec.timeZone: Invalid value: "../Asia/Tokyo": unknown time zone ../Asia/Tokyo']],
    ['leading dash', manifest({ timeZone: 'Asia/-Tokyo' }), ['spec.timeZone: Invalid value: "Asia/-Tokyo": unknown time zone Asia/-Tokyo']],
    ['part too long', manifest({ timeZone: 'Asia/TokyoTokyoTokyo' }), ['spec.timeZone: Invalid value: "Asia/TokyoTokyoTokyo": unknown time zone Asia/TokyoTokyoTokyo']],
    ['offset', manifest({ timeZone: '+01:00' }), ['spec.timeZone: Invalid value: "+01:00": unknown time zone +01:00']],
    ['startingDeadlineSeconds', manifest({ startingDeadlineSeconds: -1 }), ['spec.startingDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0']],
    ['successfulJobsHistoryLimit', manifest({ successfulJobsHistoryLimit: -1 }), ['spec.successfulJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0']],
    ['failedJobsHistoryLimit', manifest({ failedJobsHistoryLimit: -1 }), ['spec.failedJobsHistoryLimit: Invalid value: -1: must be greater than or equal to 0']],
    ['concurrencyPolicy', manifest({ concurrencyPolicy: 'Sometimes' }), ['spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"']],
    ['parallelism', manifest({}, {}, { parallelism: -1 }), ['spec.jobTemplate.spec.parallelism: Invalid value: -1: must be greater than or equal to 0']],
    ['completions', manifest({}, {}, { completions: -1 }), ['spec.jobTemplate.spec.completions: Invalid value: -1: must be greater than or equal to 0']],
    ['activeDeadlineSeconds', manifest({}, {}, { activeDeadlineSeconds: -1 }), ['spec.jobTemplate.spec.activeDeadlineSeconds: Invalid value: -1: must be greater than or equal to 0']],
    ['ttlSecondsAfterFinished', manifest({}, {}, { ttlSecondsAfterFinished: -1 }), ['spec.jobTemplate.spec.ttlSecondsAfterFinished: Invalid value: -1: must be greater than or equal to 0']],
    ['selector', manifest({}, {}, { selector: { matchLabels: { a: 'b' } } }), ['spec.jobTemplate.spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated']],
    ['manualSelector', manifest({}, {}, { manualSelector: true }), ['spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: "nil", "false"']],
    [
      'restartPolicy Always',
      manifest({}, {}, { template: { spec: { restartPolicy: 'Always', containers: [{ name: 'c', image: 'busybox' }] } } }),
      ['spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"'],
    ],
    [
      'restartPolicy unsupported',
      manifest({}, {}, { template: { spec: { restartPolicy: 'Invalid', containers: [{ name: 'c', image: 'busybox' }] } } }),
      ['spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Invalid": supported values: "OnFailure", "Never"'],
    ],
    ['name 53 characters', manifest({}, { name: 'a'.repeat(53) }), [`metadata.name: Invalid value: "${'a'.repeat(53)}": must be no more than 52 characters`]],
    ['name missing', manifest({}, { name: undefined }), ['metadata.name: Required value: name or generateName is required']],
  ])('%s', (_name, input, want) => {
    expect(errorsOf(input)).toStrictEqual(want);
  });

  it('reports a bad name as a DNS subdomain', () => {
    expect(errorsOf(manifest({}, { name: 'My_CronJob' }))[0]).toMatch(/^metadata\.name: Invalid value: "My_CronJob": a lowercase RFC 1123 subdomain/);
  });

  it('validates the template pod spec at spec.jobTemplate.spec.template.spec', () => {
    const errors = errorsOf(manifest({}, {}, { template: { spec: { restartPolicy: 'Never', containers: [] } } }));
    expect(errors.some((e) => e.startsWith('spec.jobTemplate.spec.template.spec.containers: Required value'))).toBe(true);
  });

  it('reports wrong types and unknown fields like parseJob, at their paths', () => {
    const errors = errorsOf(manifest({ suspend: 'yes', startingDeadlineSeconds: 'soon', bogus: 1 }, {}, { parallelism: 'x' }));
    expect(errors).toEqual(
      expect.arrayContaining([
        'spec.suspend: Invalid value: "yes": must be a boolean',
        'spec.startingDeadlineSeconds: Invalid value: "soon": must be an integer',
        'spec.jobTemplate.spec.parallelism: Invalid value: "x": must be an integer',
      ]),
    );
    expect(errorsOf(manifest({ bogus: 1 }))).toStrictEqual(['spec.bogus: Forbidden: not supported by jobfleet']);
  });

  it('answers every problem at once, with the CronJob as the target', () => {
    try {
      parseCronJob(manifest({ schedule: 'x', concurrencyPolicy: 'Sometimes' }, { name: 'a'.repeat(60) }));
      expect.unreachable();
    } catch (err) {
      expect(err).toBeInstanceOf(InvalidError);
      const invalid = err as InvalidError;
      expect(invalid.target).toStrictEqual({ group: 'batch', kind: 'CronJob', name: 'a'.repeat(60) });
      expect(invalid.errors).toHaveLength(3);
      expect(invalid.message).toMatch(/^CronJob\.batch "a{60}" is invalid: /);
    }
  });
});

describe('updates (ValidateCronJobUpdate)', () => {
  const stored = (spec: Manifest = {}, metadata: Manifest = {}): CronJob => {
    const cj = parseCronJob(manifest(spec, { uid: 'u1', ...metadata }));
    return cj;
  };

  it('allows changing every spec field', () => {
    const old = stored();
    const next = manifest({ schedule: '@daily', timeZone: 'Europe/Berlin', concurrencyPolicy: 'Forbid', suspend: true, successfulJobsHistoryLimit: 1 }, { uid: 'u1' }, { parallelism: 3 });
    expect(errorsOf(next, old)).toStrictEqual([]);
  });

  it('keeps name, namespace and uid', () => {
    const old = stored();
    const moved = parseCronJob(manifest({}, { name: 'other', namespace: 'elsewhere', uid: 'u2' }));
    expect(validateCronJobUpdate(old, moved).map(formatFieldError)).toStrictEqual([
      'metadata.name: Invalid value: "other": field is immutable',
      'metadata.namespace: Invalid value: "elsewhere": field is immutable',
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
  });

  it('skips the 52-character limit so that older CronJobs stay editable', () => {
    const name = 'b'.repeat(60);
    const old = { ...stored(), metadata: { name, namespace: 'default', uid: 'u1' } };
    expect(errorsOf(manifest({ suspend: true }, { name, uid: 'u1' }), old)).toStrictEqual([]);
  });

  it('lets a TZ= already in the schedule stay, but not with timeZone set too', () => {
    const old = { ...stored(), spec: { ...stored().spec, schedule: 'TZ=UTC 0 * * * *' } };
    expect(errorsOf(manifest({ schedule: 'TZ=UTC 5 * * * *' }, { uid: 'u1' }), old)).toStrictEqual([]);
    expect(errorsOf(manifest({ schedule: 'TZ=UTC 5 * * * *', timeZone: 'UTC' }, { uid: 'u1' }), old)).toStrictEqual([
      'spec.schedule: Invalid value: "TZ=UTC 5 * * * *": cannot use both timeZone field and TZ or CRON_TZ in schedule',
    ]);
    expect(errorsOf(manifest({ schedule: 'TZ=UTC 5 * * * *' }, { uid: 'u1' }), stored())).toStrictEqual([
      'spec.schedule: Invalid value: "TZ=UTC 5 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
  });

  it('checks the time zone only when it changes', () => {
    const old = { ...stored(), spec: { ...stored().spec, timeZone: 'Gone/Zone' } };
    expect(errorsOf(manifest({ timeZone: 'Gone/Zone', suspend: true }, { uid: 'u1' }), old)).toStrictEqual([]);
    expect(errorsOf(manifest({ timeZone: 'Other/Zone' }, { uid: 'u1' }), old)).toStrictEqual(['spec.timeZone: Invalid value: "Other/Zone": unknown time zone Other/Zone']);
  });
});

describe('decodeCronJobStatus', () => {
  it('reads active references and normalizes times to RFC 3339 UTC seconds', () => {
    const { status, errors } = decodeCronJobStatus({
      active: [{ kind: 'Job', namespace: 'default', name: 'c-28000000', uid: 'u', apiVersion: 'batch/v1', resourceVersion: '7' }],
      lastScheduleTime: '2024-03-10T02:00:00.250-05:00',
      lastSuccessfulTime: null,
    });
    expect(errors).toStrictEqual([]);
    expect(status).toStrictEqual({
      active: [{ kind: 'Job', namespace: 'default', name: 'c-28000000', uid: 'u', apiVersion: 'batch/v1', resourceVersion: '7' }],
      lastScheduleTime: '2024-03-10T07:00:00Z',
    });
    expect(decodeCronJobStatus(undefined)).toStrictEqual({ status: {}, errors: [] });
  });

  it.each<[unknown, string[]]>([
    [{ active: 'x' }, ['status.active: Invalid value: "x": must be a list']],
    [{ active: [{ name: 3 }] }, ['status.active[0].name: Invalid value: 3: must be a string']],
    [{ active: [{ bogus: 'x' }] }, ['status.active[0].bogus: Forbidden: unknown field']],
    [{ lastScheduleTime: 'yesterday' }, ['status.lastScheduleTime: Invalid value: "yesterday": must be a time in RFC 3339 format']],
    [{ lastSuccessfulTime: '2024-03-10' }, ['status.lastSuccessfulTime: Invalid value: "2024-03-10": must be a time in RFC 3339 format']],
    [{ extra: 1 }, ['status.extra: Forbidden: unknown field']],
  ])('%j', (input, want) => {
    expect(decodeCronJobStatus(input).errors.map(formatFieldError)).toStrictEqual(want);
  });
});
