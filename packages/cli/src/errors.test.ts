import { fromStatus, NotFoundError, type Status } from '@jobfleet/kube';
import { describe, expect, it } from 'vitest';
import { AlreadyReportedError, errorMessage, exitCodeOf, InterruptedError, UsageError } from './errors.js';

function status(code: number, reason: string, message: string, details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message, ...(details ? { details } : {}) };
}

describe('errorMessage (the text after "error: ")', () => {
  it.each([
    {
      name: 'NotFound keeps the server message',
      error: fromStatus(status(404, 'NotFound', 'jobs.batch "x" not found', { name: 'x', group: 'batch', kind: 'jobs' })),
      want: 'jobs.batch "x" not found',
    },
    {
      name: 'Invalid with one cause, kubectl style',
      error: fromStatus(
        status(422, 'Invalid', 'Job.batch "x" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"', {
          name: 'x',
          group: 'batch',
          kind: 'Job',
          causes: [{ reason: 'FieldValueRequired', message: 'Required value: valid values: "OnFailure", "Never"', field: 'spec.template.spec.restartPolicy' }],
        }),
      ),
      want: 'The Job "x" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    },
    {
      name: 'Invalid with several causes on one line',
      error: fromStatus(
        status(422, 'Invalid', 'Job.batch "x" is invalid: [...]', {
          name: 'x',
          group: 'batch',
          kind: 'Job',
          causes: [
            { reason: 'FieldValueInvalid', message: 'Invalid value: -1: must be greater than or equal to 0', field: 'spec.parallelism' },
            { reason: 'FieldValueRequired', message: 'Required value', field: 'spec.template.spec.containers' },
          ],
        }),
      ),
      want: 'The Job "x" is invalid: [spec.parallelism: Invalid value: -1: must be greater than or equal to 0, spec.template.spec.containers: Required value]',
    },
    { name: 'multi-line messages become one line', error: new Error('first\n  second\n'), want: 'first; second' },
    { name: 'non-errors', error: 'plain', want: 'plain' },
  ])('$name', ({ error, want }) => {
    expect(errorMessage(error)).toBe(want);
  });
});

describe('exitCodeOf', () => {
  it.each([
    { error: new UsageError('x'), want: 2 },
    { error: new InterruptedError('x'), want: 130 },
    { error: new AlreadyReportedError('x'), want: 1 },
    { error: new NotFoundError({ group: 'batch', resource: 'jobs', name: 'x' }), want: 1 },
    { error: new Error('x'), want: 1 },
  ])('$error.name → $want', ({ error, want }) => {
    expect(exitCodeOf(error)).toBe(want);
  });
});
