/**
 * A Redis failover under a running fleet: a Sentinel set (a primary, a replica, three sentinels, Debian's
 * redis-sentinel binary), and the API, a worker and the janitor as separate processes connected with
 * `redis+sentinel://…` and `durability` of one replica (`--redis-wait-replicas 1`). The primary is killed
 * (SIGKILL) while a Job of 50 pods runs: no role is restarted, the Job completes with exactly 50
 * successes and exactly 50 containers ever started, a Job acknowledged just before the kill is kept, and
 * the API answers (200, or 503 while there is no primary; never another error) throughout.
 */
import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobfleetClient } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { freePort, type SentinelSet, startSentinelSet } from '@jobfleet/store';
import { DockerEngine, LABELS } from '@jobfleet/worker';
import { eventsCountedTwice, failedPodsOf } from '../diagnostics.js';
import { FAST_DELAYS, uniqueName } from '../harness.js';
import { startRoleProcess, type RoleProcess } from '../processes.js';
import { eventually } from '../timing.js';

Object.assign(process.env, FAST_DELAYS);
const prefix = `fo${randomUUID().slice(0, 8)}`;
const nodeName = `${prefix}-node`;
let set: SentinelSet;
const roles: RoleProcess[] = [];
let client: JobfleetClient;
let apiUrl: string;
const ROLE_NAMES = ['api', 'janitor', 'worker'] as const;


beforeAll(async () => {
  set = await startSentinelSet({ downAfterMs: 1_000, failoverTimeoutMs: 3_000 });
  const redis = { redisUrl: set.url, prefix, redisConnection: { durability: { replicas: 1, timeoutMs: 1_000 } } };
  const port = await freePort();
  const options = { api: { port, host: '127.0.0.1' }, janitor: { pollMs: 100, nodeCheckMs: 250 }, worker: { nodeName, maxPods: 5, heartbeatMs: 500, drainTimeoutMs: 2_000 } };
  for (const role of ROLE_NAMES) roles.push(await startRoleProcess(role, { ...redis, ...options[role] }));
  apiUrl = `http://127.0.0.1:${port}`;
  client = new JobfleetClient({ server: apiUrl });
}, 90_000);

afterAll(async () => {
  for (const role of [...roles].reverse()) await role.kill('SIGTERM');
  const docker = new DockerEngine();
  for (const c of await docker.listManaged({ [LABELS.node]: nodeName }).catch(() => [])) await docker.remove(c.Id).catch(() => undefined);
  await set?.stop();
});

function sleeper(name: string, completions: number, parallelism: number, seconds = 0.5): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      completions,
      parallelism,
      backoffLimit: 0, // a pod failed by the failover would fail the Job: every pod must succeed
      template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', `sleep ${seconds}`] }] } },
    },
  } as Job;
}

/** Every start of a container of the Job's pods, as Docker reports it (pod uid per start): what really ran. */
async function containerStarts(jobName: string): Promise<{ uids: string[]; stop(): void }> {
  const format = `{{index .Actor.Attributes "${LABELS.podUid}"}} {{index .Actor.Attributes "${LABELS.container}"}}`;
  const proc = spawn('docker', ['events', '--filter', 'type=container', '--filter', 'event=start', '--filter', `label=${LABELS.job}=${jobName}`, '--format', format], { stdio: ['ignore', 'pipe', 'inherit'] });
  const uids: string[] = [];
  let rest = '';
  proc.stdout.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop() ?? '';
    for (const line of lines) {
      const [uid, container] = line.trim().split(' ');
      if (uid && container === 'c') uids.push(uid);
    }
  });
  await new Promise((r) => setTimeout(r, 500)); // docker events is listening
  return { uids, stop: () => proc.kill('SIGTERM') };
}

/**
 * What made the Job fail, for the failure message: its failed pods (see failedPodsOf), the events of
 * the Job and its pods (a failover the fleet did not ride out leaves its mark there: a node marked
 * lost, a pod refused, a status written twice) and the last lines each role logged.
 */
