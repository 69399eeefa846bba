/**
 * The real kubectl (/usr/bin/kubectl, default flags) on pods as API objects, against a real fleet
 * (API, worker, Redis, Docker): delete (which waits for the pod to be gone), delete by label,
 * label, annotate, patch (a refused spec change prints the server's message), get -o yaml, the
 * status subresource, and an eviction through `kubectl create --raw` (kubectl has no evict command;
 * `kubectl drain` would also cordon the node and evict with DaemonSet logic jobfleet does not serve).
 * HOME is a fresh directory so that kubectl's discovery cache starts empty.
 */
import { describe, expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { uniqueName, type Fleet } from '../harness.js';
import { useFleetWithKubectl, type Kubectl, type KubectlResult } from '../kubectl-runner.js';
import { eventually } from '../timing.js';

let fleet: Fleet;
let k: Kubectl;

useFleetWithKubectl({ workers: 1, maxPods: 10 }, (started, kubectl) => ([fleet, k] = [started, kubectl]), 'jobfleet-kubectl-pods-');

const kubectl = (args: string[], input?: string, env: Record<string, string> = {}): Promise<KubectlResult> => k.run(args, { input, env, timeoutMs: 90_000 });

async function ok(args: string[], input?: string): Promise<string> {
  const result = await kubectl(args, input);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

function jobManifest(name: string, spec: Record<string, unknown> = {}, labels: Record<string, string> = {}): string {
  return JSON.stringify({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { ...spec, template: { metadata: { labels }, spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'sleep 300'] }] } } },
  });
}

async function runningPods(job: string, count = 1): Promise<Pod[]> {
  return eventually(async () => {
    const pods = (await fleet.client.listPods({ jobName: job })).filter((p) => p.status.phase === 'Running' && !p.metadata.deletionTimestamp);
    return pods.length === count ? pods : undefined;
  }, 60_000, `${count} running pods of ${job}`);
}

