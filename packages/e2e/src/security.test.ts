/**
 * Pod security end to end: the safe securityContext fields applied by the worker, the privileged
 * ones refused by a default API server (writing nothing) and honoured by one started with
 * allowPrivileged. Needs a Docker host that is this machine (the host namespaces and hostPath
 * checks compare with this process's own namespaces and files).
 */
import { mkdtempSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BadRequestError, JobFailedError, type JobfleetClient } from '@jobfleet/client';
import type { Job, Pod } from '@jobfleet/kube';
import { dataKeys, startFleet, uniqueName, type Fleet } from './harness.js';
import { killGroup, startJobfleet } from './hostile/jobfleet-process.js';

let fleet: Fleet;
let privileged: Fleet;
let redis: Redis;
let hostDir: string;

beforeAll(async () => {
  [fleet, privileged] = await Promise.all([startFleet({ workers: 1, janitor: false }), startFleet({ workers: 1, janitor: false, allowPrivileged: true })]);
  redis = new Redis(fleet.redisUrl);
  hostDir = mkdtempSync(join(tmpdir(), 'jobfleet-hostpath-'));
});
afterAll(async () => {
  redis?.disconnect();
  await Promise.all([fleet?.close(), privileged?.close()]);
  if (hostDir) rmSync(hostDir, { recursive: true, force: true });
});

const NOT_ALLOWED = 'Forbidden: not allowed on this jobfleet server (start the API with --allow-privileged)';
const POD = 'spec.template.spec';

function job(name: string, podSpec: Record<string, unknown>, spec: Record<string, unknown> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { backoffLimit: 0, ...spec, template: { spec: { restartPolicy: 'Never', ...podSpec } } },
  } as Job;
}

function shell(script: string, extra: Record<string, unknown> = {}) {
  return { name: 'main', image: 'busybox', command: ['sh', '-c', script], ...extra };
}

/** The fleet's keys, sorted: a request that writes nothing leaves them as they were (a diff names the key). */
async function keySet(prefix: string): Promise<string[]> {
  return (await dataKeys(redis, prefix)).sort();
}

async function post(f: Fleet, body: unknown, query = '') {
  const res = await fetch(`${f.api.url}/apis/batch/v1/namespaces/default/jobs${query}`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  });
  return { code: res.status, body: (await res.json()) as Record<string, any> };
}

/** Runs the Job to Complete and returns its only pod and that pod's log. */
async function runToCompletion(client: JobfleetClient, manifest: Job, container?: string): Promise<{ pod: Pod; log: string }> {
  const name = manifest.metadata.name ?? '';
  await client.createJob(manifest);
  await client.waitForCompletion(name, { timeoutMs: 60_000 });
  const [pod] = await client.listPods({ jobName: name });
  if (!pod) throw new Error(`no pod for ${name}`);
  return { pod, log: await client.logs(pod.metadata.name ?? '', container ? { container } : {}) };
}

/** Runs the Job (backoffLimit 0) to Failed and returns its only pod and that pod's log (or the error that reading it gave). */
async function runToFailure(client: JobfleetClient, manifest: Job): Promise<{ pod: Pod; log: string | unknown }> {
  const name = manifest.metadata.name ?? '';
  await client.createJob(manifest);
  const error = await client.waitForCompletion(name, { timeoutMs: 60_000 }).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(JobFailedError);
  const [pod] = await client.listPods({ jobName: name });
  if (!pod) throw new Error(`no pod for ${name}`);
  return { pod, log: await client.logs(pod.metadata.name ?? '').catch((e: unknown) => e) };
}

/** The namespaces of this process, which the test's Docker host shares. */
const hostNamespace = (kind: 'net' | 'ipc' | 'pid') => readlinkSync(`/proc/self/ns/${kind}`);

