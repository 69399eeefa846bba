import { describe, expect, it } from 'vitest';
import { jobsFromText } from './manifests.js';
import { isSubset } from './spec-match.js';

const job = (name: string) => `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: busybox}]\n`;

describe('jobsFromText', () => {
  it('reads several YAML documents', () => {
    expect(jobsFromText(`${job('a')}---\n${job('b')}`, 'f.yaml').map((j) => j.metadata.name)).toEqual(['a', 'b']);
  });

  it('reads JSON', () => {
    expect(jobsFromText(JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'j' }, spec: {} }), 'f.json')[0]?.metadata.name).toBe('j');
  });

  it('rejects other kinds like kubectl does', () => {
    expect(() => jobsFromText('apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n', 'f.yaml')).toThrow('no matches for kind "Deployment" in version "apps/v1"');
  });

  it('requires metadata.name', () => {
    expect(() => jobsFromText('apiVersion: batch/v1\nkind: Job\nmetadata: {generateName: x-}\n', 'f.yaml')).toThrow('has no metadata.name');
  });
});

describe('isSubset (apply: does the live Job already have what the manifest asks for?)', () => {
  it.each([
    { name: 'server defaults are ignored', desired: { completions: 5 }, live: { completions: 5, parallelism: 1, backoffLimit: 6 }, want: true },
    { name: 'a changed value', desired: { completions: 5 }, live: { completions: 3 }, want: false },
    { name: 'nested objects', desired: { template: { spec: { containers: [{ image: 'a' }] } } }, live: { template: { spec: { containers: [{ image: 'a', imagePullPolicy: 'IfNotPresent' }] } } }, want: true },
    { name: 'array lengths differ', desired: { args: ['a'] }, live: { args: ['a', 'b'] }, want: false },
    { name: 'missing in live', desired: { suspend: true }, live: {}, want: false },
    { name: 'null in the manifest means unset', desired: { completions: null }, live: { completions: 1 }, want: true },
  ])('$name → $want', ({ desired, live, want }) => {
    expect(isSubset(desired, live)).toBe(want);
  });
});
