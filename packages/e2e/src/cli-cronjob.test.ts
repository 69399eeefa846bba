/**
 * The real `jobfleet` command on CronJobs against a real fleet (API with its CronJob controller,
 * worker, janitor, Redis, Docker): examples/cronjob.yaml applied as-is runs its first Job to
 * completion; get (the server's Table), describe, create job --from=cronjob/NAME, delete with its
 * Jobs; apply of a file mixing Jobs and CronJobs; errors as one line. Each case has its own namespace
 * and the cases run concurrently (the example waits for a schedule time, up to a minute).
 */
import { join } from 'node:path';
import type { CronJob, Job } from '@jobfleet/kube';
import { describe, expect, it } from 'vitest';
import { REPO, runJobfleet, tableRows, type CliResult } from './cli-runner.js';
import { useFleet, uniqueName, type Fleet } from './harness.js';
import { eventually } from './timing.js';

const EXAMPLE = join(REPO, 'examples/cronjob.yaml');
const INSTANTIATE = 'cronjob.kubernetes.io/instantiate';

let fleet: Fleet;
useFleet({ workers: 1, maxPods: 20 }, (f) => {
  fleet = f;
});

/** jobfleet against the fleet, in namespace `ns`. */
function cli(ns: string, args: string[], input?: string): Promise<CliResult> {
  return runJobfleet(['--server', fleet.api.url, '-n', ns, ...args], input === undefined ? {} : { input });
}