describe('a server without allowPrivileged', () => {
  // First, and alone: no other request of this file writes to the fleet while the keys are counted.
  it('answers 422 naming every privileged field of the manifest, and writes nothing', async () => {
    const before = await keySet(fleet.prefix);
    const manifest = job(uniqueName('priv'), {
      hostNetwork: true,
      hostPID: true,
      hostIPC: true,
      volumes: [{ name: 'docker', hostPath: { path: '/var/run/docker.sock', type: 'Socket' } }],
      containers: [
        shell('id', {
          securityContext: { privileged: true, capabilities: { add: ['SYS_ADMIN'] } },
          volumeMounts: [{ name: 'docker', mountPath: '/var/run/docker.sock' }],
        }),
      ],
    });
    const { code, body } = await post(fleet, manifest);
    expect(code).toBe(422);
    expect(body).toMatchObject({ kind: 'Status', status: 'Failure', reason: 'Invalid', code: 422, details: { kind: 'Job', group: 'batch' } });
    expect(body.details.causes).toEqual([
      { reason: 'FieldValueForbidden', field: `${POD}.volumes[0].hostPath`, message: NOT_ALLOWED },
      { reason: 'FieldValueForbidden', field: `${POD}.containers[0].securityContext.privileged`, message: 'Forbidden: disallowed by cluster policy' },
      { reason: 'FieldValueForbidden', field: `${POD}.containers[0].securityContext.capabilities.add`, message: NOT_ALLOWED },
      { reason: 'FieldValueForbidden', field: `${POD}.hostNetwork`, message: NOT_ALLOWED },
      { reason: 'FieldValueForbidden', field: `${POD}.hostPID`, message: NOT_ALLOWED },
      { reason: 'FieldValueForbidden', field: `${POD}.hostIPC`, message: NOT_ALLOWED },
    ]);
    expect(body.message).toContain(`${POD}.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy`);
    expect(await keySet(fleet.prefix)).toEqual(before);
  });

  it('answers exactly as Kubernetes for a privileged container alone', async () => {
    const before = await keySet(fleet.prefix);
    const { code, body } = await post(fleet, job('privileged', { containers: [shell('id', { securityContext: { privileged: true } })] }));
    expect(code).toBe(422);
    expect(body.message).toBe(
      'Job.batch "privileged" is invalid: spec.template.spec.containers[0].securityContext.privileged: Forbidden: disallowed by cluster policy',
    );
    expect(await keySet(fleet.prefix)).toEqual(before);
  });
});

describe.concurrent('safe securityContext fields, applied by the worker', () => {
  it('runs as runAsUser and runAsGroup, the container overriding the pod', async () => {
    const manifest = job(uniqueName('user'), {
      securityContext: { runAsUser: 1000, runAsGroup: 1000 },
      containers: [shell('id -u; id -g', { securityContext: { runAsUser: 65534, runAsGroup: 1234 } })],
    });
    const { log } = await runToCompletion(fleet.client, manifest);
    expect(log).toBe('65534\n1234\n');
  });

  it('makes the root filesystem read-only with readOnlyRootFilesystem: true', async () => {
    const manifest = job(uniqueName('rofs'), { containers: [shell('touch /x', { securityContext: { readOnlyRootFilesystem: true } })] });
    const { pod, log } = await runToFailure(fleet.client, manifest);
    expect(pod.status.phase).toBe('Failed');
    expect(pod.status.containerStatuses?.[0]?.state.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });
    expect(log).toContain('Read-only file system');
  });

  it('takes every capability away with capabilities.drop: ["ALL"], so even root cannot chown', async () => {
    const manifest = job(uniqueName('nocaps'), {
      containers: [shell('touch /tmp/f && chown 1 /tmp/f', { securityContext: { capabilities: { drop: ['ALL'] } } })],
    });
    const { pod, log } = await runToFailure(fleet.client, manifest);
    expect(pod.status.phase).toBe('Failed');
    expect(log).toContain('Operation not permitted');
  });

  it('sets no_new_privs with allowPrivilegeEscalation: false', async () => {
    const manifest = job(uniqueName('nnp'), {
      containers: [shell('grep NoNewPrivs /proc/self/status', { securityContext: { allowPrivilegeEscalation: false } })],
    });
    const { log } = await runToCompletion(fleet.client, manifest);
    expect(log).toBe('NoNewPrivs:\t1\n');
  });

  it('refuses to start an image that runs as root under runAsNonRoot: true (CreateContainerConfigError)', async () => {
    const manifest = job(uniqueName('nonroot'), { securityContext: { runAsNonRoot: true }, containers: [shell('id -u')] });
    const { pod, log } = await runToFailure(fleet.client, manifest);
    expect(pod.status).toMatchObject({ phase: 'Failed', reason: 'CreateContainerConfigError' });
    expect(pod.status.message).toContain('container has runAsNonRoot and image will run as root');
    expect(pod.status.containerStatuses?.[0]?.state.waiting).toMatchObject({ reason: 'CreateContainerConfigError' });
    // The container never ran: its log is the kubelet's 400, as in Kubernetes.
    expect(log).toBeInstanceOf(BadRequestError);
    expect((log as Error).message).toBe(`container "main" in pod "${pod.metadata.name}" is waiting to start: CreateContainerConfigError`);
  });

  it('runs a runAsNonRoot container that has a non-root runAsUser', async () => {
    const manifest = job(uniqueName('nonroot-ok'), {
      securityContext: { runAsNonRoot: true },
      containers: [shell('id -u', { securityContext: { runAsUser: 65534 } })],
    });
    const { log } = await runToCompletion(fleet.client, manifest);
    expect(log).toBe('65534\n');
  });
});

