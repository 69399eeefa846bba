import { describe, expect, it } from 'vitest';
import { CRONJOB_PATCH_SCHEMA, JOB_PATCH_SCHEMA, POD_PATCH_SCHEMA, PatchError, applyJsonPatch, applyMergePatch, applyStrategicMergePatch, type Json } from './patch.js';

const container = (name: string, extra: Record<string, Json> = {}): Json => ({ name, image: 'busybox', ...extra });
const job = (containers: Json[], extra: Record<string, Json> = {}): Json => ({
  metadata: { name: 'pi', labels: { a: '1' }, finalizers: ['x'] },
  spec: { parallelism: 1, template: { spec: { containers, restartPolicy: 'Never' } }, ...extra },
});

describe('applyMergePatch (RFC 7386)', () => {
  it.each<{ name: string; target: Json; patch: Json; want: Json }>([
    { name: 'sets a field', target: { a: 1 }, patch: { b: 2 }, want: { a: 1, b: 2 } },
    { name: 'null deletes', target: { a: 1, b: 2 }, patch: { b: null }, want: { a: 1 } },
    { name: 'objects merge deeply', target: { m: { x: 1, y: 2 } }, patch: { m: { y: 3 } }, want: { m: { x: 1, y: 3 } } },
    { name: 'lists are replaced', target: { l: [1, 2, 3] }, patch: { l: [4] }, want: { l: [4] } },
    { name: 'a non-object patch replaces the whole', target: { a: 1 }, patch: [1], want: [1] },
  ])('$name', ({ target, patch, want }) => {
    expect(applyMergePatch(target, patch)).toEqual(want);
  });
});

describe('applyJsonPatch (RFC 6902)', () => {
  const doc: Json = { spec: { parallelism: 1, list: ['a', 'b'] }, 'a/b': { '~c': 1 } };
  it.each<{ name: string; ops: unknown; want: Json }>([
    { name: 'replace', ops: [{ op: 'replace', path: '/spec/parallelism', value: 3 }], want: { spec: { parallelism: 3, list: ['a', 'b'] }, 'a/b': { '~c': 1 } } },
    { name: 'add appends with -', ops: [{ op: 'add', path: '/spec/list/-', value: 'c' }], want: { spec: { parallelism: 1, list: ['a', 'b', 'c'] }, 'a/b': { '~c': 1 } } },
    { name: 'add inserts at an index', ops: [{ op: 'add', path: '/spec/list/0', value: 'z' }], want: { spec: { parallelism: 1, list: ['z', 'a', 'b'] }, 'a/b': { '~c': 1 } } },
    { name: 'remove with escaped tokens', ops: [{ op: 'remove', path: '/a~1b/~0c' }], want: { spec: { parallelism: 1, list: ['a', 'b'] }, 'a/b': {} } },
    { name: 'move', ops: [{ op: 'move', from: '/spec/parallelism', path: '/p' }], want: { spec: { list: ['a', 'b'] }, 'a/b': { '~c': 1 }, p: 1 } },
    { name: 'copy', ops: [{ op: 'copy', from: '/spec/list/1', path: '/first' }], want: { spec: { parallelism: 1, list: ['a', 'b'] }, 'a/b': { '~c': 1 }, first: 'b' } },
    { name: 'test then replace', ops: [{ op: 'test', path: '/spec/parallelism', value: 1 }, { op: 'replace', path: '/spec/parallelism', value: 2 }], want: { spec: { parallelism: 2, list: ['a', 'b'] }, 'a/b': { '~c': 1 } } },
  ])('$name', ({ ops, want }) => {
    expect(applyJsonPatch(doc, ops)).toEqual(want);
  });

  it.each<{ name: string; ops: unknown; message: RegExp }>([
    { name: 'not a list', ops: { op: 'add' }, message: /list of operations/ },
    { name: 'replace of a missing path', ops: [{ op: 'replace', path: '/spec/nope', value: 1 }], message: /does not exist/ },
    { name: 'failed test', ops: [{ op: 'test', path: '/spec/parallelism', value: 2 }], message: /test failed/ },
    { name: 'unknown op', ops: [{ op: 'frob', path: '/x' }], message: /unexpected kind: frob/ },
    { name: 'index out of bounds', ops: [{ op: 'remove', path: '/spec/list/5' }], message: /out of bounds/ },
  ])('refuses $name', ({ ops, message }) => {
    expect(() => applyJsonPatch(doc, ops)).toThrow(PatchError);
    expect(() => applyJsonPatch(doc, ops)).toThrow(message);
  });

  it('leaves the target untouched', () => {
    const target: Json = { a: [1] };
    applyJsonPatch(target, [{ op: 'add', path: '/a/-', value: 2 }]);
    expect(target).toEqual({ a: [1] });
  });
});

