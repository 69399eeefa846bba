import { describe, expect, it } from 'vitest';
import { applyPatch, isSubset, LAST_APPLIED_ANNOTATION, lastAppliedOf } from './apply-patch.js';

describe('isSubset (does the live value already have what the manifest sets?)', () => {
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

describe('applyPatch (the JSON merge patch of apply on an existing Job)', () => {
  const container = { name: 'c', image: 'busybox', command: ['echo', 'hi'] };
  const manifest = { apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default' }, spec: { parallelism: 1, template: { spec: { containers: [container] } } } };
  const live = {
    ...manifest,
    metadata: { ...manifest.metadata, uid: 'u', resourceVersion: '7', labels: { 'job-name': 'pi' } },
    spec: {
      parallelism: 1,
      completions: 1,
      backoffLimit: 6,
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u' } },
      template: { metadata: { labels: { 'job-name': 'pi' } }, spec: { restartPolicy: 'Never', containers: [{ ...container, imagePullPolicy: 'IfNotPresent' }] } },
    },
    status: { succeeded: 1 },
  };

  it('is empty when the live Job has everything the manifest sets (defaults and generated fields aside)', () => {
    expect(applyPatch(manifest, live, manifest)).toEqual({});
  });

  it('holds only the changed fields', () => {
    expect(applyPatch({ ...manifest, spec: { ...manifest.spec, parallelism: 3 } }, live, manifest)).toEqual({ spec: { parallelism: 3 } });
  });

  it('sends a changed list whole', () => {
    const edited = { ...manifest, spec: { ...manifest.spec, template: { spec: { containers: [{ ...container, image: 'busybox:1.36' }] } } } };
    expect(applyPatch(edited, live, manifest)).toEqual({ spec: { template: { spec: { containers: [{ ...container, image: 'busybox:1.36' }] } } } });
  });

  it('nulls a field the last apply set and the manifest no longer does, not one the server defaulted', () => {
    const previous = { ...manifest, spec: { ...manifest.spec, activeDeadlineSeconds: 60 } };
    const withDeadline = { ...live, spec: { ...live.spec, activeDeadlineSeconds: 60 } };
    expect(applyPatch(manifest, withDeadline, previous)).toEqual({ spec: { activeDeadlineSeconds: null } });
    expect(applyPatch(manifest, withDeadline, undefined)).toEqual({});
  });

  it('adds what the live Job lacks, e.g. the last-applied annotation', () => {
    const annotated = { ...manifest, metadata: { ...manifest.metadata, annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } } };
    expect(applyPatch(annotated, live, undefined)).toEqual({ metadata: { annotations: { [LAST_APPLIED_ANNOTATION]: '{}' } } });
  });
});

describe('lastAppliedOf', () => {
  it.each<{ annotations: Record<string, string>; want: unknown }>([
    { annotations: { [LAST_APPLIED_ANNOTATION]: '{"spec":{"parallelism":2}}\n' }, want: { spec: { parallelism: 2 } } },
    { annotations: { [LAST_APPLIED_ANNOTATION]: 'not json' }, want: undefined },
    { annotations: {}, want: undefined },
  ])('$annotations', ({ annotations, want }) => {
    expect(lastAppliedOf({ metadata: { annotations } })).toEqual(want);
  });
});
