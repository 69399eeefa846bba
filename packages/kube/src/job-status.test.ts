import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-errors.js';
import { decodeJobStatus, indexesProblem, validateJobStatusUpdate } from './job-status.js';
import type { Job, JobCondition, JobStatus } from './types.js';

const T0 = '2025-01-01T00:00:00Z';
const T1 = '2025-01-01T00:01:00Z';

function job(spec: Partial<Job['spec']> = {}, status: JobStatus = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'u' },
    spec: { completions: 4, parallelism: 2, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } }, ...spec },
    status,
  };
}

const cond = (type: JobCondition['type'], status: JobCondition['status'] = 'True'): JobCondition => ({ type, status });

describe('validateJobStatusUpdate (ValidateJobUpdateStatus, Kubernetes 1.33 options)', () => {
  it.each<{ name: string; old?: Job; status: JobStatus; want: string[] }>([
    { name: 'counts and times', status: { active: 2, ready: 1, succeeded: 1, failed: 0, terminating: 0, startTime: T0 }, want: [] },
    {
      name: 'negative counts',
      status: { active: -1, succeeded: -2, failed: -3, ready: -4, terminating: -5 },
      want: [
        'status.active: Invalid value: -1: must be greater than or equal to 0',
        'status.succeeded: Invalid value: -2: must be greater than or equal to 0',
        'status.failed: Invalid value: -3: must be greater than or equal to 0',
        'status.ready: Invalid value: -4: must be greater than or equal to 0',
        'status.terminating: Invalid value: -5: must be greater than or equal to 0',
        'status.succeeded: Invalid value: -2: cannot decrease the succeeded counter',
        'status.failed: Invalid value: -3: cannot decrease the failed counter',
      ].sort(),
    },
    { name: 'more ready than active', status: { active: 1, ready: 2 }, want: ['status.ready: Invalid value: 2: cannot set more ready pods than active'] },
    {
      name: 'Complete needs completionTime and SuccessCriteriaMet',
      status: { startTime: T0, conditions: [cond('Complete')] },
      want: ['status.completionTime: Required value: completionTime is required for Complete jobs', 'status.conditions: Invalid value: cannot set Complete=True condition without the SuccessCriteriaMet=true condition'].sort(),
    },
    { name: 'a correct completion', status: { startTime: T0, completionTime: T1, succeeded: 4, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }, want: [] },
    { name: 'completionTime without Complete', status: { startTime: T0, completionTime: T1 }, want: ['status.completionTime: Invalid value: "2025-01-01T00:01:00Z": cannot set completionTime when there is no Complete=True condition'] },
    {
      name: 'completionTime before startTime',
      status: { startTime: T1, completionTime: T0, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] },
      want: ['status.completionTime: Invalid value: "2025-01-01T00:00:00Z": completionTime cannot be set before startTime'],
    },
    { name: 'Failed needs FailureTarget', status: { startTime: T0, conditions: [cond('Failed')] }, want: ['status.conditions: Invalid value: cannot set Failed=True condition without the FailureTarget=true condition'] },
    { name: 'a correct failure', status: { startTime: T0, failed: 7, conditions: [cond('FailureTarget'), cond('Failed')] }, want: [] },
    {
      name: 'a finished Job has no active pods and a startTime',
      status: { active: 1, conditions: [cond('FailureTarget'), cond('Failed')] },
      want: ['status.active: Invalid value: 1: active>0 is invalid for finished job', 'status.startTime: Required value: startTime is required for finished job'].sort(),
    },
    {
      name: 'Complete and Failed together',
      status: { startTime: T0, completionTime: T1, conditions: [cond('SuccessCriteriaMet'), cond('Complete'), cond('FailureTarget'), cond('Failed')] },
      want: [
        'status.conditions: Invalid value: cannot set Complete=True and Failed=true conditions',
        'status.conditions: Invalid value: cannot set Complete=True and FailureTarget=true conditions',
        'status.conditions: Invalid value: cannot set SuccessCriteriaMet=True and Failed=true conditions',
        'status.conditions: Invalid value: cannot set SuccessCriteriaMet=True and FailureTarget=true conditions',
      ],
    },
    {
      name: 'a terminal condition cannot be undone',
      old: job({}, { startTime: T0, failed: 1, conditions: [cond('FailureTarget'), cond('Failed')] }),
      status: { startTime: T0, failed: 1, conditions: [cond('FailureTarget'), cond('Failed', 'False')] },
      want: ['status.conditions: Invalid value: cannot disable the terminal Failed=True condition'],
    },
    { name: 'the failed counter cannot decrease', old: job({}, { failed: 3 }), status: { failed: 2 }, want: ['status.failed: Invalid value: 2: cannot decrease the failed counter'] },
    { name: 'the succeeded counter cannot decrease', old: job({}, { succeeded: 3 }), status: { succeeded: 2 }, want: ['status.succeeded: Invalid value: 2: cannot decrease the succeeded counter'] },
    { name: 'an elastic Indexed Job may lower succeeded', old: job({ completionMode: 'Indexed', completions: 2, parallelism: 2 }, { succeeded: 3 }), status: { succeeded: 2 }, want: [] },
    {
      name: 'completionTime cannot change',
      old: job({}, { startTime: T0, completionTime: T1, conditions: [cond('SuccessCriteriaMet'), cond('Complete')] }),
      status: { startTime: T0, completionTime: '2025-01-01T00:02:00Z', conditions: [cond('SuccessCriteriaMet'), cond('Complete')] },
      want: ['status.completionTime: Invalid value: "2025-01-01T00:02:00Z": completionTime cannot be mutated'],
    },
    { name: 'startTime stays while running', old: job({}, { startTime: T0 }), status: { startTime: T1 }, want: ['status.startTime: Required value: startTime cannot be removed for unsuspended job'] },
    { name: 'startTime may change while suspended', old: job({ suspend: true }, { startTime: T0 }), status: {}, want: [] },
    { name: 'completedIndexes on a NonIndexed Job', status: { completedIndexes: '0' }, want: ['status.completedIndexes: Invalid value: "0": cannot set non-empty completedIndexes when non-indexed completion mode'] },
    { name: 'completedIndexes beyond completions', old: job({ completionMode: 'Indexed' }), status: { completedIndexes: '0-1,7' }, want: ['status.completedIndexes: Invalid value: "0-1,7": error parsing completedIndexes: too large index: "7"'] },
    { name: 'completedIndexes out of order', old: job({ completionMode: 'Indexed' }), status: { completedIndexes: '2,1' }, want: ['status.completedIndexes: Invalid value: "2,1": error parsing completedIndexes: non-increasing order, previous: 2, current: 1'] },
    { name: 'failedIndexes without backoffLimitPerIndex', old: job({ completionMode: 'Indexed' }), status: { failedIndexes: '1' }, want: ['status.failedIndexes: Invalid value: "1": cannot set non-null failedIndexes when backoffLimitPerIndex is null'] },
    {
      name: 'failedIndexes overlapping completedIndexes',
      old: job({ completionMode: 'Indexed', backoffLimitPerIndex: 1 }),
      status: { completedIndexes: '0-2', failedIndexes: '2-3' },
      want: ['status.failedIndexes: Invalid value: "2-3": failedIndexes and completedIndexes overlap at index: 2'],
    },
    {
      name: 'a stored status the controller will fix does not block unrelated writes',
      old: job({ completionMode: 'Indexed', completions: 2 }, { completedIndexes: '0-3' }),
      status: { completedIndexes: '0-3', active: 1 },
      want: [],
    },
    {
      name: 'SuccessCriteriaMet cannot be undone',
      old: job({}, { conditions: [cond('SuccessCriteriaMet')] }),
      status: { conditions: [] },
      want: ['status.conditions: Invalid value: cannot disable the SuccessCriteriaMet=True condition'],
    },
    { name: 'uncounted pods', status: { uncountedTerminatedPods: { succeeded: ['a', ''], failed: ['a'] } }, want: ['status.uncountedTerminatedPods.failed[0]: Duplicate value: "a"', 'status.uncountedTerminatedPods.succeeded[1]: Invalid value: "": must not be empty'] },
  ])('$name', ({ old, status, want }) => {
    expect(validateJobStatusUpdate(old ?? job(), status).map(formatFieldError).sort()).toStrictEqual([...want].sort());
  });
});

