/**
 * The real kubectl (/usr/bin/kubectl) on CronJobs against a real fleet (API, worker, Redis, Docker):
 * discovery (`api-resources`, the short name `cj`, `auth can-i`), `create cronjob` (typed: sent and
 * answered in protobuf, also with --dry-run=server), `get` with the server's Table (default and
 * wide columns), `-o yaml`, `explain` (OpenAPI v3), `patch`, `describe` and `delete`.
 * HOME is a fresh directory so that kubectl's discovery cache starts empty.
 */
import { describe, expect, it } from 'vitest';
import { uniqueName } from '../harness.js';
import { eventually } from '../timing.js';
import { kubectlOk, tableRows as rows, useFleetWithKubectl, type Kubectl, type KubectlResult } from '../kubectl-runner.js';

let k: Kubectl;

useFleetWithKubectl({ workers: 1 }, (_fleet, kubectl) => (k = kubectl), 'jobfleet-kubectl-cronjob-');

const kubectl = (args: string[]): Promise<KubectlResult> => k.run(args, { timeoutMs: 90_000 });
const ok = (args: string[]): Promise<string> => kubectlOk(k, args, { timeoutMs: 90_000 });

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

/** The Content-Types kubectl -v=8 logged (requests and responses). */
function contentTypes(log: string): string[] {
  return [...log.matchAll(/Content-Type: ([^\s]+)/g)].map((m) => m[1] ?? '');
}