async function whatFailed(jobName: string): Promise<string> {
  const pods = await client
    .getJob(jobName)
    .then((job) => failedPodsOf(client, job))
    .catch((err: unknown) => `(could not list them: ${String(err)})`);
  const events = await client.listEvents().catch(() => []);
  const lines = events
    .filter((e) => (e.involvedObject?.name ?? '').startsWith(jobName))
    .map((e) => `event ${e.lastTimestamp} ${e.involvedObject?.kind}/${e.involvedObject?.name} ${e.type} ${e.reason}: ${e.message} (${e.source?.component ?? ''})`);
  const logs = roles.map((r, i) => `--- ${ROLE_NAMES[i]} log (last lines) ---\n${r.logTail().split('\n').slice(-40).join('\n')}`);
  return [`failed pods: ${pods}`, ...lines.slice(-60), ...logs].join('\n');
}

/**
 * Waits for the Job to complete and checks that each of its `pods` pods ran once (a container start
 * each, per Docker: no pod run twice by a task or a claim replayed on a new primary), succeeded, and
 * had its events recorded once, and that every role still runs (none was restarted). The Job.
 */
async function expectEachPodOnce(name: string, pods: number, starts: { uids: string[]; stop(): void }): Promise<Job> {
  const done = await client.waitForCompletion(name, { timeoutMs: 180_000 }).catch(async (error: unknown) => {
    throw new Error(`${(error as Error).message}\n${await whatFailed(name)}`);
  });
  expect(done.status?.succeeded).toBe(pods);
  expect(done.status?.failed ?? 0).toBe(0);
  await eventually(async () => starts.uids.length >= pods, 10_000, `the docker events of ${pods} starts`);
  starts.stop();
  expect(starts.uids).toHaveLength(pods);
  expect(new Set(starts.uids).size).toBe(pods);
  expect(await client.listPods({ jobName: name })).toHaveLength(pods);
  expect(await eventsCountedTwice(client, name)).toEqual([]);
  expect(roles.every((r) => r.child.exitCode === null && r.child.signalCode === null)).toBe(true);
  return done;
}

