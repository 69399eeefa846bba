import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import type { CronJob, Job } from '@jobfleet/kube';
import { aggregatedDiscoveryVersion, apiResourceList, BATCH_V1 } from './discovery.js';
import { buildTable, tableRequest } from './tables.js';

const KUBECTL_GET = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const fakeRequest = (accept: string | undefined, query: Record<string, string> = {}) => ({ headers: { accept }, query }) as unknown as FastifyRequest;

const job: Job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name: 'pi', namespace: 'default', resourceVersion: '7', labels: { a: 'b' }, creationTimestamp: '2026-01-01T11:59:00Z' },
  spec: { completions: 1, template: { spec: { containers: [{ name: 'main', image: 'busybox' }] } } },
  status: { succeeded: 0 },
};

describe('tableRequest', () => {
  it.each<{ name: string; accept: string | undefined; want: string | undefined }>([
    { name: 'kubectl get', accept: KUBECTL_GET, want: 'meta.k8s.io/v1' },
    { name: 'v1beta1 only', accept: 'application/json;as=Table;v=v1beta1;g=meta.k8s.io', want: 'meta.k8s.io/v1beta1' },
    { name: 'plain JSON', accept: 'application/json', want: undefined },
    { name: 'no header', accept: undefined, want: undefined },
    { name: 'another group', accept: 'application/json;as=Table;v=v1;g=example.com', want: undefined },
  ])('$name → $want', ({ accept, want }) => {
    expect(tableRequest(fakeRequest(accept))?.apiVersion).toBe(want);
  });

  it('refuses an unknown includeObject', () => {
    expect(() => tableRequest(fakeRequest(KUBECTL_GET, { includeObject: 'All' }))).toThrow(/includeObject/);
  });
});

describe('buildTable', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  it.each<{ include: 'None' | 'Metadata' | 'Object'; want: unknown }>([
    { include: 'Metadata', want: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: job.metadata } },
    { include: 'Object', want: job },
    { include: 'None', want: undefined },
  ])('includeObject=$include', ({ include, want }) => {
    const table = buildTable('jobs', [job], now, { apiVersion: 'meta.k8s.io/v1', includeObject: include }, { resourceVersion: '9' });
    expect(table).toMatchObject({ kind: 'Table', apiVersion: 'meta.k8s.io/v1', metadata: { resourceVersion: '9' } });
    expect(table.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Status', 0],
      ['Completions', 0],
      ['Duration', 0],
      ['Age', 0],
      ['Containers', 1],
      ['Images', 1],
      ['Selector', 1],
    ]);
    expect(table.rows[0]?.cells).toEqual(['pi', 'Running', '0/1', '', '60s', 'main', 'busybox', '<none>']);
    expect((table.rows[0] as { object?: unknown }).object).toEqual(want);
  });
});

describe('buildTable of CronJobs', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const cronJob: CronJob = {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'nightly', namespace: 'default', resourceVersion: '3', creationTimestamp: '2026-01-01T10:00:00Z' },
    spec: {
      schedule: '0 3 * * *',
      timeZone: 'Europe/Paris',
      concurrencyPolicy: 'Forbid',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
      jobTemplate: { spec: { template: { spec: { containers: [{ name: 'a', image: 'busybox' }, { name: 'b', image: 'alpine:3' }] } } } },
    },
    status: { active: [{ kind: 'Job', name: 'nightly-1' }], lastScheduleTime: '2026-01-01T11:55:00Z' },
  };

  it("has printCronJob's columns, wide ones at priority 1, and a row per CronJob", () => {
    const table = buildTable('cronjobs', [cronJob, { ...cronJob, metadata: { ...cronJob.metadata, name: 'idle' }, spec: { ...cronJob.spec, timeZone: undefined, suspend: true }, status: {} }], now, {
      apiVersion: 'meta.k8s.io/v1',
      includeObject: 'Metadata',
    });
    expect(table.columnDefinitions.map((c) => [c.name, c.type, c.priority])).toEqual([
      ['Name', 'string', 0],
      ['Schedule', 'string', 0],
      ['Timezone', 'string', 0],
      ['Suspend', 'boolean', 0],
      ['Active', 'integer', 0],
      ['Last Schedule', 'string', 0],
      ['Age', 'string', 0],
      ['Containers', 'string', 1],
      ['Images', 'string', 1],
      ['Selector', 'string', 1],
    ]);
    expect(table.rows.map((r) => r.cells)).toEqual([
      ['nightly', '0 3 * * *', 'Europe/Paris', 'False', 1, '5m', '120m', 'a,b', 'busybox,alpine:3', '<none>'],
      ['idle', '0 3 * * *', '<none>', 'True', 0, '<none>', '120m', 'a,b', 'busybox,alpine:3', '<none>'],
    ]);
    expect((table.rows[0] as { object?: unknown }).object).toEqual({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: cronJob.metadata });
  });
});

describe('discovery', () => {
  it.each<{ accept: string; want: string | undefined }>([
    { accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json', want: 'v2' },
    { accept: 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList', want: 'v2beta1' },
    { accept: 'application/json', want: undefined },
  ])('aggregated discovery for "$accept" → $want', ({ accept, want }) => {
    expect(aggregatedDiscoveryVersion(accept)).toBe(want);
  });

  it('lists jobs and the writable jobs/status in batch/v1 as kubectl needs them', () => {
    const list = apiResourceList(BATCH_V1);
    expect(list.groupVersion).toBe('batch/v1');
    expect(list.resources.filter((r) => r.name.startsWith('jobs'))).toEqual([
      {
        name: 'jobs',
        singularName: 'job',
        namespaced: true,
        kind: 'Job',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        categories: ['all'],
      },
      { name: 'jobs/status', singularName: '', namespaced: true, kind: 'Job', verbs: ['get', 'patch', 'update'] },
    ]);
  });

  it('lists cronjobs (short name cj, category all) and cronjobs/status before jobs, as a 1.32 API server does', () => {
    const list = apiResourceList(BATCH_V1);
    expect(list.resources.map((r) => r.name)).toEqual(['cronjobs', 'cronjobs/status', 'jobs', 'jobs/status']);
    expect(list.resources.slice(0, 2)).toEqual([
      {
        name: 'cronjobs',
        singularName: 'cronjob',
        namespaced: true,
        kind: 'CronJob',
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
        shortNames: ['cj'],
        categories: ['all'],
      },
      { name: 'cronjobs/status', singularName: '', namespaced: true, kind: 'CronJob', verbs: ['get', 'patch', 'update'] },
    ]);
  });
});