describe.concurrent('kubectl on CronJobs (the API)', () => {
  it('create cronjob (protobuf both ways), get with the server\'s columns, -o wide, -o yaml, patch, describe, delete', async () => {
    const name = uniqueName('kc');
    const created = await kubectl(['create', 'cronjob', name, '--image=busybox', '--schedule=*/1 * * * *', '-v=8', '--', 'echo', 'hi']);
    expect(created.stdout).toContain(`cronjob.batch/${name} created`);
    expect(created.code).toBe(0);
    // The POST's body and its answer were protobuf.
    expect(contentTypes(created.stderr).filter((t) => t === PROTOBUF).length).toBeGreaterThanOrEqual(2);

    const table = rows(await ok(['get', 'cronjobs', name]));
    expect(table[0]).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE']);
    expect(table[1]?.slice(0, 4)).toEqual([name, '*/1 * * * *', '<none>', 'False']);
    expect(table[1]?.[6]).toMatch(/^\d+s$/);
    const wide = rows(await ok(['get', 'cj', name, '-o', 'wide']));
    expect(wide[0]).toEqual(['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE', 'CONTAINERS', 'IMAGES', 'SELECTOR']);
    expect(wide[1]?.slice(-3)).toEqual([name, 'busybox', '<none>']);

    const yaml = await ok(['get', 'cronjob', name, '-o', 'yaml']);
    expect(yaml).toMatch(/^apiVersion: batch\/v1\nkind: CronJob\n/);
    expect(yaml).toContain("schedule: '*/1 * * * *'");
    expect(yaml).toMatch(/concurrencyPolicy: Allow/);
    const json = JSON.parse(await ok(['get', 'cronjob', name, '-o', 'json'])) as { spec: { jobTemplate: { metadata: { name: string }; spec: { template: { spec: { containers: { name: string; command: string[] }[]; restartPolicy: string } } } } } };
    // What kubectl create cronjob builds: the container named after the CronJob, restartPolicy OnFailure.
    expect(json.spec.jobTemplate.spec.template.spec).toMatchObject({ restartPolicy: 'OnFailure', containers: [{ name, command: ['echo', 'hi'] }] });
    expect(json.spec.jobTemplate.metadata.name).toBe(name);

    expect(await ok(['patch', 'cronjob', name, '-p', '{"spec":{"suspend":true}}'])).toContain(`cronjob.batch/${name} patched`);
    expect(rows(await ok(['get', 'cronjob', name, '--no-headers']))[0]?.[3]).toBe('True');
    expect(await ok(['patch', 'cronjob', name, '--type=merge', '-p', '{"spec":{"schedule":"@hourly"}}'])).toContain('patched');
    expect(await ok(['get', 'cronjob', name, '-o', 'jsonpath={.spec.schedule}'])).toBe('@hourly');

    const described = await ok(['describe', 'cronjob', name]);
    expect(described).toMatch(new RegExp(`^Name:\\s+${name}\\n`));
    expect(described).toMatch(/Schedule:\s+@hourly/);
    expect(described).toMatch(/Suspend:\s+True/);

    expect(await ok(['delete', 'cronjob', name])).toContain(`cronjob.batch "${name}" deleted`);
    const missing = await kubectl(['get', 'cronjob', name]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain(`cronjobs.batch "${name}" not found`);
  });

  it('create cronjob --dry-run=server answers the defaulted CronJob in protobuf and stores nothing; errors are protobuf Status objects', async () => {
    const name = uniqueName('kc-dry');
    const dry = await kubectl(['create', 'cronjob', name, '--image=busybox', '--schedule=@daily', '--dry-run=server', '-o', 'json', '--', 'true']);
    expect(dry.code).toBe(0);
    const cronJob = JSON.parse(dry.stdout) as { metadata: { uid?: string; creationTimestamp?: string }; spec: Record<string, unknown> };
    expect(cronJob.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(cronJob.spec).toMatchObject({ schedule: '@daily', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1 });
    expect((await kubectl(['get', 'cronjob', name])).code).toBe(1);

    const bad = await kubectl(['create', 'cronjob', name, '--image=busybox', '--schedule=*/1 * * *', '-v=8', '--', 'true']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain(`CronJob.batch "${name}" is invalid: spec.schedule: Invalid value: "*/1 * * *"`);
    expect(contentTypes(bad.stderr).filter((t) => t === PROTOBUF).length).toBeGreaterThanOrEqual(2);
    const tz = await kubectl(['create', 'cronjob', name, '--image=busybox', '--schedule=CRON_TZ=UTC 0 * * * *', '--', 'true']);
    expect(tz.stderr).toContain('spec.schedule: Invalid value: "CRON_TZ=UTC 0 * * * *"');

    expect((await ok(['create', 'cronjob', name, '--image=busybox', '--schedule=@daily', '--', 'true'])).trim()).toBe(`cronjob.batch/${name} created`);
    const again = await kubectl(['create', 'cronjob', name, '--image=busybox', '--schedule=@daily', '--', 'true']);
    expect(again.stderr).toContain(`cronjobs.batch "${name}" already exists`);
    await ok(['delete', 'cj', name]);
  });

  it('discovery: api-resources lists cronjobs (cj, category all), auth can-i allows them, explain prints Kubernetes\' fields', async () => {
    const resources = rows(await ok(['api-resources', '-o', 'wide', '--no-headers', '--api-group=batch']));
    const cronjobs = resources.find((r) => r[0] === 'cronjobs') ?? [];
    expect(cronjobs.slice(0, 5)).toEqual(['cronjobs', 'cj', 'batch/v1', 'true', 'CronJob']);
    expect(cronjobs[5]?.replace(/[[\]]/g, '').split(/[ ,]/)).toEqual(['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    expect(cronjobs[6]).toBe('all');
    expect(await kubectl(['auth', 'can-i', 'create', 'cronjobs'])).toMatchObject({ code: 0, stdout: 'yes\n' });
    expect(await kubectl(['auth', 'can-i', 'update', 'cronjobs', '--subresource=status'])).toMatchObject({ code: 0, stdout: 'yes\n' });

    const explained = await ok(['explain', 'cronjob.spec.schedule']);
    expect(explained).toMatch(/^GROUP:\s+batch\nKIND:\s+CronJob\nVERSION:\s+v1\n/);
    expect(explained).toContain('FIELD: schedule <string>');
    expect(explained).toMatch(/The schedule in Cron format/);
    const template = await ok(['explain', 'cronjob.spec.jobTemplate.spec.template.spec.containers']);
    expect(template).toContain('FIELD: containers <[]Container>');
  });
});

describe.concurrent('kubectl on CronJobs (scheduling and manual runs)', () => {
  it('create job NAME --from=cronjob/CJ: a Job of the jobTemplate, annotated manual, controlled by the CronJob; it completes', async () => {
    const name = uniqueName('kc-from');
    await ok(['create', 'cronjob', name, '--image=busybox', '--schedule=0 0 1 1 *', '--', 'echo', 'manual run']);
    await ok(['patch', 'cronjob', name, '-p', '{"spec":{"suspend":true}}']);
    expect((await ok(['create', 'job', `${name}-now`, `--from=cronjob/${name}`])).trim()).toBe(`job.batch/${name}-now created`);
    const uid = await ok(['get', 'cronjob', name, '-o', 'jsonpath={.metadata.uid}']);
    const job = JSON.parse(await ok(['get', 'job', `${name}-now`, '-o', 'json'])) as { metadata: { annotations: Record<string, string>; ownerReferences: unknown[] } };
    expect(job.metadata.annotations['cronjob.kubernetes.io/instantiate']).toBe('manual');
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name, uid, controller: true }]);
    await ok(['wait', '--for=condition=complete', `job/${name}-now`, '--timeout=60s']);
    expect(await ok(['logs', `job/${name}-now`])).toBe('manual run\n');
    expect(await ok(['describe', 'job', `${name}-now`])).toMatch(new RegExp(`^Controlled By:\\s+CronJob/${name}$`, 'm'));

    const missing = await kubectl(['create', 'job', 'x', '--from=cronjob/no-such-cronjob']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cronjobs.batch "no-such-cronjob" not found');
    // Deleting the CronJob takes the manual Job along (it is the Job's controller).
    await ok(['delete', 'cronjob', name]);
    await eventually(async () => (await kubectl(['get', 'job', `${name}-now`])).code === 1, 60_000, `job ${name}-now to go with its CronJob`);
  });

  it('a */1 CronJob: get jobs shows its scheduled Job, describe cronjob its last schedule time, active Jobs and events', async () => {
    const name = uniqueName('kc-sched');
    await ok(['create', 'cronjob', name, '--image=busybox', '--schedule=*/1 * * * *', '--', 'sh', '-c', 'echo scheduled; sleep 2']);
    // The first schedule time is at most a minute away.
    const jobName = await eventually(
      async () => (await ok(['get', 'jobs', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}'])).split('\n').find((n) => new RegExp(`^${name}-\\d+$`).test(n)),
      150_000,
      `a scheduled Job of ${name}`,
    );
    const table = rows(await ok(['get', 'jobs', jobName]));
    expect(table[0]).toEqual(['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE']);
    expect(table[1]?.[0]).toBe(jobName);

    const described = await ok(['describe', 'cronjob', name]);
    expect(described).toMatch(/^Last Schedule Time:\s+\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:00 [+-]\d{4}$/m);
    expect(described).toMatch(new RegExp(`^Active Jobs:\\s+(${jobName}|<none>)$`, 'm'));
    expect(described).toMatch(new RegExp(`^\\s+Normal\\s+SuccessfulCreate\\s+\\S+\\s+cronjob-controller\\s+Created job ${jobName}$`, 'm'));

    await ok(['wait', '--for=condition=complete', `job/${jobName}`, '--timeout=60s']);
    expect(await ok(['logs', `job/${jobName}`])).toBe('scheduled\n');
    await ok(['delete', 'cronjob', name]);
    await eventually(async () => (await kubectl(['get', 'job', jobName])).code === 1, 60_000, `job ${jobName} to go with its CronJob`);
  });
});
