import { describe, expect, it } from 'vitest';
import { formatFieldError } from './field-errors.js';
import { parseJob } from './parse.js';
import type { Job } from './types.js';
import { validateJobUpdate } from './validation.js';
import { job, type Manifest } from './__tests__/fixtures.js';

const stored = (patch: Manifest = {}): Job => parseJob(job({ ...patch, metadata: { name: 'pi', namespace: 'default', uid: 'u-1' } }));

function updateMessages(oldJob: Job, newJob: Job): string[] {
  return validateJobUpdate(oldJob, newJob).map(formatFieldError);
}

function changed(base: Job, change: (job: Job) => void): Job {
  const copy = structuredClone(base);
  change(copy);
  return copy;
}

describe('validateJobUpdate', () => {
  const indexed = stored({ spec: { completionMode: 'Indexed', completions: 4, parallelism: 4 } });

  it.each<{ name: string; old: Job; change: (job: Job) => void; want: string[] }>([
    { name: 'no change', old: stored(), change: () => undefined, want: [] },
    {
      name: 'mutable fields',
      old: stored(),
      change: (j) => {
        Object.assign(j.spec, { parallelism: 5, suspend: true, ttlSecondsAfterFinished: 60, activeDeadlineSeconds: 100, backoffLimit: 1 });
        j.metadata.labels = { team: 'a' };
        j.metadata.annotations = { note: 'x' };
      },
      want: [],
    },
    {
      name: 'completions',
      old: stored({ spec: { completions: 5 } }),
      change: (j) => (j.spec.completions = 6),
      want: ['spec.completions: Invalid value: 6: field is immutable'],
    },
    {
      name: 'completions of an Indexed Job together with parallelism',
      old: indexed,
      change: (j) => Object.assign(j.spec, { completions: 6, parallelism: 6 }),
      want: [],
    },
    {
      name: 'completions of an Indexed Job alone',
      old: indexed,
      change: (j) => (j.spec.completions = 6),
      want: ['spec.completions: Invalid value: 6: can only be modified in tandem with spec.parallelism'],
    },
    {
      name: 'completionMode',
      old: stored({ spec: { completions: 2 } }),
      change: (j) => (j.spec.completionMode = 'Indexed'),
      want: ['spec.completionMode: Invalid value: "Indexed": field is immutable'],
    },
    {
      name: 'selector',
      old: stored({ spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } } } } }),
      change: (j) => (j.spec.selector = { matchLabels: { a: 'c' } }),
      want: ['spec.selector: Invalid value: {"matchLabels":{"a":"c"}}: field is immutable'],
    },
    {
      name: 'selector removed',
      old: stored({ spec: { manualSelector: true, selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } } } } }),
      change: (j) => delete j.spec.selector,
      want: ['spec.selector: Invalid value: "null": field is immutable'],
    },
    {
      name: 'template',
      old: stored(),
      change: (j) => (j.spec.template.spec.containers[0]!.image = 'alpine'),
      want: ['spec.template: Invalid value: field is immutable'],
    },
    {
      name: 'template labels of a running Job',
      old: stored(),
      change: (j) => (j.spec.template.metadata = { labels: { a: 'b' } }),
      want: ['spec.template: Invalid value: field is immutable'],
    },
    {
      name: 'template labels of a suspended Job that never started',
      old: stored({ spec: { suspend: true } }),
      change: (j) => (j.spec.template.metadata = { labels: { a: 'b' }, annotations: { c: 'd' } }),
      want: [],
    },
    {
      name: 'the node selector of a suspended Job that never started',
      old: stored({ spec: { suspend: true } }),
      change: (j) => (j.spec.template.spec.nodeSelector = { 'kubernetes.io/hostname': 'node-2' }),
      want: [],
    },
    {
      name: 'the node selector of a Job that is not suspended',
      old: stored(),
      change: (j) => (j.spec.template.spec.nodeSelector = { 'kubernetes.io/hostname': 'node-2' }),
      want: ['spec.template: Invalid value: field is immutable'],
    },
    {
      name: 'template labels of a suspended Job that has started',
      old: { ...stored({ spec: { suspend: true } }), status: { startTime: '2025-01-01T00:00:00Z' } },
      change: (j) => (j.spec.template.metadata = { labels: { a: 'b' } }),
      want: ['spec.template: Invalid value: field is immutable'],
    },
    {
      name: 'name, namespace and uid',
      old: stored(),
      change: (j) => Object.assign(j.metadata, { name: 'other', namespace: 'team-a', uid: 'u-2' }),
      want: [
        'metadata.name: Invalid value: "other": field is immutable',
        'metadata.namespace: Invalid value: "team-a": field is immutable',
        'metadata.uid: Invalid value: "u-2": field is immutable',
      ],
    },
    { name: 'an omitted uid keeps the stored one', old: stored(), change: (j) => delete j.metadata.uid, want: [] },
  ])('$name', ({ old, change, want }) => {
    expect(updateMessages(old, changed(old, change))).toStrictEqual(want);
  });
});
