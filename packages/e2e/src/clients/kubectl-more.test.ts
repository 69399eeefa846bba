/**
 * kubectl (/usr/bin/kubectl; the dispatcher runs 1.33 against a 1.33 server) beyond the daily
 * commands, as a user tries them against a real fleet (API, worker, Redis, Docker): what jobfleet
 * does not serve fails with a clear Status and never crashes kubectl (`exec`, `attach`,
 * `port-forward`, `debug`, `cordon`); `logs --limit-bytes/--since-time`; `get nodes -w`,
 * `get ns -w`; `replace` of a namespace and its label validation; pod field selectors.
 * HOME is a fresh directory: kubectl's caches start empty.
 */
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { kubeconfigYaml } from '@jobfleet/cli';
import type { Job, Pod } from '@jobfleet/kube';
import { startFleet, type Fleet } from '../harness.js';

const KUBECTL = '/usr/bin/kubectl';

let fleet: Fleet;
let dir: string;
let kubeconfig: string;
const run = randomUUID().slice(0, 6);
const SLEEPER = `km-sleep-${run}`;
const LOGGER = `km-log-${run}`;
let sleeperPod: Pod;
let loggerPod: Pod;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectl(args: string[], opts: { input?: string; timeoutMs?: number } = {}): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile(KUBECTL, args, { env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig }, timeout: opts.timeoutMs ?? 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) }),
    );
    if (opts.input !== undefined) child.stdin?.write(opts.input);
    child.stdin?.end();
  });
}

async function ok(args: string[], opts: { input?: string } = {}): Promise<string> {
  const result = await kubectl(args, opts);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/**
 * A `kubectl get -w` running in the background: `started` once it printed the list (the watch is
 * about to open), `seen(test)` once its output passes the test, `done` once `until` holds (then it
 * is stopped) or after 30 s.
 */
function watch(args: string[], until: (out: string) => boolean) {
  const child = spawn(KUBECTL, args, { env: { ...process.env, HOME: dir, KUBECONFIG: kubeconfig }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const waiters: { test: (out: string) => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of waiters.filter((x) => x.test(stdout))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  const seen = (test: (out: string) => boolean) =>
    new Promise<void>((resolve) => {
      waiters.push({ test, resolve });
      check();
    });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    check();
    if (until(stdout)) child.kill();
  });
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill(), 30_000);
  const done = new Promise<Result>((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    }),
  );
  // The header line comes with the list; a second for the watch request to reach the API after it.
  const started = seen((out) => out.includes('\n')).then(() => new Promise<void>((r) => setTimeout(r, 1_000)));
  return { started, seen, done, stop: () => (child.kill(), done) };
}

function job(name: string, script: string): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default' },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', script] }] } } },
  } as Job;
}

async function podOf(jobName: string, phase: string): Promise<Pod> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const pods = await fleet.client.listPods({ labelSelector: `job-name=${jobName}` });
    const pod = pods.find((p) => p.status.phase === phase);
    if (pod) return pod;
  }
  throw new Error(`no ${phase} pod of ${jobName} in 60 s`);
}

