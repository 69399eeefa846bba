import { describe, expect, it } from 'vitest';
import { jobsFromText, objectsFromText } from './manifests.js';

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

describe('objectsFromText (apply: Jobs and CronJobs)', () => {
  const cronJob = (name: string) => `apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: ${name}}\nspec: {schedule: '@hourly'}\n`;

  it('keeps a file mixing Jobs and CronJobs in its order', () => {
    expect(objectsFromText(`${job('a')}---\n${cronJob('b')}---\n${job('c')}`, 'f.yaml').map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['Job/a', 'CronJob/b', 'Job/c']);
  });

  it('run takes Jobs only: a CronJob is named as such, not as an unknown kind', () => {
    expect(() => jobsFromText(cronJob('b'), 'f.yaml')).toThrow('"f.yaml" holds a batch/v1 CronJob: this command takes batch/v1 Job only (try: jobfleet apply -f)');
  });

  it('refuses a CronJob of another version and one without a name', () => {
    expect(() => objectsFromText('apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: x}\n', 'f.yaml')).toThrow('no matches for kind "CronJob" in version "batch/v1beta1"');
    expect(() => objectsFromText('apiVersion: batch/v1\nkind: CronJob\nmetadata: {}\n', 'f.yaml')).toThrow('the CronJob has no metadata.name');
  });
});
