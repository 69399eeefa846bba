import { describe, expect, it } from 'vitest';
import { parseCondition } from './commands/wait.js';
import { UsageError } from './errors.js';
import { jobRefs, qualifiedName, resourceRefs } from './options.js';

describe('resourceRefs (kubectl TYPE NAME… or TYPE/NAME…)', () => {
  it.each([
    { args: ['job', 'a'], want: [{ kind: 'jobs', name: 'a' }] },
    { args: ['jobs', 'a', 'b'], want: [{ kind: 'jobs', name: 'a' }, { kind: 'jobs', name: 'b' }] },
    { args: ['job.batch/a'], want: [{ kind: 'jobs', name: 'a' }] },
    { args: ['job/a', 'pod/b'], want: [{ kind: 'jobs', name: 'a' }, { kind: 'pods', name: 'b' }] },
    { args: ['po', 'x'], want: [{ kind: 'pods', name: 'x' }] },
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
  });

  it('jobRefs refuses other kinds before anything runs', () => {
    expect(jobRefs(['job', 'a', 'b'], 'jobs only')).toEqual([{ kind: 'jobs', name: 'a' }, { kind: 'jobs', name: 'b' }]);
    expect(() => jobRefs(['job/a', 'pod/b'], 'jobs only')).toThrow(new UsageError('jobs only'));
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
