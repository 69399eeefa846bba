/**
 * Placement under a fault, with every worker an OS process (issue #16): a Redis of the file's own,
 * the API and the janitor (node monitor) as processes, and workers of different advertised
 * capacities, labels and taints on one Docker host, all real; node timings are shortened (a silent
 * worker is NotReady after 3 s, its pods end NodeLost 6 s later), nothing else is faked.
 * - a Job that wants zone b runs on the two small zone-b nodes only, at most 2 of its 500m pods at a
 *   time on each; one of them is SIGKILLed mid-run: its pods end NodeLost with DisruptionTarget (the
 *   Job's podFailurePolicy ignores them), their replacements run on the surviving zone-b node, and
 *   the Job completes with exactly its completions succeeded, no failure counted;
 * - a Job that tolerates the big node's taint and requires zone a by node affinity runs there only,
 *   at most 4 of its 500m pods at a time;
 * - a Job that fits nowhere is Pending (PodScheduled=False, Unschedulable, Kubernetes' "0/N nodes are
 *   available" message, a FailedScheduling event) until a fourth worker process that fits it starts,
 *   then runs there;
 * - no pod ran on a node whose labels or taints it does not allow, and at no instant was the sum of
 *   the CPU requests (or the number) of the pods running on a node above its allocatable: from the
 *   finished pods' own start and finish times (for the pods of the killed node, whose end no worker
 *   reported, the end Docker recorded for their containers);
 * - (a second fleet) a one-pod Job submitted behind a 40-pod backlog on the same node runs next, and a
 *   GPU pod goes to the GPU worker process, whose Docker container is created with an NVIDIA device
 *   request (refused by a Docker Engine without the NVIDIA runtime, naming the driver).
 */
import Docker from 'dockerode';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { JobfleetClient } from '@jobfleet/client';
import type { Job, Pod, Taint } from '@jobfleet/kube';
import { freePort } from '@jobfleet/store';
import { LABELS } from '@jobfleet/worker';
import { testRedis, uniqueName } from '../harness.js';
import { milliCpu, placementJob, type PodTemplateExtras } from '../placement-fixtures.js';
import { startRoleProcess, type RoleProcess } from '../processes.js';
import { eventually, maxOverlap } from '../timing.js';
import { httpJson } from '../upstream/job-fixtures.js';
import { containersOf, removeContainersOf } from './worker-processes.js';

const GRACE_MS = 3_000;
const EVICTION_MS = 6_000;
// Read by every role process as the CLI reads it (roleOptionsFromEnv): the API's Node status, the
// janitor's node monitor, the workers' self-fencing.
Object.assign(process.env, { JOBFLEET_NODE_GRACE_MS: String(GRACE_MS), JOBFLEET_POD_EVICTION_MS: String(EVICTION_MS) });

const WAIT_MS = 120_000;

/** What each worker process is started with (its node name: `<prefix>-<key>`). */
interface NodeSpec {
  capacity: Record<string, string>;
  labels: Record<string, string>;
  taints: Taint[];
}
const BATCH_TAINT: Taint = { key: 'dedicated', value: 'batch', effect: 'NoSchedule' };
const NODES: Record<'big' | 'small-1' | 'small-2' | 'wide' | 'gpu', NodeSpec> = {
  big: { capacity: { cpu: '2', memory: '2Gi', pods: '8' }, labels: { zone: 'a' }, taints: [BATCH_TAINT] },
  'small-1': { capacity: { cpu: '1', memory: '1Gi', pods: '4' }, labels: { zone: 'b' }, taints: [] },
  'small-2': { capacity: { cpu: '1', memory: '1Gi', pods: '4' }, labels: { zone: 'b' }, taints: [] },
  // Started only once the Job that fits nowhere else is seen Unschedulable.
  wide: { capacity: { cpu: '4', memory: '2Gi', pods: '2' }, labels: { zone: 'c' }, taints: [] },
  // The second test's: one GPU, for pods that tolerate its taint.
  gpu: { capacity: { cpu: '1', memory: '1Gi', pods: '2', 'nvidia.com/gpu': '1' }, labels: { accelerator: 'nvidia' }, taints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }] },
};
type NodeKey = keyof typeof NODES;

let redisUrl: string;
/** The roles and node names of the current attempt (a retry starts a fleet of its own, under a new prefix). */
let prefix = '';
let client: JobfleetClient;
let apiUrl = '';
const roles: RoleProcess[] = [];
const workers = new Map<NodeKey, RoleProcess>();
const nodeNames: string[] = [];

