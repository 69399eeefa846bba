import { describe, expect, it } from 'vitest';
import { jobsFromText } from './manifests.js';

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