describe('a Redis Sentinel failover under a running Job', () => {
  it('loses no acknowledged Job, counts every completion once, and no role is restarted', async () => {
    const name = uniqueName('failover');
    const starts = await containerStarts(name);
    const t0 = Date.now();
    await client.createJob(sleeper(name, 50, 5));
    await eventually(async () => ((await client.getJob(name)).status?.succeeded ?? 0) >= 10, 120_000, '10 pods to succeed');

    // What the API answers while the primary is gone: only 200 or 503, never another error.
    const statuses = new Set<number>();
    let probing = true;
    const probe = (async () => {
      while (probing) {
        const res = await fetch(`${apiUrl}/apis/batch/v1/namespaces/default/jobs/${name}`).catch(() => undefined);
        statuses.add(res?.status ?? 0);
        if (res?.status === 503) {
          expect(res.headers.get('retry-after')).toBe('2');
          expect(await res.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
        }
        else await res?.arrayBuffer();
        await new Promise((r) => setTimeout(r, 100));
      }
    })();

    // A Job acknowledged by the API just before the primary dies.
    const acknowledged = uniqueName('acked');
    await client.createJob(sleeper(acknowledged, 1, 1));
    const primary = await set.primaryPort();
    const old = set.nodes.find((n) => n.port === primary);
    await old?.kill('SIGKILL');
    const failedOverAt = Date.now();
    await set.failedOver(primary);
    const failoverMs = Date.now() - failedOverAt;
    // The old primary comes back, as a replica of the new one (the sentinels demote it): writes that
    // wait for a replica (WAIT 1) go on.
    await old?.restart();
    await eventually(async () => (await fetch(`${apiUrl}/readyz`)).status === 200, 30_000, 'the API to answer from the new primary');
    const recoveredMs = Date.now() - failedOverAt;

    const tKill = failedOverAt - t0;
    const done = await expectEachPodOnce(name, 50, starts);
    const tDone = Date.now() - t0;
    probing = false;
    await probe;
    expect(done.status?.active).toBe(0);

    expect((await client.getJob(acknowledged)).metadata.name).toBe(acknowledged);
    await client.waitForCompletion(acknowledged, { timeoutMs: 60_000 });

    expect([...statuses].filter((s) => s !== 200 && s !== 503)).toEqual([]);
    expect(statuses.has(503)).toBe(true); // it answered while there was no primary, it did not hang
    // The API answers from the new primary.
    expect((await client.listJobs()).map((j) => j.metadata.name)).toEqual(expect.arrayContaining([name, acknowledged]));
    const kubectl = await promisify(execFile)('kubectl', ['--server', apiUrl, 'get', 'jobs', name, acknowledged, '-o', 'name'], { timeout: 30_000, env: { ...process.env, KUBECONFIG: '/dev/null' } });
    expect(kubectl.stdout.trim().split('\n')).toEqual([`job.batch/${name}`, `job.batch/${acknowledged}`]);
    expect(await fetch(`${apiUrl}/readyz`).then((r) => r.status)).toBe(200);
    process.stdout.write(`failover: a new primary ${failoverMs} ms after the kill, the API ready again after ${recoveredMs} ms; killed at ${tKill} ms, Job done at ${tDone} ms\n`);
  }, 240_000);

  /**
   * A write whose confirmation by a replica is cut off (its connection is closed while WAIT waits: the
   * store answers NOREPLICAS, the write may or may not have landed): the worker reports and archives
   * again until Redis answers, so no pod is failed by its runner for a report it could not make,
   * nor left unreported and ended by the sweep as Orphaned (backoffLimit 0: either would fail the
   * Job); a claim or a report in flight at the cut is made again under its write id (their own
   * tests, with the loss injected: unconfirmed-claim.test.ts, unconfirmed-report.test.ts). The
   * replica is frozen while the pods end, then every client connection of the primary is closed.
   */
  it('reports again what Redis did not confirm (a connection cut in WAIT), and counts each pod once', async () => {
    const name = uniqueName('unconfirmed');
    const starts = await containerStarts(name);
    // 8 pods at once on a node of 5: 3 wait in the queue, taken and claimed as the first end (their takes and claims wait too).
    await client.createJob(sleeper(name, 10, 8, 2));
    await eventually(async () => (await client.listPods({ jobName: name })).filter((p) => p.status.phase === 'Running').length === 5, 60_000, '5 pods to run');
    const primary = await set.primaryPort();
    const replica = set.nodes.find((n) => n.port !== primary && n.alive());
    try {
      replica?.pause(); // every write now waits for its confirmation (WAIT 1 times out, and is sent again)
      await new Promise((r) => setTimeout(r, 3_500)); // the pods end: their last reports wait
      const primaryNode = set.nodes.find((n) => n.port === primary);
      expect(await primaryNode?.cutClients()).toBeGreaterThan(3); // the roles' connections
      await new Promise((r) => setTimeout(r, 1_500));
    } finally {
      replica?.resume();
    }
    // Each pod's events (Scheduled, Pulled, Created, Started) too: a claim or report made again wrote nothing twice.
    await expectEachPodOnce(name, 10, starts);
    const worker = roles[ROLE_NAMES.indexOf('worker')]?.logTail() ?? '';
    const retried = (what: string) => worker.split('\n').filter((line) => line.includes(`Redis did not answer for ${what}`)).length;
    process.stdout.write(`unconfirmed writes: the worker made again ${retried('the status of pod')} reports and ${retried('the claim of pod')} claims\n`);
  }, 240_000);

  /**
   * Two failovers in a row (the new primary killed once the roles answer from it) while Jobs are
   * created, one every 50 ms, and a Job of 20 pods runs: every Job the API acknowledged (201) is kept
   * and completes once; a creation answered otherwise (503 while there is no primary) is only retried
   * by its client; each pod ran and is counted once, its events recorded once.
   */
  it('rides out two failovers in a row while Jobs are created: every acknowledged Job kept, each counted once', async () => {
    const name = uniqueName('twice');
    const starts = await containerStarts(name);
    await client.createJob(sleeper(name, 20, 5));
    const acknowledged: string[] = [];
    const refused = new Map<number, number>();
    let creating = true;
    const creator = (async () => {
      for (let i = 0; creating; i++) {
        const job = sleeper(`${name}-c${i}`, 1, 1, 0);
        const res = await fetch(`${apiUrl}/apis/batch/v1/namespaces/default/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(job) }).catch(() => undefined);
        await res?.arrayBuffer();
        if (res?.status === 201) acknowledged.push(job.metadata.name ?? '');
        else refused.set(res?.status ?? 0, (refused.get(res?.status ?? 0) ?? 0) + 1);
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    // Jobs acknowledged before each kill and after the last (counted, not timed: a loaded machine creates fewer a second).
    const acknowledge = async (count: number, when: string) => {
      const target = acknowledged.length + count;
      await eventually(async () => acknowledged.length >= target, 60_000, `${count} Jobs acknowledged ${when}`);
    };
    for (let round = 0; round < 2; round++) {
      await acknowledge(3, `before failover ${round + 1}`);
      const primary = await set.primaryPort();
      const old = set.nodes.find((n) => n.port === primary);
      await old?.kill('SIGKILL');
      await set.failedOver(primary);
      await old?.restart();
      await eventually(async () => (await fetch(`${apiUrl}/readyz`)).status === 200, 30_000, `the API to answer from the new primary (failover ${round + 1})`);
    }
    await acknowledge(3, 'after the failovers');
    creating = false;
    await creator;
    await expectEachPodOnce(name, 20, starts);
    // Only 503 (no primary) refused a creation: nothing else, and never a 409 for a name never acknowledged.
    expect([...refused.keys()].filter((s) => s !== 503)).toEqual([]);
    for (const job of acknowledged) {
      const finished = await client.waitForCompletion(job, { timeoutMs: 60_000 }).catch(async (error: unknown) => {
        throw new Error(`${(error as Error).message}\n${await whatFailed(job)}`);
      });
      expect(finished.status?.succeeded).toBe(1);
      expect(finished.status?.failed ?? 0).toBe(0);
    }
    process.stdout.write(`two failovers: ${acknowledged.length} Jobs acknowledged and kept, refused: ${JSON.stringify(Object.fromEntries(refused))}\n`);
  }, 240_000);

  /**
   * A primary that hangs (SIGSTOP: its host frozen, its connections open and unanswered) instead of
   * dying: the sentinels promote the replica, and the roles must move to it while the old one still
   * hangs (a connection waiting on it would wait for ever: its TCP peer never closes), so the Job goes
   * on before the old primary comes back; when it does, the sentinels make it a replica, and what it
   * took meanwhile (nothing confirmed: WAIT 1 had no replica to wait for) is dropped.
   */
  it('moves to the new primary while the old one hangs, and counts each pod once', async () => {
    const name = uniqueName('hung');
    const starts = await containerStarts(name);
    await client.createJob(sleeper(name, 30, 5));
    await eventually(async () => ((await client.getJob(name)).status?.succeeded ?? 0) >= 5, 120_000, '5 pods to succeed');
    const primary = await set.primaryPort();
    const old = set.nodes.find((n) => n.port === primary);
    old?.pause();
    let succeededWhileHung = 0;
    try {
      await set.failedOver(primary);
      const at = (await client.getJob(name).catch(() => undefined))?.status?.succeeded ?? 0;
      // The Job goes on while the old primary still hangs.
      await eventually(async () => {
        succeededWhileHung = ((await client.getJob(name).catch(() => undefined))?.status?.succeeded ?? 0) - at;
        return succeededWhileHung >= 5;
      }, 60_000, '5 more pods to succeed while the old primary hangs');
    } finally {
      old?.resume();
    }
    await expectEachPodOnce(name, 30, starts);
    process.stdout.write(`hung primary: ${succeededWhileHung} pods succeeded while it hung\n`);
  }, 240_000);
});