beforeAll(async () => {
  redisUrl = (await testRedis()).url;
});

afterEach(async () => {
  // Workers first (gracefully: SIGTERM drains 2 s, then stops what runs), then the janitor and the API.
  await Promise.all([...workers.values()].map((w) => stop(w)));
  workers.clear();
  for (const r of roles.splice(0).reverse()) await stop(r);
  // Only the containers (and volumes) of this file's own nodes: other files run on this Docker host at the same time.
  for (const n of nodeNames.splice(0)) await removeContainersOf(n);
});

/** SIGTERM, then SIGKILL if the process has not exited after 10 s. */
async function stop(p: RoleProcess): Promise<void> {
  const timer = setTimeout(() => void p.kill('SIGKILL'), 10_000);
  await p.kill('SIGTERM');
  clearTimeout(timer);
}

const nodeName = (key: NodeKey) => `${prefix}-${key}`;
const keyOf = (name: string | undefined): NodeKey | undefined => (Object.keys(NODES) as NodeKey[]).find((k) => nodeName(k) === name);

async function startFleet(): Promise<void> {
  prefix = `pp${Math.random().toString(36).slice(2, 8)}`;
  const port = await freePort();
  roles.push(await startRoleProcess('api', { redisUrl, prefix, port, host: '127.0.0.1' }));
  apiUrl = `http://127.0.0.1:${port}`;
  roles.push(await startRoleProcess('janitor', { redisUrl, prefix, pollMs: 100, nodeCheckMs: 250, nodeTimings: { graceMs: GRACE_MS, evictionMs: EVICTION_MS } }));
  client = new JobfleetClient({ server: apiUrl });
}

async function startWorkerProcess(key: NodeKey): Promise<void> {
  const spec = NODES[key];
  nodeNames.push(nodeName(key));
  const w = await startRoleProcess('worker', {
    redisUrl,
    prefix,
    nodeName: nodeName(key),
    capacity: spec.capacity,
    nodeLabels: spec.labels,
    registerWithTaints: spec.taints,
    heartbeatMs: 500,
    drainTimeoutMs: 2_000,
  });
  workers.set(key, w);
}

/** The pods end within 1 s of a stop (the node killed, a deletion). */
const job = (name: string, script: string, pods: number, extras: PodTemplateExtras = {}, spec: Record<string, unknown> = {}): Job =>
  placementJob(name, script, pods, { terminationGracePeriodSeconds: 1, ...extras }, spec);

const podsOf = (name: string) => client.listPods({ jobName: name });

/** Where each pod of these Jobs is, for whoever reads a failure. */
async function state(names: string[]): Promise<unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) {
    const [j, pods] = await Promise.all([client.getJob(n).catch(String), podsOf(n).catch(String)]);
    out[n] = {
      status: typeof j === 'string' ? j : j.status,
      pods:
        typeof pods === 'string'
          ? pods
          : pods.map((p) => ({
              pod: p.metadata.name,
              node: p.spec.nodeName,
              phase: p.status.phase,
              reason: p.status.reason,
              deleting: p.metadata.deletionTimestamp,
              conditions: p.status.conditions?.map((c) => `${c.type}=${c.status} ${c.reason ?? ''} ${c.message ?? ''}`),
            })),
    };
  }
  return out;
}

async function completed(name: string, all: string[]): Promise<Job> {
  return client.waitForCompletion(name, { timeoutMs: WAIT_MS }).catch(async (err: unknown) => {
    throw new Error(`${String(err)}; state: ${JSON.stringify(await state(all))}`);
  });
}

const cpuOf = (p: Pod) => p.spec.containers.reduce((sum, c) => sum + milliCpu(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu), 0);

interface Toleration {
  key?: string;
  operator?: string;
  value?: string;
  effect?: string;
}
interface Requirement {
  key: string;
  operator: string;
  values?: string[];
}

/** Whether the node (as this test started it) allows the pod: nodeSelector, required node affinity, NoSchedule/NoExecute taints. */
function allows(node: NodeSpec, pod: Pod): boolean {
  const spec = pod.spec as { nodeSelector?: Record<string, string>; tolerations?: Toleration[]; affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: { matchExpressions?: Requirement[] }[] } } } };
  if (Object.entries(spec.nodeSelector ?? {}).some(([k, v]) => node.labels[k] !== v)) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const holds = (r: Requirement) => {
    const v = node.labels[r.key];
    if (r.operator === 'In') return v !== undefined && (r.values ?? []).includes(v);
    if (r.operator === 'NotIn') return v === undefined || !(r.values ?? []).includes(v);
    if (r.operator === 'Exists') return v !== undefined;
    if (r.operator === 'DoesNotExist') return v === undefined;
    throw new Error(`operator ${r.operator} not handled by this test`);
  };
  if (required && !required.nodeSelectorTerms.some((t) => (t.matchExpressions ?? []).every(holds))) return false;
  const tolerated = (t: Taint) =>
    (spec.tolerations ?? []).some((x) => (x.effect === undefined || x.effect === t.effect) && (x.key === undefined || x.key === t.key) && (x.operator === 'Exists' || x.value === t.value));
  return node.taints.filter((t) => t.effect !== 'PreferNoSchedule').every(tolerated);
}