describe('decodeJobStatus', () => {
  it('types every field and refuses unknown ones', () => {
    expect(decodeJobStatus({ active: 'x', startTime: 'yesterday', conditions: [{ type: 'Complete' }], extra: 1 }).errors.map(formatFieldError)).toStrictEqual([
      'status.active: Invalid value: "x": must be an integer',
      'status.startTime: Invalid value: "yesterday": must be a time in RFC 3339 format',
      'status.conditions[0].status: Invalid value: "null": must be a string',
      'status.extra: Forbidden: unknown field',
    ]);
    expect(decodeJobStatus({ active: 1, ready: null, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: T0 }] })).toStrictEqual({
      status: { active: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: T0 }] },
      errors: [],
    });
  });
});

describe('indexesProblem (validateIndexesFormat)', () => {
  it.each([
    ['', undefined],
    ['0,2-3', undefined],
    ['1-1', 'non-increasing order, previous: 1, current: 1'],
    ['a', 'cannot convert string to integer for index: "a"'],
    ['1-2-3', `the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by '-'`],
    ['0-9', 'too large index: "9"'],
  ])('%j', (text, want) => {
    expect(indexesProblem(text, 4)).toBe(want);
  });
});

describe('decodeJobStatus times', () => {
  it('stores times as Kubernetes marshals metav1.Time (UTC, whole seconds)', () => {
    expect(decodeJobStatus({ startTime: '2025-01-01T01:00:00.750+01:00' }).status).toStrictEqual({ startTime: '2025-01-01T00:00:00Z' });
  });
});