describe('applyStrategicMergePatch with the Job schema', () => {
  it.each<{ name: string; target: Json; patch: Json; want: Json }>([
    {
      name: 'a scalar change, as kubectl apply computes it',
      target: job([container('main')]),
      patch: { spec: { parallelism: 3 } },
      want: job([container('main')], { parallelism: 3 }),
    },
    {
      name: 'containers merge by name',
      target: job([container('a'), container('b')]),
      patch: { spec: { template: { spec: { containers: [{ name: 'b', image: 'alpine' }] } } } },
      want: job([container('a'), container('b', { image: 'alpine' })]),
    },
    {
      name: 'a new container is appended, $setElementOrder orders them',
      target: job([container('a')]),
      patch: { spec: { template: { spec: { containers: [{ name: 'z', image: 'x' }], '$setElementOrder/containers': [{ name: 'z' }, { name: 'a' }] } } } },
      want: job([{ name: 'z', image: 'x' }, container('a')]),
    },
    {
      name: '$patch: delete removes a list element by its key',
      target: job([container('a'), container('b')]),
      patch: { spec: { template: { spec: { containers: [{ name: 'a', $patch: 'delete' }] } } } },
      want: job([container('b')]),
    },
    {
      name: 'env merges by name inside a container',
      target: job([container('a', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] })]),
      patch: { spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '3' }, { name: 'Z', value: '4' }] }] } } } },
      want: job([container('a', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '3' }, { name: 'Z', value: '4' }] })]),
    },
    {
      name: 'command (no strategy) is replaced',
      target: job([container('a', { command: ['sh', '-c', 'one'] })]),
      patch: { spec: { template: { spec: { containers: [{ name: 'a', command: ['true'] }] } } } },
      want: job([container('a', { command: ['true'] })]),
    },
    {
      name: 'null deletes a label; finalizers union; $deleteFromPrimitiveList removes',
      target: job([container('a')]),
      patch: { metadata: { labels: { a: null, b: '2' }, finalizers: ['y'], '$deleteFromPrimitiveList/finalizers': ['x'] } },
      want: { ...(job([container('a')]) as Record<string, Json>), metadata: { name: 'pi', labels: { b: '2' }, finalizers: ['y'] } },
    },
    {
      name: '$patch: replace on a map replaces it',
      target: job([container('a')]),
      patch: { metadata: { labels: { $patch: 'replace', c: '3' } } },
      want: { ...(job([container('a')]) as Record<string, Json>), metadata: { name: 'pi', labels: { c: '3' }, finalizers: ['x'] } },
    },
    {
      name: '$retainKeys drops the keys not listed',
      target: { spec: { template: { spec: { volumes: [{ name: 'v', emptyDir: {}, hostPath: { path: '/x' } }] } } } },
      patch: { spec: { template: { spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'emptyDir'], emptyDir: { medium: 'Memory' } }] } } } },
      want: { spec: { template: { spec: { volumes: [{ name: 'v', emptyDir: { medium: 'Memory' } }] } } } },
    },
  ])('$name', ({ target, patch, want }) => {
    const clean = JSON.parse(JSON.stringify(patch)) as Json;
    expect(applyStrategicMergePatch(target, clean, JOB_PATCH_SCHEMA)).toEqual(want);
  });

  it('refuses a merge-keyed element without its key', () => {
    expect(() => applyStrategicMergePatch(job([container('a')]), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }, JOB_PATCH_SCHEMA)).toThrow(
      /does not contain declared merge key: name/,
    );
  });
});

describe('applyStrategicMergePatch with the Pod schema', () => {
  const pod: Json = {
    metadata: { name: 'p', ownerReferences: [{ uid: 'u1', name: 'j' }] },
    spec: { containers: [container('a'), container('b')] },
    status: { conditions: [{ type: 'Ready', status: 'True' }], podIPs: [{ ip: '10.0.0.1' }] },
  };
  it('merges containers by name, conditions by type, IPs by ip, owner references by uid', () => {
    const patched = applyStrategicMergePatch(
      pod,
      {
        metadata: { ownerReferences: [{ uid: 'u1', $patch: 'delete' }] },
        spec: { containers: [{ name: 'b', image: 'busybox:1.36' }] },
        status: { conditions: [{ type: 'DisruptionTarget', status: 'True' }], podIPs: [{ ip: '10.0.0.1', extra: 'x' }] },
      },
      POD_PATCH_SCHEMA,
    );
    expect(patched).toEqual({
      metadata: { name: 'p', ownerReferences: [] },
      spec: { containers: [container('a'), container('b', { image: 'busybox:1.36' })] },
      status: { conditions: [{ type: 'Ready', status: 'True' }, { type: 'DisruptionTarget', status: 'True' }], podIPs: [{ ip: '10.0.0.1', extra: 'x' }] },
    });
  });
});