/** When a container of this node ended, as Docker recorded it (for pods whose end no worker reported). */
async function dockerEnds(node: string): Promise<Map<string, number>> {
  const docker = new Docker();
  const out = new Map<string, number>();
  for (const c of await containersOf(node)) {
    const info = await docker.getContainer(c.Id).inspect();
    const pod = info.Config.Labels[LABELS.pod];
    const end = info.State.Running ? Date.now() : Date.parse(info.State.FinishedAt);
    if (pod && Number.isFinite(end)) out.set(pod, Math.max(end, out.get(pod) ?? 0));
  }
  return out;
}

/**
 * The most CPU (millicores) and pods running on a node at one instant, from each pod's start (its
 * container's startedAt, else status.startTime) and end (finishedAt, or what Docker recorded), both
 * in whole seconds as the API writes them. Intervals are half-open, [start, end): a pod that started in
 * the second another ended does not count as overlapping it (it only started once the other's
 * container had ended, so floor(end) ≤ floor(start)); any real overlap of whole seconds does.
 */
function peak(pods: Pod[], ends: Map<string, number>): { cpu: number; pods: number; counted: number } {
  const intervals = pods.flatMap((p) => {
    const term = p.status.containerStatuses?.[0]?.state.terminated;
    const start = Math.floor(Date.parse(term?.startedAt ?? p.status.startTime ?? '') / 1000);
    const reported = Date.parse(term?.finishedAt ?? '');
    const docker = ends.get(p.metadata.name ?? '');
    // A pod of a lost node: its container may have run on after the end the node monitor wrote (or ended before it).
    const end = Math.floor((p.status.reason === 'NodeLost' && docker !== undefined ? docker : reported) / 1000);
    // Less than a second: overlaps nothing at this resolution.
    return Number.isFinite(start) && Number.isFinite(end) && end > start ? [{ start, end, weight: cpuOf(p) }] : [];
  });
  return { cpu: maxOverlap(intervals), pods: maxOverlap(intervals.map(({ start, end }) => ({ start, end }))), counted: intervals.length };
}

