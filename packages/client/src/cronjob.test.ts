/**
 * The CronJob calls' requests (paths, verbs, bodies) against the boundary fake of the API server; the
 * calls against the real server are in packages/e2e (upstream/cronjob.test.ts).
 */
import type { CronJob } from '@jobfleet/kube';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeApiServer, sendJson, type FakeApiServer } from './__tests__/fake-api-server.js';
import { jobFromCronJob, JobfleetClient, resourcePath } from './client.js';

const cronJob: CronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'nightly', namespace: 'team', uid: 'cj-uid' },
  spec: {
    schedule: '*/1 * * * *',
    concurrencyPolicy: 'Allow',
    suspend: false,
    successfulJobsHistoryLimit: 3,
    failedJobsHistoryLimit: 1,
    jobTemplate: {
      metadata: { labels: { app: 'report' }, annotations: { owner: 'ops', [`cronjob.kubernetes.io/instantiate`]: 'template-wins' } },
      spec: { backoffLimit: 2, template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox', command: ['echo', 'hi'] }] } } },
    },
  },
};

describe('JobfleetClient CronJob calls', () => {
  let server: FakeApiServer | undefined;
  afterEach(async () => server?.close());

  it('createCronJob parses YAML and posts to the manifest namespace; refuses several documents', async () => {
    server = await fakeApiServer((request, response) => sendJson(response, 201, JSON.parse(request.body)));
    const client = new JobfleetClient({ server: server.url });
    const created = await client.createCronJob('apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: cj, namespace: team}\nspec: {schedule: "@hourly"}\n');
    expect(created.metadata.name).toBe('cj');
    expect([server.requests[0]?.method, server.requests[0]?.url.pathname]).toEqual(['POST', '/apis/batch/v1/namespaces/team/cronjobs']);
    await expect(client.createCronJob('kind: CronJob\n---\nkind: CronJob\n')).rejects.toThrow('createCronJob takes exactly one CronJob, but the text holds 2 documents');
  });

  it('get, list (with continue), merge patch of spec and of status, delete with Background propagation', async () => {
    server = await fakeApiServer((request, response) => {
      if (request.method === 'GET' && request.url.pathname.endsWith('/cronjobs')) {
        const page = request.url.searchParams.get('continue');
        return sendJson(response, 200, page ? { items: [{ metadata: { name: 'b' } }], metadata: {} } : { items: [{ metadata: { name: 'a' } }], metadata: { continue: 'next' } });
      }
      sendJson(response, 200, cronJob);
    });
    const client = new JobfleetClient({ server: server.url, namespace: 'team' });
    await client.getCronJob('nightly');
    const listed = await client.listCronJobs({ labelSelector: 'app=x' });
    expect(listed.map((c) => c.metadata.name)).toEqual(['a', 'b']);
    await client.patchCronJob('nightly', { spec: { suspend: true } });
    await client.patchCronJob('nightly', { status: { lastScheduleTime: '2025-01-01T00:00:00Z' } }, { status: true });
    await client.deleteCronJob('nightly', { namespace: 'other' });
    expect(server.requests.map((r) => [r.method, r.url.pathname, r.headers['content-type'] ?? ''])).toEqual([
      ['GET', '/apis/batch/v1/namespaces/team/cronjobs/nightly', ''],
      ['GET', '/apis/batch/v1/namespaces/team/cronjobs', ''],
      ['GET', '/apis/batch/v1/namespaces/team/cronjobs', ''],
      ['PATCH', '/apis/batch/v1/namespaces/team/cronjobs/nightly', 'application/merge-patch+json'],
      ['PATCH', '/apis/batch/v1/namespaces/team/cronjobs/nightly/status', 'application/merge-patch+json'],
      ['DELETE', '/apis/batch/v1/namespaces/other/cronjobs/nightly', 'application/json'],
    ]);
    expect(server.requests[1]?.url.searchParams.get('labelSelector')).toBe('app=x');
    expect(JSON.parse(server.requests[5]?.body ?? '')).toEqual({ kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' });
  });

  it('triggerCronJob reads the CronJob and posts the Job kubectl create job --from=cronjob/NAME would', async () => {
    server = await fakeApiServer((request, response) => (request.method === 'GET' ? sendJson(response, 200, cronJob) : sendJson(response, 201, JSON.parse(request.body))));
    const client = new JobfleetClient({ server: server.url });
    const job = await client.triggerCronJob('nightly', { namespace: 'team', jobName: 'nightly-now' });
    expect(server.requests.map((r) => [r.method, r.url.pathname])).toEqual([
      ['GET', '/apis/batch/v1/namespaces/team/cronjobs/nightly'],
      ['POST', '/apis/batch/v1/namespaces/team/jobs'],
    ]);
    expect(job).toEqual({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'nightly-now',
        // The template's annotations win over kubectl's own, as in create_job.go.
        annotations: { 'cronjob.kubernetes.io/instantiate': 'template-wins', owner: 'ops' },
        labels: { app: 'report' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'nightly', uid: 'cj-uid', controller: true }],
      },
      spec: cronJob.spec.jobTemplate.spec,
    });
    // The positional form of the brief: (namespace, name, jobName?).
    await client.triggerCronJob('team', 'nightly', 'by-position');
    expect(JSON.parse(server.requests[3]?.body ?? '{}').metadata.name).toBe('by-position');
    expect(server.requests[3]?.url.pathname).toBe('/apis/batch/v1/namespaces/team/jobs');
  });

  it('jobFromCronJob: manual annotation by default, a generated name of at most 58 + 5 characters', () => {
    const plain: CronJob = { ...cronJob, metadata: { name: 'x'.repeat(52), uid: 'u' }, spec: { ...cronJob.spec, jobTemplate: { spec: cronJob.spec.jobTemplate.spec } } };
    const job = jobFromCronJob(plain);
    expect(job.metadata.name).toBeUndefined();
    expect(job.metadata.generateName).toBe(`${'x'.repeat(52)}-manual-`.slice(0, 58));
    expect(job.metadata.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual' });
    expect(job.metadata.labels).toBeUndefined();
    expect(jobFromCronJob(cronJob).metadata.generateName).toBe('nightly-manual-');
  });

  it('cronJobEvents selects the events by name, namespace, kind CronJob and uid', async () => {
    server = await fakeApiServer((_, response) => sendJson(response, 200, { items: [] }));
    await new JobfleetClient({ server: server.url }).cronJobEvents(cronJob);
    expect(server.requests[0]?.url.pathname).toBe('/api/v1/namespaces/team/events');
    expect(server.requests[0]?.url.searchParams.get('fieldSelector')).toBe('involvedObject.name=nightly,involvedObject.namespace=team,involvedObject.kind=CronJob,involvedObject.uid=cj-uid');
  });

  it('resourcePath(cronjobs)', () => {
    expect(resourcePath('cronjobs', 'ns', 'x')).toBe('/apis/batch/v1/namespaces/ns/cronjobs/x');
  });
});
