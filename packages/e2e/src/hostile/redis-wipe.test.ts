/**
 * A Redis that comes back empty (FLUSHALL, or a restart without its data): the change feed sees
 * the reset within seconds, every open watch gets a 410 Gone ERROR event and ends (so clients list
 * again), the client's watchJob ends with NotFound for a Job that is gone, `jobfleet run` finishes
 * with an error instead of waiting for ever, and watches of the new store work.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApi } from '@jobfleet/api';
import { JobfleetClient } from '@jobfleet/client';
import { NotFoundError } from '@jobfleet/kube';
import { startEmbeddedRedis } from '@jobfleet/store';
import { DockerEngine, LABELS } from '@jobfleet/worker';
import { startFleet, testRedis, uniqueName, type Fleet } from '../harness.js';

const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
const BIN = join(REPO, 'packages/cli/bin/jobfleet.js');
/** How long a reset may take to reach the watchers: the feed checks every second, plus reconnection. */
const RESET_SEEN_WITHIN_MS = 10_000;

let fleet: Fleet;
let dir: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  fleet = await startFleet({ workers: 1 });
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-wipe-'));
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  await fleet?.close();
  // The pod whose record the wipe took: its container is this fleet's node's to remove.
  const docker = new DockerEngine();
  for (const c of await docker.listManaged({ [LABELS.node]: `${fleet?.prefix}-node-0` }).catch(() => [])) await docker.remove(c.Id).catch(() => undefined);
  await (await testRedis()).stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface WatchEvent {
  type: string;
  object: { code?: number; reason?: string; message?: string; metadata?: { name?: string } };
}

/** A raw watch: its events as they come, and a promise of its end. */
async function rawWatch(url: string) {
  const events: WatchEvent[] = [];
  const response = await fetch(url);
  expect(response.status).toBe(200);
  const ended = (async () => {
    let pending = '';
    const decoder = new TextDecoder();
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      pending += decoder.decode(chunk, { stream: true });
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as WatchEvent);
    }
    return Date.now();
  })().catch(() => Date.now()); // cut rather than ended (the fleet closing): the events tell which
  return { events, ended };
}

/** Resolves with the value, or with 'timeout' after ms. */
function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  return Promise.race([promise, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), ms).unref())]);
}

