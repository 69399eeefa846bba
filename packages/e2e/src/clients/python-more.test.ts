/**
 * The official Python client (python3-kubernetes 22.6, /usr/bin/python3) beyond the daily paths,
 * against a real fleet (API, worker, Redis, Docker), with the kubeconfig `jobfleet kubeconfig`
 * prints: watches of namespaces and nodes through watch.Watch().stream, nodes/status and
 * namespaces/status, replace_namespace and its label validation, pod log options (limit_bytes,
 * since_seconds), pod field selectors (status.podIP, spec.hostNetwork) and the pod's defaulted
 * securityContext. The script python/more.py does what a user's script would and reports what it
 * saw; the assertions are here.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigYaml } from '@jobfleet/cli';
import { startFleet, type Fleet } from '../harness.js';

const PYTHON = '/usr/bin/python3';
const SCRIPT = fileURLToPath(new URL('./python/more.py', import.meta.url));

function hasPythonClient(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Step {
  ok: boolean;
  value: unknown;
  error?: string;
  trace?: string;
  seconds: number;
}

let fleet: Fleet;
let dir: string;
let report: Record<string, Step>;
let run: string;

function value<T>(name: string): T {
  const step = report[name];
  if (!step) throw new Error(`the script reported no step ${name}`);
  if (!step.ok) throw new Error(`${name}: ${step.error}\n${step.trace ?? ''}`);
  return step.value as T;
}

describe.skipIf(!hasPythonClient())('the official Python client beyond the daily paths', () => {
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1 });
    dir = mkdtempSync(join(tmpdir(), 'jobfleet-python-more-'));
    const kubeconfig = join(dir, 'config');
    writeFileSync(kubeconfig, kubeconfigYaml({ server: fleet.api.url, namespace: 'default' }));
    run = randomUUID().slice(0, 6);
    const started = Date.now();
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [SCRIPT, kubeconfig, run], { timeout: 120_000, maxBuffer: 16 << 20, env: { ...process.env, HOME: dir } }, (err, out, stderr) =>
        err ? reject(new Error(`more.py failed: ${err.message}\n${stderr}`)) : resolve(out),
      ),
    );
    report = JSON.parse(stdout) as Record<string, Step>;
    console.log(`python client (more): ${Object.keys(report).length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`, Object.fromEntries(Object.entries(report).map(([k, s]) => [k, s.seconds])));
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('watches namespaces: ADDED, MODIFIED with the new label, DELETED, as typed V1Namespaces', () => {
    const seen = value<{ type: string; kind: string; labels: Record<string, string> }[]>('watch_namespaces');
    expect(seen.map((e) => e.type)).toEqual(['ADDED', 'MODIFIED', 'DELETED']);
    expect(seen.every((e) => e.kind === 'V1Namespace')).toBe(true);
    expect(seen[1]?.labels).toMatchObject({ stage: 'patched' });
  });

  it('watches nodes: the worker as a typed V1Node, no event for its heartbeats alone', () => {
    const seen = value<{ type: string; kind: string; name: string }[]>('watch_nodes');
    // Two seconds of a worker heartbeating every 500 ms: the node is ADDED once and not MODIFIED.
    expect(seen).toEqual([{ type: 'ADDED', kind: 'V1Node', name: fleet.workers[0]?.nodeName }]);
  });

  it('reads nodes/status and namespaces/status, and replaces a namespace', () => {
    expect(value('node_status')).toEqual({ name: fleet.workers[0]?.nodeName, ready: ['True'] });
    const ns = value<{ phase: string; labels: Record<string, string> }>('namespace_status_and_replace');
    expect(ns.phase).toBe('Active');
    expect(ns.labels).toMatchObject({ [`py-${run}`]: 'replaced', 'kubernetes.io/metadata.name': 'default' });
  });

  it('refuses a namespace label Kubernetes refuses (422), and keeps the labels as they were', () => {
    const checked = value<{ badKey: unknown; badValue: unknown; labelsAfter: Record<string, string> }>('namespace_label_validation');
    expect(checked.badKey).toMatchObject({ status: 422, statusReason: 'Invalid', message: expect.stringContaining('metadata.labels: Invalid value: "bad key!"') });
    expect(checked.badValue).toMatchObject({ status: 422, statusReason: 'Invalid', message: expect.stringContaining('metadata.labels: Invalid value: "not a value!"') });
    expect(Object.keys(checked.labelsAfter)).not.toContain('bad key!');
    expect(checked.labelsAfter.ok).toBeUndefined();
  });

  it('reads a log with limit_bytes and since_seconds; refuses a zero limit or window with PodLogOptions\' 422', () => {
    const logs = value<Record<string, unknown>>('log_options');
    expect(logs.all).toBe('early\nlate-1\nlate-2\n');
    expect(logs.limitBytes).toBe('early\nl');
    expect(logs.limitTail).toBe('late');
    expect(logs.sinceSeconds).toBe('early\nlate-1\nlate-2\n');
    expect(logs.zeroLimit).toMatchObject({ status: 422, statusReason: 'Invalid', message: expect.stringContaining('limitBytes: Invalid value: 0: must be greater than 0') });
    expect(logs.zeroSince).toMatchObject({ status: 422, statusReason: 'Invalid', message: expect.stringContaining('sinceSeconds: Invalid value: 0: must be greater than 0') });
  });

  it('selects pods by status.podIP and spec.hostNetwork; a pod has a securityContext, as the API server defaults it', () => {
    const pods = value<{ podIP: string; byIP: string[]; byHostNetwork: string[]; name: string; securityContext: string }>('pod_fields');
    expect(pods.podIP).toBeTruthy();
    expect(pods.byIP).toEqual([pods.name]);
    expect(pods.byHostNetwork).toEqual([pods.name]);
    expect(pods.securityContext).toBe('V1PodSecurityContext');
  });
});