describe.concurrent('a server with allowPrivileged', () => {
  it("puts the pod in the host's PID, IPC and network namespaces", async () => {
    const script = 'cat /proc/1/comm; for n in pid ipc net; do readlink /proc/self/ns/$n; done';
    const manifest = job(uniqueName('hostns'), { hostPID: true, hostIPC: true, hostNetwork: true, containers: [shell(script)] });
    const { log } = await runToCompletion(privileged.client, manifest);
    const [comm, pid, ipc, net] = log.trim().split('\n');
    expect(comm).not.toBe('sh'); // PID 1 is the host's init, not this container's shell
    expect(comm).toMatch(/\S/);
    expect([pid, ipc, net]).toEqual([hostNamespace('pid'), hostNamespace('ipc'), hostNamespace('net')]);
  });

  it('keeps a pod without host namespaces in its own, on the same server', async () => {
    const manifest = job(uniqueName('ownns'), { containers: [shell('cat /proc/1/comm; readlink /proc/self/ns/net')] });
    const { log } = await runToCompletion(privileged.client, manifest);
    const [comm, net] = log.trim().split('\n');
    expect(comm).toBe('sh');
    expect(net).not.toBe(hostNamespace('net'));
  });

  it('gives every container of a multi-container pod the host network (through its infra container)', async () => {
    const script = 'readlink /proc/self/ns/net';
    const manifest = job(uniqueName('hostnet2'), { hostNetwork: true, containers: [shell(script), shell(script, { name: 'side' })] });
    const main = await runToCompletion(privileged.client, manifest, 'main');
    const side = await privileged.client.logs(main.pod.metadata.name ?? '', { container: 'side' });
    expect(main.log.trim()).toBe(hostNamespace('net'));
    expect(side.trim()).toBe(hostNamespace('net'));
  });

  it("mounts a hostPath volume: Docker creates the directory, writes reach the host's files, readOnly mounts refuse them", async () => {
    const dir = join(hostDir, 'created-by-docker');
    const manifest = job(uniqueName('hostpath'), {
      volumes: [{ name: 'host', hostPath: { path: dir, type: 'DirectoryOrCreate' } }],
      containers: [
        shell('echo from-the-pod > /data/out && ! touch /ro/x 2>/dev/null && ls /ro', {
          volumeMounts: [
            { name: 'host', mountPath: '/data' },
            { name: 'host', mountPath: '/ro', readOnly: true },
          ],
        }),
      ],
    });
    const { log } = await runToCompletion(privileged.client, manifest);
    expect(log).toBe('out\n');
    expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('from-the-pod\n');
  });

  it('fails the pod when a hostPath of type Directory does not exist', async () => {
    const manifest = job(uniqueName('hostpath-missing'), {
      volumes: [{ name: 'host', hostPath: { path: join(hostDir, 'missing'), type: 'Directory' } }],
      containers: [shell('true', { volumeMounts: [{ name: 'host', mountPath: '/data' }] })],
    });
    const { pod } = await runToFailure(privileged.client, manifest);
    expect(pod.status.phase).toBe('Failed');
    expect(pod.status.containerStatuses?.[0]?.state.terminated?.message).toContain('bind source path does not exist');
  });

  it('adds capabilities.add to the container (NET_ADMIN, not in Docker\'s default set)', async () => {
    const manifest = job(uniqueName('netadmin'), {
      containers: [shell("grep CapEff /proc/self/status | cut -f2", { securityContext: { capabilities: { add: ['NET_ADMIN'] } } })],
    });
    const { log } = await runToCompletion(privileged.client, manifest);
    const NET_ADMIN = 1n << 12n;
    expect(BigInt(`0x${log.trim()}`) & NET_ADMIN).toBe(NET_ADMIN);
  });

  it('accepts a privileged container (dry run: this machine\'s Docker cannot start one)', async () => {
    const manifest = job(uniqueName('privileged'), { containers: [shell('id', { securityContext: { privileged: true } })] });
    const { code, body } = await post(privileged, manifest, '?dryRun=All');
    expect(code).toBe(201);
    expect(body.spec.template.spec.containers[0].securityContext).toEqual({ privileged: true });
  });
});

describe('JOBFLEET_ALLOW_PRIVILEGED', () => {
  it('allows privileged pods in `jobfleet api` started without --allow-privileged (read by the CLI, passed to the API)', async () => {
    const api = startJobfleet(['api', '--port', '0', '--redis-url', fleet.redisUrl], { env: { JOBFLEET_ALLOW_PRIVILEGED: 'true', JOBFLEET_REDIS_PREFIX: fleet.prefix } });
    try {
      const url = (await api.waitFor(/listening on (http:\/\/\S+)/))[1] ?? '';
      const manifest = job(uniqueName('envpriv'), { hostPID: true, containers: [shell('true')] });
      const res = await fetch(`${url}/apis/batch/v1/namespaces/default/jobs?dryRun=All`, {
        method: 'POST',
        body: JSON.stringify(manifest),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(201);
      expect((await post(fleet, manifest, '?dryRun=All')).code).toBe(422);
    } finally {
      killGroup(api.child, 'SIGTERM');
      await api.exited;
    }
  });
});
