/**
 * The official Python client (python3-kubernetes 22.6, /usr/bin/python3) beyond the daily paths,
 * against a real fleet (API, worker, Redis, Docker), with the kubeconfig `jobfleet kubeconfig`
 * prints: watches of namespaces and nodes through watch.Watch().stream, nodes/status and
 * namespaces/status, replace_namespace and its label validation, pod log options (limit_bytes,
 * since_seconds), pod field selectors (status.podIP, spec.hostNetwork) and the pod's defaulted
 * securityContext. The script python/more.py does what a user's script would and reports what it
 * saw; the assertions are here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../harness.js';
import { hasPythonClient, runPythonScript } from './python-script.js';

let fleet: Fleet;
let run: string;
let value: <T>(name: string) => T;

describe.skipIf(!hasPythonClient())('the official Python client beyond the daily paths', () => {
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1 });
    ({ run, value } = await runPythonScript('more.py', fleet.api.url, 120_000));
  }, 150_000);
  afterAll(async () => {
    await fleet?.close();
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
