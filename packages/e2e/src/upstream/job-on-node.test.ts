/**
 * Kubernetes' Job e2e tests that pin their pods to one node (test/e2e/framework/job NewTestJobOnNode:
 * a `kubernetes.io/hostname` nodeSelector, a hostPath folder for the fail-once marker), run as
 * upstream writes them against a fleet of two workers on one Docker host, and what a nodeSelector
 * does in jobfleet: a pod runs only on a worker whose Node has every label it names, and stays
 * Pending while none has.
 *
 * - "should run a job to completion when tasks sometimes fail and are not locally restarted"
 * - "should allow to use the pod failure policy on exit code to fail the job early" (Conformance 1.31)
 *
 * (job-basics and job-failure-policy port the same tests on a one-worker fleet without the selector.)
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobfleetClient } from '@jobfleet/client';
import type { Job, Node } from '@jobfleet/kube';
import { startFleet, uniqueName, type Fleet } from '../harness.js';
import { eventually } from '../timing.js';
import { api, jobPods, newTestJob, removeHostDirs, waitForJobComplete, waitForJobCondition, waitForJobFailed, type Behavior } from './job-fixtures.js';

let fleet: Fleet;
let client: JobfleetClient;

beforeAll(async () => {
  fleet = await startFleet({ workers: 2, maxPods: 10, allowPrivileged: true });
  client = fleet.client;
});
afterAll(async () => {
  await fleet?.close();
  removeHostDirs();
});

/** e2enode.GetRandomReadySchedulableNode. */
async function randomReadyNode(): Promise<Node> {
  const nodes = (await api(fleet.api.url, 'GET', '/api/v1/nodes')).body as { items: Node[] };
  const ready = nodes.items.filter((n) => n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
  expect(ready.length).toBe(2);
  const node = ready[Math.floor(Math.random() * ready.length)];
  if (!node) throw new Error('no Ready node');
  return node;
}

/**
 * NewTestJobOnNode: the pods pinned to `nodeName`. Upstream also makes the hostPath behaviours'
 * container privileged (for SELinux hosts); this Docker host runs no privileged container at all
 * ("unable to apply caps"), and a hostPath needs none here.
 */
function newTestJobOnNode(behavior: Behavior, name: string, parallelism: number, completions: number, backoffLimit: number, nodeName: string, extra: Partial<Job['spec']> = {}): Job {
  return withSelector(newTestJob(behavior, name, parallelism, completions, backoffLimit, extra), { 'kubernetes.io/hostname': nodeName });
}

const nodesOf = async (name: string) => new Set((await jobPods(client, name)).map((p) => p.spec.nodeName));

describe.concurrent('Job (upstream job.go): pods pinned to a node', () => {
  it('should run a job to completion when tasks sometimes fail and are not locally restarted', async () => {
    const node = await randomReadyNode();
    const name = uniqueName('fail-once-non-local');
    await client.createJob(newTestJobOnNode('failOnce', name, 2, 4, 6, node.metadata.name ?? ''));
    await waitForJobCondition(client, name, 'SuccessCriteriaMet', 'CompletionsReached');
    const job = await waitForJobComplete(client, name, 'CompletionsReached', 4);
    expect([job.status?.active, job.status?.ready, job.status?.terminating]).toStrictEqual([0, 0, 0]);
    // The marker left by the first pod was seen by the next ones: they all ran where it is.
    expect(job.status?.failed).toBeGreaterThanOrEqual(1);
    expect(await nodesOf(name)).toStrictEqual(new Set([node.metadata.name]));
  });

  it('should allow to use the pod failure policy on exit code to fail the job early', async () => {
    const node = await randomReadyNode();
    const name = uniqueName('pod-failure-failjob');
    await client.createJob(
      newTestJobOnNode('failOnce', name, 2, 4, 6, node.metadata.name ?? '', { podFailurePolicy: { rules: [{ action: 'FailJob', onExitCodes: { operator: 'In', values: [1] } }] } }),
    );
    await waitForJobCondition(client, name, 'FailureTarget', 'PodFailurePolicy');
    const job = await waitForJobFailed(client, name);
    expect(job.status?.conditions?.find((c) => c.type === 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(await nodesOf(name)).toStrictEqual(new Set([node.metadata.name]));
  });

  it('runs the pods of each Job only on the node its nodeSelector names, matching the os and arch labels of its Node', async () => {
    const names = fleet.workers.map((w) => w.nodeName);
    expect(new Set(names).size).toBe(2);
    const jobs = await Promise.all(
      names.map(async (nodeName) => {
        const node = (await api(fleet.api.url, 'GET', `/api/v1/nodes/${nodeName}`)).body as Node;
        const { 'kubernetes.io/os': os = '', 'kubernetes.io/arch': arch = '' } = node.metadata.labels ?? {};
        expect(os).toBe('linux');
        expect(arch).not.toBe('');
        expect(node.status.nodeInfo).toMatchObject({ operatingSystem: os, architecture: arch });
        const name = uniqueName('pinned');
        await client.createJob(withSelector(newTestJob('succeed', name, 4, 4, 0), { 'kubernetes.io/hostname': nodeName, 'kubernetes.io/os': os, 'kubernetes.io/arch': arch }));
        return { name, nodeName };
      }),
    );
    for (const { name, nodeName } of jobs) {
      await waitForJobComplete(client, name, 'CompletionsReached', 4);
      expect(await nodesOf(name)).toStrictEqual(new Set([nodeName]));
    }
  });

  it('leaves a pod Pending while no node has the labels its nodeSelector names; a suspended Job that never ran may change it', async () => {
    const name = uniqueName('unschedulable');
    await client.createJob(withSelector(newTestJob('succeed', name, 1, 1, 0), { disk: 'ssd' }));
    const [pod] = await eventually(async () => {
      const pods = await jobPods(client, name);
      return pods.length === 1 ? pods : undefined;
    }, 30_000, 'the pod created');
    // Consistently Pending, on no node, for 3 s: every worker hands its task back.
    for (let i = 0; i < 4; i++) {
      const now = (await jobPods(client, name))[0];
      expect(now?.status.phase).toBe('Pending');
      expect(now?.spec.nodeName).toBeUndefined();
      expect(now?.status.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('False');
      if (i < 3) await new Promise((r) => setTimeout(r, 1_000));
    }
    expect(pod?.spec.nodeSelector).toStrictEqual({ disk: 'ssd' });
    // The selector of a running Job's template is immutable, as in Kubernetes...
    const refused = await client.patchJob(name, { spec: { template: { spec: { nodeSelector: { disk: null } } } } }).catch((e: unknown) => e);
    expect(String((refused as Error).message)).toContain('spec.template: Invalid value: field is immutable');
    await client.deleteJob(name);

    // ...but a suspended Job that never started may change it (mutable scheduling directives), then run.
    const later = uniqueName('suspended-pinned');
    await client.createJob(withSelector(newTestJob('succeed', later, 1, 1, 0, { suspend: true }), { disk: 'ssd' }));
    const second = fleet.workers[1]?.nodeName ?? '';
    await client.patchJob(later, { spec: { suspend: false, template: { spec: { nodeSelector: { disk: null, 'kubernetes.io/hostname': second } } } } });
    await waitForJobComplete(client, later, 'CompletionsReached', 1).catch(async (err: unknown) => {
      console.log('DIAG', JSON.stringify({ job: await client.getJob(later), pods: await jobPods(client, later) }, null, 1));
      throw err;
    });
    expect(await nodesOf(later)).toStrictEqual(new Set([second]));
  });
});

function withSelector(job: Job, selector: Record<string, string>): Job {
  job.spec.template.spec.nodeSelector = selector;
  return job;
}
