import type { Job } from '@jobfleet/kube';
import { describe, expect, it } from 'vitest';
import { completionSummary, mayRunSeveralPods } from './commands/run.js';
import { buildKubeconfig } from './kubeconfig.js';
import { containerStarted } from './pod-logs.js';
import { progressLine } from './progress.js';

const job = (spec: Partial<Job['spec']>, status: Job['status'] = {}): Job => ({
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'echo-job' },
  spec: { template: { spec: { containers: [] } }, ...spec },
  status,
});

describe('run output', () => {
  it('prints one plain status line per state', () => {
    expect(progressLine(job({}, { active: 1 }))).toBe('echo-job: 1 active, 0 succeeded, 0 failed');
  });

  it.each([
    { spec: { completions: 5 }, status: { succeeded: 5, startTime: '2025-01-01T00:00:00Z', completionTime: '2025-01-01T00:00:03Z' }, want: 'job.batch/echo-job complete: 5/5 succeeded in 3s' },
    { spec: {}, status: { succeeded: 1 }, want: 'job.batch/echo-job complete: 1/1 succeeded' },
  ])('summarizes a completed Job: $want', ({ spec, status, want }) => {
    expect(completionSummary(job(spec, status))).toBe(want);
  });

  it.each([
    { spec: {}, want: false },
    { spec: { completions: 1, parallelism: 1 }, want: false },
    { spec: { completions: 5 }, want: true },
    { spec: { parallelism: 3, completions: null }, want: true },
  ])('prefixes log lines with the pod name when $spec may run several pods: $want', ({ spec, want }) => {
    expect(mayRunSeveralPods(job(spec))).toBe(want);
  });

  it.each([
    { phase: 'Pending' as const, state: { waiting: { reason: 'ContainerCreating' } }, want: false },
    { phase: 'Pending' as const, state: { running: {} }, want: true },
    { phase: 'Running' as const, state: { running: {} }, want: true },
    { phase: 'Failed' as const, state: { terminated: { exitCode: 1 } }, want: true },
  ])('follows a $phase pod only once its container started: $want', ({ phase, state, want }) => {
    const pod = { apiVersion: 'v1' as const, kind: 'Pod' as const, metadata: {}, spec: { containers: [] }, status: { phase, containerStatuses: [{ name: 'c', image: 'i', ready: false, restartCount: 0, state }] } };
    expect(containerStarted(pod)).toBe(want);
  });
});

describe('kubeconfig', () => {
  it('points a jobfleet context at the server, with the token when set', () => {
    expect(buildKubeconfig({ server: 'http://h:8080', namespace: 'team', token: 't' })).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'jobfleet', cluster: { server: 'http://h:8080', 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'jobfleet', user: { token: 't' } }],
      contexts: [{ name: 'jobfleet', context: { cluster: 'jobfleet', user: 'jobfleet', namespace: 'team' } }],
      'current-context': 'jobfleet',
      preferences: {},
    });
  });

  it('keeps an https URL as it is and embeds the CA as certificate-authority-data', () => {
    const config = buildKubeconfig({ server: 'https://h:8443', namespace: 'default', certificateAuthority: '-----BEGIN CERTIFICATE-----\n' });
    expect(config.clusters).toEqual([{ name: 'jobfleet', cluster: { server: 'https://h:8443', 'certificate-authority-data': 'LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCg==' } }]);
  });

  it('says insecure-skip-tls-verify when asked', () => {
    expect(buildKubeconfig({ server: 'https://h:8443', namespace: 'default', insecureSkipTlsVerify: true }).clusters).toEqual([
      { name: 'jobfleet', cluster: { server: 'https://h:8443', 'insecure-skip-tls-verify': true } },
    ]);
  });
});
