/**
 * The official Python client (python3-kubernetes, /usr/bin/python3) on CronJobs, against a real fleet,
 * with the kubeconfig `jobfleet kubeconfig` prints: create_namespaced_cron_job with typed models,
 * list_namespaced_cron_job and list_cron_job_for_all_namespaces with label selectors,
 * read_namespaced_cron_job, patch of spec.suspend, read_namespaced_cron_job_status, a refused
 * schedule, delete_namespaced_cron_job. The script python/cronjob.py reports what it saw; the
 * assertions are here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness.js';
import { hasPythonClient, runPythonScript } from './python-script.js';

let fleet: Fleet;
let run: string;
let value: <T>(name: string) => T;

describe.skipIf(!hasPythonClient())('the official Python client on CronJobs', () => {
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1 });
    ({ run, value } = await runPythonScript('cronjob.py', fleet.api.url, 60_000));
  }, 90_000);
  afterAll(async () => {
    await fleet?.close();
  });

  it('create_namespaced_cron_job answers a typed V1CronJob with the defaults Kubernetes applies', () => {
    const created = value<Record<string, unknown>>('create');
    expect(created).toMatchObject({ kind: 'V1CronJob', name: 'nightly', schedule: '0 3 * * *', concurrencyPolicy: 'Forbid', suspend: false, successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 1, templateKind: 'V1JobTemplateSpec' });
    expect(created.uid).toBeTruthy();
  });

  it('lists by label selector in the namespace and across namespaces, and reads it back', () => {
    expect(value('list')).toEqual({ kind: 'V1CronJobList', names: ['nightly'], allNamespaces: [`pycj-${run}/nightly`], none: [] });
    expect(value('read')).toEqual(value('create'));
  });

  it('patches spec.suspend (a merge patch); reads the status subresource', () => {
    expect(value('patch_suspend')).toEqual({ patched: true, read: true, generation: 2 });
    expect(value('read_status')).toEqual({ kind: 'V1CronJob', active: null, lastScheduleTime: null });
  });

  it('a schedule Kubernetes refuses is a 422 naming spec.schedule', () => {
    expect(value('invalid_schedule')).toMatchObject({ status: 422, kind: 'Status', statusReason: 'Invalid', message: expect.stringContaining('spec.schedule') });
  });

  it('delete_namespaced_cron_job, then reading it is a 404', () => {
    expect(value('delete')).toMatchObject({ status: 404, statusReason: 'NotFound', message: 'cronjobs.batch "nightly" not found' });
  });
});