describe('placement across worker processes of a mixed fleet', () => {
  it('keeps every pod where its selector, affinity and tolerations allow, never over a node\'s allocatable; the killed node\'s pods are replaced on the surviving zone-b node', async () => {
    await startFleet();
    for (const key of ['big', 'small-1', 'small-2'] as const) await startWorkerProcess(key);

    // Each worker process registered its Node as it was told.
    for (const key of ['big', 'small-1', 'small-2'] as const) {
      const node = (await httpJson(apiUrl, 'GET', `/api/v1/nodes/${nodeName(key)}`)).body as { metadata: { labels: Record<string, string> }; spec: { taints?: Taint[] }; status: { allocatable: Record<string, string> } };
      expect(node.status.allocatable).toMatchObject(NODES[key].capacity);
      expect(node.metadata.labels).toMatchObject({ ...NODES[key].labels, 'kubernetes.io/hostname': nodeName(key) });
      expect(node.spec.taints ?? []).toEqual(NODES[key].taints);
    }

    const zoneB = uniqueName('zone-b');
    const zoneA = uniqueName('zone-a');
    const nowhere = uniqueName('nowhere');
    const all = [zoneB, zoneA, nowhere];
    const seen = () => state(all);
    // 10 pods of 500m that want zone b: 2 at a time on each 1-CPU small node; the pods of a lost node are not counted as failures.
    await client.createJob(
      job(zoneB, 'sleep 3', 10, { requests: { cpu: '500m', memory: '32Mi' }, nodeSelector: { zone: 'b' } }, { podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }),
    );
    // 8 pods of 500m that tolerate the taint and require zone a: the big node only, 4 at a time by CPU.
    await client.createJob(
      job(zoneA, 'sleep 3', 8, {
        requests: { cpu: '500m', memory: '32Mi' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } },
      }),
    );
    // 3 CPUs: more than any of the three nodes has (and the big one's taint is not tolerated).
    await client.createJob(job(nowhere, 'echo placed', 1, { requests: { cpu: '3' } }));

    const pending = await eventually(async () => {
        const [p] = await podsOf(nowhere);
        const c = p?.status.conditions?.find((x) => x.type === 'PodScheduled');
        if (!p || c?.reason !== 'Unschedulable' || !c.message?.includes('nodes are available')) return undefined;
        const events = await client.listEvents({ fieldSelector: `involvedObject.name=${p.metadata.name ?? ''}` });
        return events.some((e) => e.reason === 'FailedScheduling') ? p : undefined;
      }, WAIT_MS, 'the pod that fits nowhere to be Unschedulable with a FailedScheduling event', seen);
    const scheduled = pending.status.conditions?.find((x) => x.type === 'PodScheduled');
    expect(scheduled?.status).toBe('False');
    expect(scheduled?.message).toMatch(/^0\/3 nodes are available: .*Insufficient cpu/);
    expect(pending.status.phase).toBe('Pending');
    expect(pending.spec.nodeName ?? '').toBe('');
    const failedScheduling = (await client.listEvents({ fieldSelector: `involvedObject.name=${pending.metadata.name ?? ''}` })).find((e) => e.reason === 'FailedScheduling');
    expect(failedScheduling).toMatchObject({ type: 'Warning', source: { component: 'default-scheduler' } });
    expect(failedScheduling?.message).toContain('nodes are available');

    // The fault: once the zone-b Job runs on both small nodes, one of them is killed (its containers run on, unreported).
    const initial = await eventually(async () => {
        const pods = await podsOf(zoneB);
        const on = (key: NodeKey) => pods.some((p) => p.status.phase === 'Running' && p.spec.nodeName === nodeName(key));
        return pods.length === 10 && on('small-1') && on('small-2') ? pods : undefined;
      }, WAIT_MS, 'the zone-b Job running on both small nodes', seen);
    const initialNames = new Set(initial.map((p) => p.metadata.name));
    await workers.get('small-2')?.kill('SIGKILL');
    workers.delete('small-2');

    // The pod that fits nowhere is still waiting, until a worker that fits it joins.
    expect((await podsOf(nowhere))[0]?.status.phase).toBe('Pending');
    await startWorkerProcess('wide');

    const [doneB, doneA, doneC] = await Promise.all(all.map((n) => completed(n, all)));

    // The zone-b Job: exactly its completions, the lost pods ignored, their replacements on the survivor.
    expect(doneB?.status).toMatchObject({ succeeded: 10, active: 0 });
    expect(doneB?.status?.failed ?? 0).toBe(0);
    expect(doneB?.status?.conditions?.find((c) => c.type === 'Complete')?.status).toBe('True');
    const podsB = await podsOf(zoneB);
    expect(podsB.filter((p) => p.status.phase === 'Succeeded')).toHaveLength(10);
    const lost = podsB.filter((p) => p.status.phase === 'Failed');
    expect(lost.length).toBeGreaterThan(0);
    for (const p of lost) {
      expect(p.spec.nodeName).toBe(nodeName('small-2'));
      expect(p.status.reason).toBe('NodeLost');
      expect(p.status.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ status: 'True', reason: 'DeletionByTaintManager' });
    }
    const replacements = podsB.filter((p) => !initialNames.has(p.metadata.name));
    expect(replacements).toHaveLength(lost.length);
    expect(replacements.map((p) => [p.spec.nodeName, p.status.phase])).toEqual(replacements.map(() => [nodeName('small-1'), 'Succeeded']));
    expect(new Set(podsB.map((p) => p.spec.nodeName))).toEqual(new Set([nodeName('small-1'), nodeName('small-2')]));

    // The zone-a Job: the big node only.
    expect(doneA?.status).toMatchObject({ succeeded: 8, active: 0 });
    const podsA = await podsOf(zoneA);
    expect(new Set(podsA.map((p) => p.spec.nodeName))).toEqual(new Set([nodeName('big')]));

    // The Job that fit nowhere ran on the node that joined for it.
    expect(doneC?.status).toMatchObject({ succeeded: 1 });
    const [podC] = await podsOf(nowhere);
    expect(podC?.spec.nodeName).toBe(nodeName('wide'));
    expect(podC?.status.conditions?.find((x) => x.type === 'PodScheduled')?.status).toBe('True');

    // No pod on a node whose labels or taints it does not allow.
    const pods = [...podsB, ...podsA, ...(await podsOf(nowhere))];
    const misplaced = pods.filter((p) => {
      const key = keyOf(p.spec.nodeName);
      return !key || !allows(NODES[key], p);
    });
    expect(misplaced.map((p) => `${p.metadata.name ?? ''} on ${p.spec.nodeName ?? '?'}`)).toEqual([]);

    // The invariant: on every node, at no instant more CPU requested (or more pods) than it has. The
    // killed node's containers are still on the Docker host (no worker removed them): their real ends.
    const lostEnds = await dockerEnds(nodeName('small-2'));
    expect(lost.filter((p) => !lostEnds.has(p.metadata.name ?? '')).map((p) => p.metadata.name)).toEqual([]);
    for (const key of Object.keys(NODES) as NodeKey[]) {
      const on = pods.filter((p) => p.spec.nodeName === nodeName(key));
      const most = peak(on, key === 'small-2' ? lostEnds : new Map());
      console.log(`${nodeName(key)}: ${on.length} pods (${most.counted} ran ≥ 1 s), at most ${most.cpu}m CPU and ${most.pods} pods at once (allocatable ${NODES[key].capacity.cpu} CPU, ${NODES[key].capacity.pods} pods)`);
      expect(most.cpu, `CPU requested at once on ${nodeName(key)}`).toBeLessThanOrEqual(milliCpu(NODES[key].capacity.cpu));
      expect(most.pods, `pods at once on ${nodeName(key)}`).toBeLessThanOrEqual(Number(NODES[key].capacity.pods));
      // Every pod that slept its 3 s to success is in the measure (none dropped for want of times).
      const slept = on.filter((p) => p.status.phase === 'Succeeded' && p.metadata.labels?.['job-name'] !== nowhere);
      expect(most.counted, `pods measured on ${nodeName(key)}`).toBeGreaterThanOrEqual(slept.length);
    }
    // The measure sees pods run together where they may (else the bound above says nothing).
    expect(peak(podsA, new Map()).pods).toBeGreaterThanOrEqual(2);
  });

  it('starts a one-pod Job promptly behind a large backlog, and gives a GPU pod the GPU worker with an NVIDIA device request', async () => {
    await startFleet();
    for (const key of ['small-1', 'gpu'] as const) await startWorkerProcess(key);
    const big = uniqueName('backlog');
    const small = uniqueName('behind');
    const gpu = uniqueName('gpu');
    const all = [big, small, gpu];
    const seen = () => state(all);
    // The small node runs 4 pods at a time: 36 of the 40 wait in the queue.
    await client.createJob(job(big, 'sleep 1', 40, { nodeSelector: { zone: 'b' } }));
    await eventually(async () => ((await podsOf(big)).filter((p) => p.status.phase === 'Running').length >= 2 ? true : undefined), WAIT_MS, 'the big Job running', seen);
    await client.createJob(job(small, 'true', 1, { nodeSelector: { zone: 'b' } }));
    await completed(small, all);
    const atSmallDone = (await client.getJob(big)).status?.succeeded ?? 0;
    console.log(`fairness (worker processes): the one-pod Job completed when the big Job had ${atSmallDone} of 40 pods done (first in, first out: ≥ 32)`);
    expect(atSmallDone).toBeLessThan(24);

    await client.createJob(job(gpu, 'true', 1, { limits: { 'nvidia.com/gpu': '1' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }));
    const pod = await eventually(async () => {
        const [p] = await podsOf(gpu);
        const waiting = p?.status.containerStatuses?.[0]?.state.waiting;
        return p && (p.status.phase === 'Succeeded' || p.status.phase === 'Failed' || (waiting && waiting.reason !== 'ContainerCreating')) ? p : undefined;
      }, WAIT_MS, 'the GPU pod to end or fail to start', seen);
    expect(pod.spec.nodeName).toBe(nodeName('gpu'));
    // Without the NVIDIA runtime (every test machine here) Docker refuses the device request, naming the
    // driver and capability it was given: a container created without it would have run and Succeeded.
    const runtimes = JSON.stringify(((await new Docker().info()) as { Runtimes?: unknown }).Runtimes ?? {});
    if (!runtimes.includes('nvidia')) {
      expect(pod.status.phase).not.toBe('Succeeded');
      expect(JSON.stringify(pod.status)).toContain('could not select device driver \\"nvidia\\" with capabilities: [[gpu]]');
    } else {
      expect(pod.status.phase).toBe('Succeeded');
    }
    expect((await completed(big, all)).status).toMatchObject({ succeeded: 40 });
  });
});