describe('applyStrategicMergePatch with the CronJob schema', () => {
  const template = (containers: Json[]): Json => ({ spec: { template: { metadata: { finalizers: ['f'] }, spec: { containers } } } });
  const cronJob = (containers: Json[], status: Json = { active: [{ name: 'j1' }, { name: 'j2' }] }): Json => ({
    metadata: { name: 'cj', ownerReferences: [{ uid: 'u1', name: 'o' }] },
    spec: { schedule: '*/1 * * * *', jobTemplate: { metadata: { labels: { a: '1' }, finalizers: ['x'] }, ...(template(containers) as Record<string, Json>) } },
    status,
  });
  const patchTemplate = (containers: Json[]): Json => ({ spec: { jobTemplate: template(containers) } });

  it.each<{ name: string; target: Json; patch: Json; want: Json }>([
    {
      name: 'containers of spec.jobTemplate.spec.template merge by name',
      target: cronJob([container('a'), container('b')]),
      patch: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'alpine' }] } } } } } },
      want: cronJob([container('a'), container('b', { image: 'alpine' })]),
    },
    {
      name: 'env merges by name inside a container of the job template',
      target: cronJob([container('a', { env: [{ name: 'X', value: '1' }] })]),
      patch: { spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', env: [{ name: 'Y', value: '2' }] }] } } } } } },
      want: cronJob([container('a', { env: [{ name: 'X', value: '1' }, { name: 'Y', value: '2' }] })]),
    },
    {
      name: "the job template's and its pod template's finalizers are sets; the CronJob's owner references merge by uid",
      target: cronJob([container('a')]),
      patch: {
        metadata: { ownerReferences: [{ uid: 'u2', name: 'p' }] },
        spec: { jobTemplate: { metadata: { finalizers: ['y'] }, spec: { template: { metadata: { finalizers: ['g'] } } } } },
      },
      want: {
        metadata: { name: 'cj', ownerReferences: [{ uid: 'u1', name: 'o' }, { uid: 'u2', name: 'p' }] },
        spec: {
          schedule: '*/1 * * * *',
          jobTemplate: { metadata: { labels: { a: '1' }, finalizers: ['x', 'y'] }, spec: { template: { metadata: { finalizers: ['f', 'g'] }, spec: { containers: [container('a')] } } } },
        },
        status: { active: [{ name: 'j1' }, { name: 'j2' }] },
      },
    },
    {
      name: 'status.active is atomic: replaced, not merged',
      target: cronJob([container('a')]),
      patch: { status: { active: [{ name: 'j3' }] } },
      want: cronJob([container('a')], { active: [{ name: 'j3' }] }),
    },
    {
      name: "a Job's paths mean nothing in a CronJob: spec.template's containers are replaced",
      target: { spec: { template: { spec: { containers: [container('a')] } } } },
      patch: { spec: { template: { spec: { containers: [container('b')] } } } },
      want: { spec: { template: { spec: { containers: [container('b')] } } } },
    },
  ])('$name', ({ target, patch, want }) => {
    expect(applyStrategicMergePatch(target, patch, CRONJOB_PATCH_SCHEMA)).toEqual(want);
  });

  it('refuses a container of the job template without its name', () => {
    expect(() => applyStrategicMergePatch(cronJob([container('a')]), patchTemplate([{ image: 'x' }]), CRONJOB_PATCH_SCHEMA)).toThrow(/does not contain declared merge key: name/);
  });

  it('a path segment named like an Object.prototype member has no strategy (its list is replaced)', () => {
    for (const schema of [JOB_PATCH_SCHEMA, CRONJOB_PATCH_SCHEMA, POD_PATCH_SCHEMA]) {
      expect(schema(['spec', 'template', 'spec', 'constructor'])).toBeUndefined();
      expect(schema(['spec', 'jobTemplate', 'spec', 'template', 'spec', 'toString'])).toBeUndefined();
      expect(schema(['metadata', '__proto__'])).toBeUndefined();
    }
    expect(applyStrategicMergePatch({ spec: { template: { spec: { constructor: [1, 2] } } } }, { spec: { template: { spec: { constructor: [3] } } } }, JOB_PATCH_SCHEMA)).toEqual({
      spec: { template: { spec: { constructor: [3] } } },
    });
  });
});
