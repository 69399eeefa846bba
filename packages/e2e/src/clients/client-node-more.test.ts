/**
 * @kubernetes/client-node 1.3 beyond the daily paths, against a real fleet (API, worker, Redis,
 * Docker), configured as a user would: `KubeConfig.loadFromFile` of what `jobfleet kubeconfig`
 * prints. Informers (list, then watch from the list's resourceVersion) on nodes and namespaces,
 * nodes/status and namespaces/status, replaceNamespace, `Log` with limitBytes and sinceTime, and a
 * method a resource does not take as a 405 ApiException in Kubernetes' words.
 */
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubeconfigYaml } from '@jobfleet/cli';
import { startFleet, type Fleet } from '../harness.js';

let fleet: Fleet;
let dir: string;
let kc: k8s.KubeConfig;
let core: k8s.CoreV1Api;
const NS = 'default';
const run = randomUUID().slice(0, 6);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  fleet = await startFleet({ workers: 1 });
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-client-node-more-'));
  const file = join(dir, 'config');
  writeFileSync(file, kubeconfigYaml({ server: fleet.api.url, namespace: NS }));
  kc = new k8s.KubeConfig();
  kc.loadFromFile(file);
  core = kc.makeApiClient(k8s.CoreV1Api);
});
afterAll(async () => {
  await fleet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function apiError(call: () => Promise<unknown>): Promise<{ code: number; body: { reason?: string; message?: string; details?: unknown } }> {
  try {
    await call();
  } catch (err) {
    if (err instanceof k8s.ApiException) return { code: err.code, body: JSON.parse(String(err.body)) as { reason?: string; message?: string } };
    throw err;
  }
  throw new Error('the call succeeded');
}

describe('@kubernetes/client-node beyond the daily paths', () => {
  it('talks to an http:// server with the kubeconfig `jobfleet kubeconfig` prints (loadFromFile)', async () => {
    expect(kc.getCurrentCluster()).toMatchObject({ server: fleet.api.url, skipTLSVerify: true });
    expect((await core.listNamespace()).items.map((n) => n.metadata?.name)).toContain(NS);
  });

  it('keeps informers on namespaces and nodes: add, update and delete as they happen', async () => {
    const events: string[] = [];
    const namespaces = k8s.makeInformer(kc, '/api/v1/namespaces', () => core.listNamespace());
    const nodes = k8s.makeInformer(kc, '/api/v1/nodes', () => core.listNode());
    const errors: unknown[] = [];
    for (const [what, informer] of [['ns', namespaces], ['node', nodes]] as const) {
      for (const verb of [k8s.ADD, k8s.UPDATE, k8s.DELETE]) informer.on(verb, (obj: k8s.KubernetesObject) => events.push(`${what}:${verb}:${obj.metadata?.name}`));
      informer.on(k8s.ERROR, (err: unknown) => errors.push(err));
    }
    await namespaces.start();
    await nodes.start();
    const name = `cnm-${run}`;
    try {
      await sleep(1500); // the informers' watches are open
      await core.createNamespace({ body: { metadata: { name } } });
      await sleep(1500);
      await core.patchNamespace({ name, body: { metadata: { labels: { stage: 'patched' } } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
      await sleep(1500);
      await core.deleteNamespace({ name });
      await sleep(1500);
    } finally {
      await namespaces.stop();
      await nodes.stop();
    }
    expect(errors.filter((e) => !(e instanceof Error && e.name === 'AbortError'))).toEqual([]);
    expect(events.filter((e) => e.endsWith(`:${name}`))).toEqual([`ns:add:${name}`, `ns:update:${name}`, `ns:delete:${name}`]);
    expect(events).toContain(`node:add:${fleet.workers[0]?.nodeName}`);
    // makeInformer's informer is a ListWatch: its cache forgot the namespace.
    expect((namespaces as unknown as k8s.ObjectCache<k8s.V1Namespace>).list().map((n) => n.metadata?.name)).not.toContain(name);
  }, 30_000);

  it('reads nodes/status and namespaces/status, and replaces a namespace\'s labels', async () => {
    const nodeName = fleet.workers[0]?.nodeName ?? '';
    expect((await core.readNodeStatus({ name: nodeName })).status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect((await core.readNamespaceStatus({ name: NS })).status?.phase).toBe('Active');
    const current = await core.readNamespace({ name: NS });
    const replaced = await core.replaceNamespace({ name: NS, body: { ...current, metadata: { ...current.metadata, labels: { ...current.metadata?.labels, [`cn-${run}`]: 'yes' } } } });
    expect(replaced.metadata?.labels).toMatchObject({ [`cn-${run}`]: 'yes' });
  });

  it('reads a log with Log\'s limitBytes and sinceTime', async () => {
    const name = `cnm-log-${run}`;
    const batch = kc.makeApiClient(k8s.BatchV1Api);
    await batch.createNamespacedJob({
      namespace: NS,
      body: { apiVersion: 'batch/v1', kind: 'Job', metadata: { name }, spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo early; sleep 2; echo late'] }] } } } },
    });
    let pod: k8s.V1Pod | undefined;
    for (const deadline = Date.now() + 60_000; !pod && Date.now() < deadline; await sleep(200)) {
      pod = (await core.listNamespacedPod({ namespace: NS, labelSelector: `job-name=${name}` })).items.find((p) => p.status?.phase === 'Succeeded');
    }
    const podName = pod?.metadata?.name ?? '';
    const read = async (options: k8s.LogOptions) => {
      const out = new PassThrough();
      let text = '';
      out.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const ended = new Promise<void>((resolve) => out.on('finish', resolve));
      await new k8s.Log(kc).log(NS, podName, 'main', out, options);
      await ended;
      return text;
    };
    const stamped = await read({ timestamps: true });
    // A second after "early" was written (RFC 3339, whole seconds): only "late" is newer.
    const early = Date.parse(stamped.split(' ')[0] ?? '');
    const sinceTime = new Date(Math.floor(early / 1000) * 1000 + 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    expect(await read({})).toBe('early\nlate\n');
    expect(await read({ limitBytes: 3 })).toBe('ear');
    expect(await read({ sinceTime })).toBe('late\n');
  }, 60_000);

  it('gets a 405 in Kubernetes\' words for a method a resource does not take (replacing a node); a cordon by strategic merge patch works', async () => {
    const nodeName = fleet.workers[0]?.nodeName ?? '';
    const node = await core.readNode({ name: nodeName });
    const refused = await apiError(() => core.replaceNode({ name: nodeName, body: node }));
    expect(refused).toMatchObject({ code: 405, body: { reason: 'MethodNotAllowed', message: 'update is not supported on resources of kind "nodes"', details: { kind: 'nodes' } } });
    const cordoned = await core.patchNode({ name: nodeName, body: { spec: { unschedulable: true } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    expect(cordoned.spec?.unschedulable).toBe(true);
    expect(cordoned.spec?.taints).toEqual([expect.objectContaining({ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' })]);
    const uncordoned = await core.patchNode({ name: nodeName, body: { spec: { unschedulable: null } } }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.StrategicMergePatch));
    expect(uncordoned.spec?.unschedulable).toBeUndefined();
  });
});