async function ok(ns: string, args: string[], input?: string): Promise<string> {
  const result = await cli(ns, args, input);
  if (result.code !== 0) throw new Error(`jobfleet ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

const complete = (job: Job) => (job.status?.conditions ?? []).some((c) => c.type === 'Complete' && c.status === 'True');

function cronJobYaml(name: string, schedule: string, extra = ''): string {
  return [
    'apiVersion: batch/v1',
    'kind: CronJob',
    `metadata: {name: ${name}}`,
    'spec:',
    `  schedule: "${schedule}"`,
    ...(extra ? [`  ${extra}`] : []),
    '  jobTemplate:',
    '    metadata: {labels: {app: report}}',
    '    spec:',
    '      template:',
    '        spec:',
    '          restartPolicy: Never',
    '          containers: [{name: main, image: busybox, command: [echo, manual run]}]',
    '',
  ].join('\n');
}

describe.concurrent('jobfleet on CronJobs', () => {
  it('apply -f examples/cronjob.yaml: created, unchanged; its first scheduled Job completes; get, describe, delete with its Jobs', async () => {
    const ns = uniqueName('cli-cj-example');
    const client = fleet.client;
    expect(await cli(ns, ['apply', '-f', EXAMPLE])).toEqual({ code: 0, stdout: 'cronjob.batch/hello created\n', stderr: '' });
    expect(await cli(ns, ['apply', '-f', EXAMPLE])).toEqual({ code: 0, stdout: 'cronjob.batch/hello unchanged\n', stderr: '' });

    // The first scheduled Job (hello-<minutes>) runs to completion and prints its line.
    const job = await eventually(async () => (await client.listJobs({ namespace: ns })).find((j) => /^hello-\d+$/.test(j.metadata.name ?? '') && complete(j)), 150_000, 'the first Job of hello to complete');
    const [pod] = await client.listPods({ namespace: ns, jobName: job.metadata.name ?? '' });
    expect(await client.logs(pod?.metadata.name ?? '', { namespace: ns })).toMatch(/Hello from a CronJob\n$/);

    const [header, row] = tableRows(await ok(ns, ['get', 'cronjobs']));
    expect(header).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
    expect(row?.slice(0, 4)).toEqual(['hello', '* * * * *', '<none>', 'False']);
    expect(row?.[5]).not.toBe('<none>');
    const [wideHeader, wideRow] = tableRows(await ok(ns, ['get', 'cj', 'hello', '-o', 'wide']));
    expect(wideHeader).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wideRow?.slice(7, 9)).toEqual(['hello', 'busybox']);
    expect(await ok(ns, ['get', 'cronjob/hello', '-o', 'name'])).toBe('cronjob.batch/hello\n');
    expect((JSON.parse(await ok(ns, ['get', 'cronjob', 'hello', '-o', 'json'])) as CronJob).spec).toMatchObject({ schedule: '* * * * *', concurrencyPolicy: 'Allow', suspend: false });
    // kubectl get jobs: the CronJob's Jobs are Jobs like any other.
    expect(tableRows(await ok(ns, ['get', 'jobs'])).some((cells) => cells[0] === job.metadata.name)).toBe(true);

    const described = await ok(ns, ['describe', 'cronjob', 'hello']);
    expect(described).toMatch(/^Name: +hello$/m);
    expect(described).toMatch(/^Schedule: +\* \* \* \* \*$/m);
    expect(described).toMatch(/^Concurrency Policy: +Allow$/m);
    expect(described).toMatch(/^Suspend: +False$/m);
    expect(described).toMatch(/^Successful Job History Limit: +3$/m);
    expect(described).toMatch(/^Failed Job History Limit: +1$/m);
    expect(described).toMatch(/^Last Schedule Time: +\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:00 [+-]\d{4}$/m);
    expect(described).toMatch(/^ {2}Normal +SuccessfulCreate +\S+ +cronjob-controller +Created job hello-\d+$/m);

    expect(await cli(ns, ['delete', 'cronjob', 'hello'])).toEqual({ code: 0, stdout: 'cronjob.batch "hello" deleted\n', stderr: '' });
    expect(await cli(ns, ['get', 'cj', 'hello'])).toEqual({ code: 1, stdout: '', stderr: 'error: cronjobs.batch "hello" not found\n' });
    await eventually(async () => (await client.listJobs({ namespace: ns })).length === 0, 60_000, "the CronJob's Jobs to go with it");
  });

  it('create job NAME --from=cronjob/CJ runs the jobTemplate now, marked manual and controlled by the CronJob', async () => {
    const ns = uniqueName('cli-cj-manual');
    // Scheduled once a year, on a day that is not today: only the manual run happens here.
    await ok(ns, ['apply', '-f', '-'], cronJobYaml('yearly', '0 0 1 1 *', 'suspend: true'));
    expect(await cli(ns, ['create', 'job', 'now', '--from=cronjob/yearly'])).toEqual({ code: 0, stdout: 'job.batch/now created\n', stderr: '' });
    const cronJob = await fleet.client.getCronJob('yearly', { namespace: ns });
    const job = await fleet.client.waitForCompletion('now', { namespace: ns, timeoutMs: 60_000 });
    expect(job.metadata.annotations?.[INSTANTIATE]).toBe('manual');
    expect(job.metadata.labels).toMatchObject({ app: 'report' });
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'yearly', uid: cronJob.metadata.uid, controller: true }]);
    const [pod] = await fleet.client.listPods({ namespace: ns, jobName: 'now' });
    expect(await fleet.client.logs(pod?.metadata.name ?? '', { namespace: ns })).toBe('manual run\n');

    // A manual run is not one of the CronJob's scheduled runs.
    expect(await ok(ns, ['describe', 'cj/yearly'])).toMatch(/^Active Jobs: +<none>$/m);
    // Errors: one line, exit 1 (server) or 2 (usage).
    expect(await cli(ns, ['create', 'job', 'again', '--from', 'cronjob/missing'])).toEqual({ code: 1, stdout: '', stderr: 'error: cronjobs.batch "missing" not found\n' });
    expect(await cli(ns, ['create', 'job', 'now', '--from', 'cronjob/yearly'])).toEqual({ code: 1, stdout: '', stderr: 'error: jobs.batch "now" already exists\n' });
    expect((await cli(ns, ['create', 'job', 'x', '--from', 'job/now'])).code).toBe(2);

    await ok(ns, ['delete', 'cj', 'yearly']);
    await eventually(async () => (await fleet.client.listJobs({ namespace: ns })).length === 0, 60_000, 'the manual Job to go with its CronJob');
  });

  it('apply of a file mixing Jobs and CronJobs; a schedule change is configured; an invalid schedule is one error line', async () => {
    const ns = uniqueName('cli-cj-mixed');
    const job = ['apiVersion: batch/v1', 'kind: Job', 'metadata: {name: plain}', 'spec:', '  template:', '    spec:', '      restartPolicy: Never', '      containers: [{name: main, image: busybox, command: ["true"]}]', ''].join('\n');
    const mixed = `${cronJobYaml('nightly', '0 3 * * *')}---\n${job}`;
    expect(await cli(ns, ['apply', '-f', '-'], mixed)).toEqual({ code: 0, stdout: 'cronjob.batch/nightly created\njob.batch/plain created\n', stderr: '' });
    expect(await cli(ns, ['apply', '-f', '-'], mixed)).toEqual({ code: 0, stdout: 'cronjob.batch/nightly unchanged\njob.batch/plain unchanged\n', stderr: '' });
    const edited = mixed.replace('0 3 * * *', '30 4 * * 1-5');
    expect(await cli(ns, ['apply', '-f', '-'], edited)).toEqual({ code: 0, stdout: 'cronjob.batch/nightly configured\njob.batch/plain unchanged\n', stderr: '' });
    expect((await fleet.client.getCronJob('nightly', { namespace: ns })).spec.schedule).toBe('30 4 * * 1-5');

    const invalid = await cli(ns, ['apply', '-f', '-'], cronJobYaml('broken', '61 * * * *'));
    expect(invalid.code).toBe(1);
    expect(invalid.stdout).toBe('');
    expect(invalid.stderr).toMatch(/^error: The CronJob "broken" is invalid: spec\.schedule: Invalid value: "61 \* \* \* \*": [^\n]+\n$/);
    await expect(fleet.client.getCronJob('broken', { namespace: ns })).rejects.toThrow('not found');

    const deployment = await cli(ns, ['apply', '-f', '-'], 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n');
    expect(deployment.code).toBe(1);
    expect(deployment.stderr).toBe('error: resource mapping not found in "STDIN": no matches for kind "Deployment" in version "apps/v1" (jobfleet serves batch/v1 Job and CronJob)\n');
  });
});