async function eventually(check: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const expired = (e: WatchEvent) => e.type === 'ERROR' && e.object.code === 410 && e.object.reason === 'Expired';

it('FLUSHALL: watches get 410 and end, watchJob ends with NotFound, `jobfleet run` exits 1, the new store is watched', async () => {
  const name = uniqueName('wipe');
  const manifest = join(dir, `${name}.yaml`);
  writeFileSync(manifest, `apiVersion: batch/v1\nkind: Job\nmetadata: {name: ${name}}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      terminationGracePeriodSeconds: 1\n      containers: [{name: main, image: busybox, command: [sh, -c, "echo started; sleep 30"]}]\n`);
  const run = spawn(process.execPath, [BIN, '--server', fleet.api.url, 'run', '-f', manifest, '--timeout', '2m'], { env: { ...process.env, JOBFLEET_SERVER: undefined } });
  children.push(run);
  let stderr = '';
  run.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const runExit = new Promise<{ code: number | null; at: number }>((resolve) => run.once('close', (code) => resolve({ code, at: Date.now() })));
  await eventually(async () => (await fleet.client.listPods({ jobName: name }).catch(() => [])).some((p) => p.status.phase === 'Running'), 60_000, 'the pod to run');

  const jobs = `${fleet.api.url}/apis/batch/v1/namespaces/default/jobs`;
  const list = (await (await fetch(jobs)).json()) as { metadata: { resourceVersion: string } };
  const raw = await rawWatch(`${jobs}?watch=1&resourceVersion=${list.metadata.resourceVersion}`);
  const pods = await rawWatch(`${fleet.api.url}/api/v1/pods?watch=1`);
  const states = fleet.client.watchJob(name);
  expect((await states.next()).value?.metadata.name).toBe(name);
  const watchJobEnd = (async () => {
    for await (const _ of states) {
      // every state until the end
    }
  })().then(
    () => 'ended without an error',
    (err: unknown) => err,
  );

  const redis = new Redis(fleet.redisUrl);
  const wiped = Date.now();
  await redis.flushall();

  const rawEnd = await within(raw.ended, RESET_SEEN_WITHIN_MS);
  const podsEnd = await within(pods.ended, RESET_SEEN_WITHIN_MS);
  const clientEnd = await within(watchJobEnd, RESET_SEEN_WITHIN_MS);
  const runEnd = await within(runExit, RESET_SEEN_WITHIN_MS + 5_000);
  console.log(
    `redis-wipe: after FLUSHALL the job watch ended in ${rawEnd === 'timeout' ? 'never' : `${rawEnd - wiped} ms`}, ` +
      `the pod watch in ${podsEnd === 'timeout' ? 'never' : `${podsEnd - wiped} ms`}, jobfleet run in ${runEnd === 'timeout' ? 'never' : `${runEnd.at - wiped} ms`}`,
  );
  expect(rawEnd).not.toBe('timeout');
  expect(raw.events.at(-1)).toSatisfy(expired);
  expect(raw.events.at(-1)?.object.message).toContain('the store was reset');
  expect(podsEnd).not.toBe('timeout');
  expect(pods.events.at(-1)).toSatisfy(expired);
  expect(clientEnd).toBeInstanceOf(NotFoundError);
  expect(runEnd).not.toBe('timeout');
  expect(runEnd === 'timeout' ? undefined : runEnd.code).toBe(1);
  expect(stderr).toContain(`error: jobs.batch "${name}" not found`);

  // The fleet goes on with the new store: a watch from a list of it sees a new Job.
  const fresh = (await (await fetch(jobs)).json()) as { metadata: { resourceVersion: string } };
  expect(Number(fresh.metadata.resourceVersion)).toBeLessThan(Number(list.metadata.resourceVersion));
  const after = await rawWatch(`${jobs}?watch=1&resourceVersion=${fresh.metadata.resourceVersion}`);
  const next = uniqueName('after');
  await fleet.client.createJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: next }, spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });
  await eventually(async () => after.events.some((e) => e.type === 'ADDED' && e.object.metadata?.name === next), 10_000, 'the new Job on the watch');
  await fleet.client.deleteJob(next);
  redis.disconnect();
});

it('a restart of Redis without its data: watches get 410 and end, watchJob ends with NotFound', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'jobfleet-wipe-redis-'));
  let redis = await startEmbeddedRedis(dataDir, { persistence: false });
  const api = await startApi({ redisUrl: redis.url, port: 0, prefix: 'restart', runSyncs: false });
  try {
    const client = new JobfleetClient({ server: api.url });
    await client.createJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'kept' }, spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } });
    const jobs = `${api.url}/apis/batch/v1/namespaces/default/jobs`;
    const list = (await (await fetch(jobs)).json()) as { metadata: { resourceVersion: string } };
    const raw = await rawWatch(`${jobs}?watch=1&resourceVersion=${list.metadata.resourceVersion}`);
    const states = client.watchJob('kept');
    await states.next();
    const watchJobEnd = (async () => {
      for await (const _ of states) {
        // every state until the end
      }
    })().then(
      () => 'ended without an error',
      (err: unknown) => err,
    );

    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
    const restarted = Date.now();
    redis = await startEmbeddedRedis(mkdtempSync(join(tmpdir(), 'jobfleet-wipe-redis-')), { port: redis.port, persistence: false });

    const rawEnd = await within(raw.ended, RESET_SEEN_WITHIN_MS);
    console.log(`redis-wipe: after an empty restart the watch ended in ${rawEnd === 'timeout' ? 'never' : `${rawEnd - restarted} ms`}`);
    expect(rawEnd).not.toBe('timeout');
    expect(raw.events.at(-1)).toSatisfy(expired);
    expect(await within(watchJobEnd, RESET_SEEN_WITHIN_MS)).toBeInstanceOf(NotFoundError);
  } finally {
    await api.close();
    await redis.stop();
  }
});
