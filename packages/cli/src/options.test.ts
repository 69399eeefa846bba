import { describe, expect, it } from 'vitest';
import { parseCondition } from './commands/wait.js';
import { UsageError } from './errors.js';
import { cronJobName } from './commands/create.js';
import { jobRefs, qualifiedName, refsOfKinds, resourceRefs } from './options.js';

describe('resourceRefs (kubectl TYPE NAME… or TYPE/NAME…)', () => {
  it.each([
    { args: ['job', 'a'], want: [{ kind: 'jobs', name: 'a' }] },
    { args: ['jobs', 'a', 'b'], want: [{ kind: 'jobs', name: 'a' }, { kind: 'jobs', name: 'b' }] },
    { args: ['job.batch/a'], want: [{ kind: 'jobs', name: 'a' }] },
    { args: ['job/a', 'pod/b'], want: [{ kind: 'jobs', name: 'a' }, { kind: 'pods', name: 'b' }] },
    { args: ['po', 'x'], want: [{ kind: 'pods', name: 'x' }] },
    { args: ['cj', 'x'], want: [{ kind: 'cronjobs', name: 'x' }] },
    { args: ['cronjob/x', 'cronjobs.batch/y'], want: [{ kind: 'cronjobs', name: 'x' }, { kind: 'cronjobs', name: 'y' }] },
    { args: ['ev/e', 'no/n', 'ns/d'], want: [{ kind: 'events', name: 'e' }, { kind: 'nodes', name: 'n' }, { kind: 'namespaces', name: 'd' }] },
  ])('$args', ({ args, want }) => {
    expect(resourceRefs(args)).toEqual(want);
  });

  it('takes a bare name as the default kind (logs NAME is a pod)', () => {
    expect(resourceRefs(['x'], 'pods')).toEqual([{ kind: 'pods', name: 'x' }]);
  });

  it.each([
    { args: ['deployments', 'x'], message: 'the server doesn\'t have a resource type "deployments"' },
    { args: ['job', 'pod/x'], message: 'there is no need to specify a resource type' },
    { args: ['job/'], message: 'must have a single resource and name' },
    { args: ['job'], message: 'you must specify the name' },
  ])('rejects $args as a usage error', ({ args, message }) => {
    expect(() => resourceRefs(args)).toThrow(UsageError);
    expect(() => resourceRefs(args)).toThrow(message);
  });

  it('names objects the kubectl way', () => {
    expect(qualifiedName({ kind: 'jobs', name: 'a' })).toBe('job.batch/a');
    expect(qualifiedName({ kind: 'pods', name: 'b' })).toBe('pod/b');
    expect(qualifiedName({ kind: 'namespaces', name: 'c' })).toBe('namespace/c');
    expect(qualifiedName({ kind: 'cronjobs', name: 'd' })).toBe('cronjob.batch/d');
  });

  it('jobRefs refuses other kinds before anything runs', () => {
    expect(jobRefs(['job', 'a', 'b'], 'jobs only')).toEqual([{ kind: 'jobs', name: 'a' }, { kind: 'jobs', name: 'b' }]);
    expect(() => jobRefs(['job/a', 'pod/b'], 'jobs only')).toThrow(new UsageError('jobs only'));
  });

  it('refsOfKinds (describe, delete) takes the kinds it is given', () => {
    expect(refsOfKinds(['cj/a', 'job/b'], ['jobs', 'cronjobs'], 'no')).toEqual([{ kind: 'cronjobs', name: 'a' }, { kind: 'jobs', name: 'b' }]);
    expect(() => refsOfKinds(['pod/a'], ['jobs', 'cronjobs'], 'jobs and cronjobs only')).toThrow(new UsageError('jobs and cronjobs only'));
  });
});

describe('create job --from', () => {
  it.each(['cronjob/nightly', 'cj/nightly', 'cronjobs.batch/nightly'])('%s names the CronJob', (from) => {
    expect(cronJobName(from)).toBe('nightly');
  });

  it.each([
    { from: 'nightly', message: '--from must be cronjob/NAME, not "nightly"' },
    { from: 'job/nightly', message: 'a Job can be created from a CronJob only' },
    { from: 'deployment/x', message: 'the server doesn\'t have a resource type "deployment"' },
  ])('refuses $from as a usage error', ({ from, message }) => {
    expect(() => cronJobName(from)).toThrow(UsageError);
    expect(() => cronJobName(from)).toThrow(message);
  });
});

describe('wait --for', () => {
  it.each([
    { value: 'condition=complete', want: { type: 'complete', status: 'True' } },
    { value: 'condition=Failed', want: { type: 'Failed', status: 'True' } },
    { value: 'condition=Suspended=False', want: { type: 'Suspended', status: 'False' } },
  ])('$value', ({ value, want }) => {
    expect(parseCondition(value)).toEqual(want);
  });

  it.each(['complete', 'condition=', 'delete', 'jsonpath={.status}'])('rejects %s', (value) => {
    expect(() => parseCondition(value)).toThrow('expected condition=NAME[=VALUE]');
  });
});