beforeAll(async () => {
  fleet = await startFleet({ workers: 1 });
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-kubectl-more-'));
  kubeconfig = join(dir, 'config');
  writeFileSync(kubeconfig, kubeconfigYaml({ server: fleet.api.url, namespace: 'default' }));
  await fleet.client.createJob(job(SLEEPER, 'sleep 120'));
  await fleet.client.createJob(job(LOGGER, 'echo early; sleep 2; echo late'));
  [sleeperPod, loggerPod] = await Promise.all([podOf(SLEEPER, 'Running'), podOf(LOGGER, 'Succeeded')]);
}, 90_000);
afterAll(async () => {
  await fleet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.concurrent('kubectl beyond the daily commands', () => {
  it('exec, attach, port-forward and debug fail with a Status that says what jobfleet does not serve (kubectl does not crash)', async () => {
    const pod = sleeperPod.metadata.name ?? '';
    const exec = await kubectl(['exec', pod, '--', 'echo', 'hi']);
    expect(exec.code).toBe(1);
    expect(exec.stderr).toContain('Error from server (NotFound): the server does not serve pods/exec: jobfleet runs no command in a running container');
    const attach = await kubectl(['attach', pod]);
    expect(attach.code).toBe(1);
    expect(attach.stderr).toContain('the server does not serve pods/attach');
    const forward = await kubectl(['port-forward', pod, '0:80'], { timeoutMs: 20_000 });
    expect(forward.code).toBe(1);
    expect(forward.stderr).toContain('the server does not serve pods/portforward');
    // kubectl debug reads the pod's spec.securityContext without a nil check (the API server always sets it).
    const debug = await kubectl(['debug', pod, '--image=busybox', '--profile=general']);
    expect(debug.stderr).not.toContain('panic');
    expect(debug.code).toBe(1);
    expect(debug.stderr).toContain('error: ephemeral containers are disabled for this cluster (error from server: "the server does not serve pods/ephemeralcontainers');
  });

  it('logs --limit-bytes and --since-time cut the log as the kubelet does; a zero limit is refused', async () => {
    const pod = loggerPod.metadata.name ?? '';
    expect(await ok(['logs', pod])).toBe('early\nlate\n');
    expect(await ok(['logs', pod, '--limit-bytes=3'])).toBe('ear');
    const stamped = await ok(['logs', pod, '--timestamps']);
    // The whole second after "early" was written: only "late" (2 s later) is as new.
    const early = Date.parse(stamped.split(' ')[0] ?? '');
    const since = new Date(Math.floor(early / 1000) * 1000 + 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect(await ok(['logs', pod, `--since-time=${since}`])).toBe('late\n');
    expect(await ok(['logs', pod, '--since=1h'])).toBe('early\nlate\n');
    const zero = await kubectl(['get', '--raw', `/api/v1/namespaces/default/pods/${pod}/log?limitBytes=0`]);
    expect(zero.stderr).toContain('limitBytes: Invalid value: 0: must be greater than 0');
  });

  it('get ns -w and get nodes -w follow the changes (kubectl prints each event)', async () => {
    const name = `km-ns-${run}`;
    // Done at this namespace's own DELETED line: concurrent tests delete namespaces of theirs.
    const nsWatch = watch(['get', 'ns', '-w', '--output-watch-events'], (out) => out.split('\n').some((l) => l.includes('DELETED') && l.includes(name)));
    // The node's readiness and running pods (its annotation): the other tests of this file run pods on it.
    const nodeWatch = watch(['get', 'nodes', '-w', '-o', 'custom-columns=NAME:.metadata.name,READY:.status.conditions[0].status,RUNNING:.metadata.annotations.jobfleet\\.io/running-pods'], () => false);
    await Promise.all([nsWatch.started, nodeWatch.started]);
    await ok(['create', 'namespace', name]);
    await nsWatch.seen((out) => out.includes(name));
    await ok(['label', 'ns', name, 'stage=labelled']);
    // Its own MODIFIED line (a concurrent test modifies the default namespace).
    await nsWatch.seen((out) => out.split('\n').some((l) => l.includes('MODIFIED') && l.includes(name)));
    await ok(['delete', 'ns', name]);
    const ns = await nsWatch.done;
    // Two more seconds of a worker heartbeating every 500 ms.
    await new Promise((r) => setTimeout(r, 2_000));
    const nodes = await nodeWatch.stop();
    expect(ns.stderr).not.toContain('Error from server');
    const events = ns.stdout.split('\n').filter((l) => l.includes(name)).map((l) => l.trim().split(/\s+/)[0]);
    expect(events).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(nodes.stderr).not.toContain('Error from server');
    // The node is listed, then again only when something of it changed (here its running pods): its heartbeats alone are no change.
    const nodeLines = nodes.stdout.split('\n').filter((l) => l.startsWith(fleet.workers[0]?.nodeName ?? '?'));
    expect(nodeLines.length, nodes.stdout).toBeGreaterThanOrEqual(1);
    expect(nodeLines.filter((l, i) => i > 0 && l === nodeLines[i - 1]), nodes.stdout).toStrictEqual([]);
  }, 60_000);

  it('replace -f of a namespace changes its labels; a label Kubernetes refuses is a 422 and describe still works', async () => {
    const ns = JSON.parse(await ok(['get', 'ns', 'default', '-o', 'json'])) as { metadata: { labels: Record<string, string> } };
    ns.metadata.labels[`km-${run}`] = 'replaced';
    expect(await ok(['replace', '-f', '-'], { input: JSON.stringify(ns) })).toContain('namespace/default replaced');
    expect(await ok(['get', 'ns', 'default', '-o', `jsonpath={.metadata.labels.km-${run}}`])).toBe('replaced');
    const bad = await kubectl(['patch', 'ns', 'default', '--type=merge', '-p', '{"metadata":{"labels":{"count":5}}}']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('metadata.labels[count]: Invalid value: 5: must be a string');
    expect(await ok(['describe', 'ns', 'default'])).toMatch(/^Name:\s+default\n/);
  });

  it('selects pods by status.podIP and spec.nodeName', async () => {
    const ip = sleeperPod.status.podIP ?? '';
    expect(ip).not.toBe('');
    expect((await ok(['get', 'pods', '--field-selector', `status.podIP=${ip}`, '-o', 'name'])).trim()).toBe(`pod/${sleeperPod.metadata.name}`);
    const onNode = await ok(['get', 'pods', '--field-selector', `spec.nodeName=${fleet.workers[0]?.nodeName},status.phase=Running`, '-o', 'name']);
    expect(onNode.trim().split('\n')).toEqual([`pod/${sleeperPod.metadata.name}`]);
  });
});

// Not with the concurrent tests above: a cordon changes the node that `get nodes -w` follows.
describe('kubectl on nodes', () => {
  it('cordon and uncordon print what kubectl prints against Kubernetes, and show in get nodes', async () => {
    const node = fleet.workers[0]?.nodeName ?? '';
    onTestFinished(async () => void (await kubectl(['uncordon', node]))); // a retry starts from an uncordoned node
    expect(await ok(['cordon', node])).toBe(`node/${node} cordoned\n`);
    expect(await ok(['cordon', node])).toBe(`node/${node} already cordoned\n`);
    expect(await ok(['get', 'node', node, '--no-headers'])).toMatch(/\sReady,SchedulingDisabled\s/);
    expect(await ok(['uncordon', node])).toBe(`node/${node} uncordoned\n`);
    expect(await ok(['get', 'node', node, '--no-headers'])).toMatch(/\sReady\s/);
  });
});