describe.concurrent('kubectl on pods', () => {
  it('delete pod waits until the pod is gone; the Job replaces it', async () => {
    const name = uniqueName('k-del');
    await ok(['create', '-f', '-'], jobManifest(name, { backoffLimit: 3 }));
    const [pod] = await runningPods(name);
    const podName = pod?.metadata.name ?? '';
    const out = await ok(['delete', 'pod', podName]);
    expect(out.trim()).toBe(`pod "${podName}" deleted`);
    // kubectl returned only once the object was gone.
    const get = await kubectl(['get', 'pod', podName]);
    expect(get.code).toBe(1);
    expect(get.stderr).toContain(`pods "${podName}" not found`);
    await runningPods(name);
    const job = JSON.parse(await ok(['get', 'job', name, '-o', 'json'])) as { status: { failed?: number } };
    expect(job.status.failed).toBe(1);
    await ok(['delete', 'job', name]);
  });

  it('delete pods -l deletes the pods the selector matches', async () => {
    const name = uniqueName('k-dell');
    await ok(['create', '-f', '-'], jobManifest(name, { parallelism: 2, completions: 2, backoffLimit: 5 }, { tier: name }));
    const pods = await runningPods(name, 2);
    const out = await ok(['delete', 'pods', '-l', `tier=${name}`, '--wait=false']);
    for (const p of pods) expect(out).toContain(`pod "${p.metadata.name}" deleted`);
    for (const p of pods) await eventually(async () => (await kubectl(['get', 'pod', p.metadata.name ?? ''])).code === 1, 30_000, `${p.metadata.name} gone`);
    await ok(['delete', 'job', name]);
  });

  it('label, annotate, patch and get -o yaml; a spec change is refused with the server message', async () => {
    const name = uniqueName('k-meta');
    await ok(['create', '-f', '-'], jobManifest(name));
    const [pod] = await runningPods(name);
    const podName = pod?.metadata.name ?? '';
    expect((await ok(['label', 'pod', podName, 'team=a'])).trim()).toBe(`pod/${podName} labeled`);
    expect((await ok(['annotate', 'pod', podName, 'note=x'])).trim()).toBe(`pod/${podName} annotated`);
    expect((await ok(['patch', 'pod', podName, '-p', '{"metadata":{"labels":{"patched":"yes"}}}'])).trim()).toBe(`pod/${podName} patched`);
    expect((await ok(['label', 'pod', podName, 'team-'])).trim()).toBe(`pod/${podName} unlabeled`);
    const yaml = await ok(['get', 'pod', podName, '-o', 'yaml']);
    expect(yaml).toContain('kind: Pod');
    expect(yaml).toContain('patched: "yes"');
    expect(yaml).toContain('note: x');
    expect(yaml).not.toContain('team: a');
    expect(yaml).toContain(`name: ${name}`); // the owner reference
    // replace (PUT of the whole pod) and edit (a patch kubectl computes from the edited text).
    const current = JSON.parse(await ok(['get', 'pod', podName, '-o', 'json'])) as Pod;
    current.metadata.labels = { ...current.metadata.labels, replaced: 'yes' };
    expect((await ok(['replace', '-f', '-'], JSON.stringify(current))).trim()).toBe(`pod/${podName} replaced`);
    const edited = await kubectl(['edit', 'pod', podName], undefined, { KUBE_EDITOR: `sed -i -e 's/replaced: "yes"/replaced: edited/'` });
    expect(edited.stdout.trim()).toBe(`pod/${podName} edited`);
    expect(await ok(['get', 'pod', podName, '-o', 'jsonpath={.metadata.labels.replaced}'])).toBe('edited');
    const refused = await kubectl(['patch', 'pod', podName, '-p', '{"spec":{"restartPolicy":"OnFailure"}}']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`The Pod "${podName}" is invalid: spec: Forbidden: pod updates may not change fields other than`);
    const status = await ok(['patch', 'pod', podName, '--subresource=status', '--type=merge', '-p', '{"status":{"conditions":[{"type":"example.com/Checked","status":"True"}]}}']);
    expect(status.trim()).toBe(`pod/${podName} patched`);
    expect(await ok(['get', 'pod', podName, '-o', 'jsonpath={.status.conditions[?(@.type=="example.com/Checked")].status}'])).toBe('True');
    await ok(['delete', 'job', name]);
  });

  it('evicts a pod through create --raw', async () => {
    const name = uniqueName('k-evict');
    await ok(['create', '-f', '-'], jobManifest(name, { backoffLimit: 3 }));
    const [pod] = await runningPods(name);
    const podName = pod?.metadata.name ?? '';
    const eviction = JSON.stringify({ apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: podName, namespace: 'default' } });
    const out = await ok(['create', '--raw', `/api/v1/namespaces/default/pods/${podName}/eviction`, '-f', '-'], eviction);
    expect(JSON.parse(out)).toMatchObject({ kind: 'Status', status: 'Success', code: 201 });
    await eventually(async () => (await kubectl(['get', 'pod', podName])).code === 1, 30_000, 'the evicted pod gone');
    await ok(['delete', 'job', name]);
  });

  it('api-resources lists the pod verbs and subresources', async () => {
    const wide = await ok(['api-resources', '-o', 'wide', '--api-group=']);
    const pods = wide.split('\n').find((l) => /^pods\s/.test(l)) ?? '';
    expect(pods).toContain('delete,deletecollection,get,list,patch,update,watch');
    const raw = JSON.parse(await ok(['get', '--raw', '/api/v1'])) as { resources: { name: string; group?: string; version?: string; kind: string; verbs: string[] }[] };
    expect(raw.resources.find((r) => r.name === 'pods/eviction')).toMatchObject({ group: 'policy', version: 'v1', kind: 'Eviction', verbs: ['create'] });
    expect(raw.resources.find((r) => r.name === 'pods/status')?.verbs).toStrictEqual(['get', 'patch', 'update']);
  });
});
