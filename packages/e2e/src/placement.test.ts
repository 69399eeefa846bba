/**
 * Placement across a mixed fleet (issue #16), against real Redis, Docker and kubectl: workers of
 * different advertised capacities, labels and taints on one Docker host.
 * - no node is ever over its allocatable (from the pods' own start/finish times and requests, and
 *   from what the API showed while they ran);
 * - nodeSelector, required node affinity, tolerations, a template's nodeName and kubectl cordon are
 *   honoured; a NoExecute taint evicts what does not tolerate it (at once, or after tolerationSeconds);
 * - a pod that fits nowhere is Pending with PodScheduled=False/Unschedulable, Kubernetes' message and
 *   a FailedScheduling event, and runs once a fitting worker joins;
 * - kubectl label, taint, cordon/uncordon, drain, get nodes -o wide and describe node (Allocated
 *   resources) work on jobfleet's Nodes;
 * - a one-pod Job submitted behind a large one runs next (fair queueing between Jobs);
 * - preferred node affinity and PreferNoSchedule taints steer pods while the best node has room;
 * - a worker that leaves mid-run hands its pods back, and they finish where they fit;
 * - a GPU pod goes to the GPU node and its container is created with an NVIDIA device request.
 */
import Docker from 'dockerode';
import { afterAll, describe, expect, it, onTestFinished } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { uniqueName, type Fleet } from './harness.js';
import { milliCpu, placementJob } from './placement-fixtures.js';
import { eventually, maxOverlap } from './timing.js';
import { kubectlOk, tableRows, useFleetWithKubectl, type Kubectl } from './kubectl-runner.js';
import { httpJson } from './upstream/job-fixtures.js';

let fleet: Fleet;
let kubectl: Kubectl;
useFleetWithKubectl({ workers: 0 }, (f, k) => {
  fleet = f;
  kubectl = k;
});

const node = (suffix: string) => `${fleet.prefix}-${suffix}`;
const WAIT_MS = 120_000;

const job = placementJob;

const podsOf = (name: string) => fleet.client.listPods({ jobName: name });
const seconds = (t: string | undefined) => Math.floor(Date.parse(t ?? '') / 1000);

describe('placement across a mixed fleet', () => {
  /** Running pods per node seen by the API while the Jobs ran: [node, cpu millicores requested, pods] per sample. */
  const samples: { node: string; cpu: number; pods: number }[] = [];
  let sampling: NodeJS.Timeout | undefined;
  afterAll(() => clearInterval(sampling));

  it('starts workers that advertise their capacity, labels and taints; kubectl shows them', async () => {
    await fleet.addWorker({ nodeName: node('small'), capacity: { cpu: '1', memory: '1Gi', pods: '4' }, nodeLabels: { zone: 'a', disk: 'hdd' } });
    await fleet.addWorker({
      nodeName: node('big'),
      capacity: { cpu: '2', memory: '4Gi', pods: '10' },
      nodeLabels: { zone: 'b', disk: 'ssd' },
      registerWithTaints: [{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }],
    });
    await fleet.addWorker({
      nodeName: node('gpu'),
      capacity: { cpu: '2', memory: '2Gi', pods: '4', 'nvidia.com/gpu': '2' },
      nodeLabels: { accelerator: 'nvidia' },
      registerWithTaints: [{ key: 'nvidia.com/gpu', value: 'present', effect: 'NoSchedule' }],
    });
    const wide = tableRows(await kubectlOk(kubectl, ['get', 'nodes', '-o', 'wide']));
    expect(wide[0]).toEqual(expect.arrayContaining(['NAME', 'STATUS', 'INTERNAL-IP']));
    expect(wide.map((r) => r[0])).toEqual(expect.arrayContaining([node('small'), node('big'), node('gpu')]));
    const big = JSON.parse(await kubectlOk(kubectl, ['get', 'node', node('big'), '-o', 'json'])) as { metadata: { labels: Record<string, string> }; spec: { taints?: unknown[] }; status: { allocatable: Record<string, string> } };
    expect(big.metadata.labels).toMatchObject({ zone: 'b', disk: 'ssd', 'kubernetes.io/hostname': node('big') });
    expect(big.spec.taints).toEqual([{ key: 'dedicated', value: 'batch', effect: 'NoSchedule' }]);
    expect(big.status.allocatable).toMatchObject({ cpu: '2', memory: '4Gi', pods: '10' });
    const gpu = JSON.parse(await kubectlOk(kubectl, ['get', 'node', node('gpu'), '-o', 'json'])) as { status: { capacity: Record<string, string> } };
    expect(gpu.status.capacity['nvidia.com/gpu']).toBe('2');

    sampling = setInterval(() => {
      void fleet.client.listPods().then((pods) => {
        const byNode = new Map<string, { cpu: number; pods: number }>();
        for (const p of pods) {
          if (p.status?.phase !== 'Running' || !p.spec.nodeName) continue;
          const cpu = p.spec.containers.reduce((sum, c) => sum + milliCpu(c.resources?.requests?.cpu ?? c.resources?.limits?.cpu), 0);
          const n = byNode.get(p.spec.nodeName) ?? { cpu: 0, pods: 0 };
          byNode.set(p.spec.nodeName, { cpu: n.cpu + cpu, pods: n.pods + 1 });
        }
        for (const [name, n] of byNode) samples.push({ node: name, ...n });
      }, () => undefined);
    }, 200);
  });

  it('never puts more on a node than it has: a Job of 10 pods of 500m CPU runs 2 at a time on the 1-CPU node, never on nodes whose taints it does not tolerate', async () => {
    const name = uniqueName('cpu');
    await fleet.client.createJob(job(name, 'sleep 3', 10, { requests: { cpu: '500m', memory: '64Mi' } }));
    await fleet.client.waitForCompletion(name, { timeoutMs: WAIT_MS });
    const pods = await podsOf(name);
    expect(pods).toHaveLength(10);
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set([node('small')]));
    // From the pods' own times (second resolution): within [start + 1 s, finish) each surely ran.
    expect(mostAtOnce(pods)).toBeLessThanOrEqual(2);
    expect(mostAtOnce(pods)).toBeGreaterThanOrEqual(1);
    const seen = samples.filter((s) => s.node === node('small'));
    expect(Math.max(...seen.map((s) => s.cpu))).toBeLessThanOrEqual(1000);
    expect(seen.length).toBeGreaterThan(0);
  });

  it('honours tolerations and required node affinity: pods that tolerate the taint and want zone b run on the big node only, at most 4 at a time by CPU', async () => {
    const name = uniqueName('affinity');
    await fleet.client.createJob(
      job(name, 'sleep 3', 8, {
        requests: { cpu: '500m' },
        tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }],
        affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] }] } } },
      }),
    );
    await fleet.client.waitForCompletion(name, { timeoutMs: WAIT_MS });
    const pods = await podsOf(name);
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set([node('big')]));
    expect(mostAtOnce(pods)).toBeLessThanOrEqual(4);
    expect(Math.max(0, ...samples.filter((s) => s.node === node('big')).map((s) => s.cpu))).toBeLessThanOrEqual(2000);
  });

  it("a template's nodeName pins its pods to that node; nodeSelector picks by label", async () => {
    const pinned = uniqueName('pinned');
    await fleet.client.createJob(job(pinned, 'true', 2, { nodeName: node('small') }));
    const selected = uniqueName('selected');
    await fleet.client.createJob(job(selected, 'true', 2, { nodeSelector: { disk: 'ssd' }, tolerations: [{ operator: 'Exists' }] }));
    await fleet.client.waitForCompletion(pinned, { timeoutMs: WAIT_MS });
    await fleet.client.waitForCompletion(selected, { timeoutMs: WAIT_MS });
    expect(new Set((await podsOf(pinned)).map((p) => p.spec.nodeName))).toEqual(new Set([node('small')]));
    expect(new Set((await podsOf(selected)).map((p) => p.spec.nodeName))).toEqual(new Set([node('big')]));
  });

  it('kubectl describe node shows what the pods running on it request (Allocated resources) and lists them', async () => {
    const name = uniqueName('held');
    await fleet.client.createJob(job(name, 'sleep 60', 1, { requests: { cpu: '250m', memory: '64Mi' }, nodeName: node('small') }));
    const running = await eventually(async () => (await podsOf(name)).find((p) => p.status?.phase === 'Running'), WAIT_MS, 'the pod running on the small node');
    const out = await kubectlOk(kubectl, ['describe', 'node', node('small')]);
    expect(out).toMatch(/Allocated resources:/);
    // kubectl sums the requests of the node's non-terminated pods (fieldSelector spec.nodeName, status.phase) against its allocatable.
    expect(out).toMatch(/cpu\s+250m \(25%\)/);
    expect(out).toMatch(/memory\s+64Mi \(6%\)/);
    expect(out).toContain(running.metadata.name ?? '?');
    // A node with a pod bound to it is not deleted (the node monitor follows its pods by its record): 409, the node stays.
    const deleted = await kubectl.run(['delete', 'node', node('small')]);
    expect(deleted.code).not.toBe(0);
    expect(deleted.stderr).toContain('1 pod(s) are bound to it');
    expect(tableRows(await kubectlOk(kubectl, ['get', 'node', node('small')]))[1]?.[0]).toBe(node('small'));
    await fleet.client.deleteJob(name);
  });

  it('a pod that fits nowhere is Pending with Unschedulable and a FailedScheduling event, and runs once a fitting worker joins', async () => {
    const name = uniqueName('zone-c');
    await fleet.client.createJob(job(name, 'echo placed', 1, { nodeSelector: { zone: 'c' } }));
    const pod = await eventually(async () => {
      const [p] = await podsOf(name);
      const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.reason === 'Unschedulable' && c.message?.startsWith('0/3 nodes are available') ? p : undefined;
    }, WAIT_MS, 'the pod marked Unschedulable');
    const condition = pod.status?.conditions?.find((x) => x.type === 'PodScheduled');
    expect(condition?.status).toBe('False');
    expect(condition?.message).toBe(
      "0/3 nodes are available: 1 node(s) didn't match Pod's node affinity/selector, 1 node(s) had untolerated taint {dedicated: batch}, 1 node(s) had untolerated taint {nvidia.com/gpu: present}. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
    );
    expect(pod.status?.phase).toBe('Pending');
    const describe = await kubectlOk(kubectl, ['describe', 'pod', pod.metadata.name ?? '']);
    expect(describe).toMatch(/Warning\s+FailedScheduling\s+.*default-scheduler\s+0\/3 nodes are available/);

    await fleet.addWorker({ nodeName: node('zone-c'), capacity: { cpu: '1', memory: '1Gi', pods: '2' }, nodeLabels: { zone: 'c' } });
    await fleet.client.waitForCompletion(name, { timeoutMs: WAIT_MS });
    const [done] = await podsOf(name);
    expect(done?.spec.nodeName).toBe(node('zone-c'));
    expect(done?.status?.conditions?.find((x) => x.type === 'PodScheduled')?.status).toBe('True');
  });

  it('kubectl label, taint and cordon change where new pods go; uncordon and taint removal undo it', async () => {
    expect(await kubectlOk(kubectl, ['label', 'node', node('zone-c'), 'tier=gold'])).toContain(`node/${node('zone-c')} labeled`);
    expect(await kubectlOk(kubectl, ['taint', 'node', node('small'), 'maintenance=now:NoSchedule'])).toContain(`node/${node('small')} tainted`);
    expect(await kubectlOk(kubectl, ['cordon', node('zone-c')])).toContain(`node/${node('zone-c')} cordoned`);
    const status = tableRows(await kubectlOk(kubectl, ['get', 'node', node('zone-c')]));
    expect(status[1]?.[1]).toBe('Ready,SchedulingDisabled');

    // Wants tier=gold (only zone-c has it) while zone-c is cordoned: fits nowhere.
    const name = uniqueName('gold');
    await fleet.client.createJob(job(name, 'true', 1, { nodeSelector: { tier: 'gold' } }));
    await eventually(async () => {
        const [p] = await podsOf(name);
        const c = p?.status?.conditions?.find((x) => x.type === 'PodScheduled');
        return c?.reason === 'Unschedulable' && c.message?.includes('node(s) were unschedulable') ? p : undefined;
      }, WAIT_MS, 'the gold pod Unschedulable', async () => (await podsOf(name)).map((p) => ({ node: p.spec.nodeName, phase: p.status?.phase, conditions: p.status?.conditions })));
    expect(await kubectlOk(kubectl, ['uncordon', node('zone-c')])).toContain(`node/${node('zone-c')} uncordoned`);
    await fleet.client.waitForCompletion(name, { timeoutMs: WAIT_MS });
    expect((await podsOf(name))[0]?.spec.nodeName).toBe(node('zone-c'));

    // The small node's new taint keeps untolerating pods away, until it is removed.
    const away = uniqueName('away');
    await fleet.client.createJob(job(away, 'true', 1, { nodeSelector: { zone: 'a' } }));
    await eventually(async () => {
      const [p] = await podsOf(away);
      return p?.status?.conditions?.find((x) => x.type === 'PodScheduled')?.message?.includes('untolerated taint {maintenance: now}') ? p : undefined;
    }, WAIT_MS, 'the zone-a pod Unschedulable by the taint');
    expect(await kubectlOk(kubectl, ['taint', 'node', node('small'), 'maintenance=now:NoSchedule-'])).toContain(`node/${node('small')} untainted`);
    await fleet.client.waitForCompletion(away, { timeoutMs: WAIT_MS });
    expect((await podsOf(away))[0]?.spec.nodeName).toBe(node('small'));
  });

  it('kubectl patch adds a toleration to a pod waiting for a tainted node: it runs there; kubectl label works on a pod with tolerations', async () => {
    const name = uniqueName('tolerate-later');
    await fleet.client.createJob(job(name, 'echo placed', 1, { nodeSelector: { zone: 'b' } }));
    const pod = await eventually(async () => {
      const [p] = await podsOf(name);
      return p?.status?.conditions?.find((x) => x.type === 'PodScheduled')?.reason === 'Unschedulable' ? p : undefined;
    }, WAIT_MS, 'the pod marked Unschedulable (the zone-b node is tainted)');
    const podName = pod.metadata.name ?? '';
    // Only additions to a pod's tolerations are allowed, as Kubernetes: changing one is refused.
    await kubectlOk(kubectl, ['patch', 'pod', podName, '-p', JSON.stringify({ spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }] } })]);
    const refused = await kubectl.run(['patch', 'pod', podName, '-p', JSON.stringify({ spec: { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'other', effect: 'NoSchedule' }] } })]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('existing toleration can not be modified except its tolerationSeconds');
    const done = await fleet.client.waitForCompletion(name, { timeoutMs: WAIT_MS });
    expect(done.status?.succeeded).toBe(1);
    const [ran] = await podsOf(name);
    expect(ran?.spec.nodeName).toBe(node('big'));
    expect(ran?.spec.tolerations).toStrictEqual([{ key: 'dedicated', operator: 'Equal', value: 'batch', effect: 'NoSchedule' }]);
    // A pod with tolerations takes label changes (its tolerations sent back unchanged).
    await kubectlOk(kubectl, ['label', 'pod', podName, 'checked=yes']);
    expect((await podsOf(name))[0]?.metadata.labels?.checked).toBe('yes');
  });

  it('a NoExecute taint evicts the pods that do not tolerate it at once, those tolerating it for 10 s no sooner than 10 s on, and keeps those tolerating it for ever', async () => {
    // On the big node (zone b, tainted dedicated=batch:NoSchedule, which they all tolerate).
    const onBig = (name: string, script: string, noExecute?: { tolerationSeconds?: number }) => {
      const tolerations = [{ key: 'dedicated', operator: 'Exists', effect: 'NoSchedule' }, ...(noExecute ? [{ key: 'evict', operator: 'Exists', effect: 'NoExecute', ...noExecute }] : [])];
      const j = job(name, script, 1, { nodeSelector: { zone: 'b' }, tolerations });
      // Evicted pods are not failures: replaced, as Kubernetes' podFailurePolicy Ignore on DisruptionTarget does.
      j.spec.podFailurePolicy = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] };
      return j;
    };
    const [goes, later, stays] = [uniqueName('ne-go'), uniqueName('ne-later'), uniqueName('ne-stay')];
    // Ended by the eviction's SIGTERM (a shell as PID 1 would ignore it, and sleep on to success within the grace
    // period), 5 s later: an evicted pod is listed, with its condition, until it ends and its Job counts it.
    await fleet.client.createJob(onBig(goes, "trap 'sleep 5; exit 1' TERM; sleep 30 & wait"));
    await fleet.client.createJob(onBig(later, "trap 'sleep 5; exit 1' TERM; sleep 40 & wait", { tolerationSeconds: 10 }));
    await fleet.client.createJob(onBig(stays, 'sleep 20', {}));
    const running = (name: string) => eventually(async () => (await podsOf(name)).find((p) => p.status?.phase === 'Running'), WAIT_MS, `${name} running`);
    const [goPod, laterPod, stayPod] = [await running(goes), await running(later), await running(stays)];
    expect(await kubectlOk(kubectl, ['taint', 'node', node('big'), 'evict=now:NoExecute'])).toContain(`node/${node('big')} tainted`);
    onTestFinished(async () => void (await kubectl.run(['taint', 'node', node('big'), 'evict=now:NoExecute-']))); // gone for a retry and the next tests
    const taint = (JSON.parse(await kubectlOk(kubectl, ['get', 'node', node('big'), '-o', 'json'])) as { spec: { taints: { key: string; timeAdded?: string }[] } }).spec.taints.find((t) => t.key === 'evict');
    const added = Date.parse(taint?.timeAdded ?? '');
    expect(Number.isFinite(added)).toBe(true); // the API stamps a NoExecute taint with the time it was added

    const disruption = (name: string, uid: string | undefined) =>
      eventually(async () => {
          const p = (await fleet.client.listPods({ jobName: name })).find((x) => x.metadata.uid === uid);
          return p?.status?.conditions?.find((c) => c.type === 'DisruptionTarget' && c.status === 'True') ? p : undefined;
        }, WAIT_MS, `${name}'s pod evicted`, async () => ({ node: await kubectlOk(kubectl, ['get', 'node', node('big'), '-o', 'jsonpath={.spec.taints}']), pods: (await podsOf(name)).map((p) => ({ uid: p.metadata.uid, phase: p.status?.phase, deleting: p.metadata.deletionTimestamp, conditions: p.status?.conditions })) }));
    const goneNow = await disruption(goes, goPod.metadata.uid);
    const goneLater = await disruption(later, laterPod.metadata.uid);
    for (const p of [goneNow, goneLater]) {
      expect(p.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({ reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' });
    }
    // Not before its tolerationSeconds (times in whole seconds: 1 s of rounding).
    const evictedAt = (p: Pod) => Date.parse(p.status?.conditions?.find((c) => c.type === 'DisruptionTarget')?.lastTransitionTime ?? '');
    expect(evictedAt(goneLater) - added).toBeGreaterThanOrEqual(9_000);
    expect(evictedAt(goneNow)).toBeLessThan(evictedAt(goneLater));
    const events = await fleet.client.listEvents({ fieldSelector: `involvedObject.name=${goPod.metadata.name}` });
    expect(events.map((e) => `${e.reason} ${e.message}`)).toContain(`TaintManagerEviction Marking for deletion Pod default/${goPod.metadata.name}`);
    // Tolerated for ever: not evicted 10 s into the taint (when the 10 s one went); it completes by itself.
    const stayed = (await podsOf(stays)).find((p) => p.metadata.uid === stayPod.metadata.uid);
    expect(stayed?.status?.conditions?.some((c) => c.type === 'DisruptionTarget')).toBe(false);
    expect(stayed?.metadata.deletionTimestamp).toBeUndefined();
    // The replacements cannot go back while the taint is there (the big node is the only one they fit)...
    const replaced = [...(await podsOf(goes)), ...(await podsOf(later))].filter((p) => p.metadata.uid !== goPod.metadata.uid && p.metadata.uid !== laterPod.metadata.uid);
    expect(replaced.filter((p) => p.spec.nodeName).map((p) => p.metadata.name)).toEqual([]);
    // ...once it is removed they run there, and nothing counted as failed.
    expect(await kubectlOk(kubectl, ['taint', 'node', node('big'), 'evict=now:NoExecute-'])).toContain(`node/${node('big')} untainted`);
    for (const name of [goes, later]) {
      const replacement = await eventually(async () => (await podsOf(name)).find((p) => p.status?.phase === 'Running' && p.metadata.uid !== goPod.metadata.uid && p.metadata.uid !== laterPod.metadata.uid), WAIT_MS, `${name}'s replacement running`, async () => ({ job: (await fleet.client.getJob(name)).status, pods: (await podsOf(name)).map((p) => ({ uid: p.metadata.uid, node: p.spec.nodeName, phase: p.status?.phase, deleting: p.metadata.deletionTimestamp, conditions: p.status?.conditions })) }));
      expect(replacement.spec.nodeName).toBe(node('big'));
      expect((await fleet.client.getJob(name)).status?.failed ?? 0).toBe(0);
      await fleet.client.deleteJob(name);
    }
    const done = await fleet.client.waitForCompletion(stays, { timeoutMs: WAIT_MS });
    expect(done.status?.succeeded).toBe(1);
    expect((await podsOf(stays)).find((p) => p.metadata.uid === stayPod.metadata.uid)?.status?.phase).toBe('Succeeded');
  });

  it('kubectl drain cordons the node and evicts its pods through the eviction API; they come back once it is uncordoned', async () => {
    const name = uniqueName('drained');
    const j = job(name, "trap 'exit 1' TERM; sleep 60 & wait", 1, { nodeSelector: { zone: 'a' } });
    j.spec.podFailurePolicy = { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] };
    await fleet.client.createJob(j);
    const first = await eventually(async () => (await podsOf(name)).find((p) => p.status?.phase === 'Running'), WAIT_MS, 'the pod running on the small node');
    expect(first.spec.nodeName).toBe(node('small'));
    onTestFinished(async () => void (await kubectl.run(['uncordon', node('small')])));
    const drained = await kubectlOk(kubectl, ['drain', node('small'), '--ignore-daemonsets', '--timeout=120s']);
    expect(drained).toContain(`node/${node('small')} cordoned`);
    expect(drained).toContain(`evicting pod default/${first.metadata.name}`);
    expect(drained).toContain(`node/${node('small')} drained`);
    // Evicted (the eviction API's condition), gone, not counted; its replacement waits: zone a is cordoned.
    expect((await podsOf(name)).some((p) => p.metadata.uid === first.metadata.uid)).toBe(false);
    await eventually(async () => {
      const p = (await podsOf(name)).find((x) => x.metadata.uid !== first.metadata.uid);
      return p?.status?.conditions?.find((c) => c.type === 'PodScheduled')?.message?.includes('node(s) were unschedulable') ? p : undefined;
    }, WAIT_MS, 'the replacement Unschedulable');
    expect((await fleet.client.getJob(name)).status?.failed ?? 0).toBe(0);
    expect(await kubectlOk(kubectl, ['uncordon', node('small')])).toContain(`node/${node('small')} uncordoned`);
    const again = await eventually(async () => (await podsOf(name)).find((p) => p.status?.phase === 'Running'), WAIT_MS, 'the replacement running');
    expect(again.spec.nodeName).toBe(node('small'));
    await fleet.client.deleteJob(name);
  });

  it('is fair between Jobs: a one-pod Job submitted behind a Job of 40 queued pods runs next, not after them', async () => {
    // The small node alone (zone a): 4 pods at a time, so 36 of the big Job's pods wait in the queue.
    const big = uniqueName('backlog');
    await fleet.client.createJob(job(big, 'sleep 1', 40, { nodeSelector: { zone: 'a' } }));
    await eventually(async () => ((await fleet.client.getJob(big)).status?.active ?? 0) >= 4 || undefined, WAIT_MS, 'the big Job running');
    const small = uniqueName('behind');
    await fleet.client.createJob(job(small, 'true', 1, { nodeSelector: { zone: 'a' } }));
    await fleet.client.waitForCompletion(small, { timeoutMs: WAIT_MS });
    const atSmallDone = (await fleet.client.getJob(big)).status?.succeeded ?? 0;
    console.log(`fairness: the one-pod Job completed when the big Job had ${atSmallDone} of 40 pods done (first in, first out: ≥ 32)`);
    expect(atSmallDone).toBeLessThan(24);
    await fleet.client.waitForCompletion(big, { timeoutMs: WAIT_MS });
  });

  it('preferred node affinity and PreferNoSchedule taints steer pods to the node that scores best while it has room; past its room, the rest run elsewhere', async () => {
    const pool = uniqueName('prefer');
    const [ssd, spot] = [node(`${pool}-ssd`), node(`${pool}-spot`)];
    await fleet.addWorker({ nodeName: ssd, capacity: { cpu: '2', memory: '2Gi', pods: '4' }, nodeLabels: { pool, disk: 'ssd' } });
    await fleet.addWorker({ nodeName: spot, capacity: { cpu: '2', memory: '2Gi', pods: '4' }, nodeLabels: { pool, disk: 'hdd' }, registerWithTaints: [{ key: 'spot', value: 'true', effect: 'PreferNoSchedule' }] });
    const prefer = (disk: string) => ({ nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 100, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: [disk] }] } }] } });
    const nodesOf = async (name: string) => (await podsOf(name)).map((p) => p.spec.nodeName).sort();
    // Either node fits every pod here; without scores, pods would spread over both.
    const wantsSsd = `${pool}-ssd`;
    const plain = `${pool}-plain`;
    const wantsHdd = `${pool}-hdd`;
    await fleet.client.createJob(job(wantsSsd, 'sleep 1', 3, { nodeSelector: { pool }, affinity: prefer('ssd') }));
    await fleet.client.waitForCompletion(wantsSsd, { timeoutMs: WAIT_MS });
    expect(await nodesOf(wantsSsd)).toStrictEqual([ssd, ssd, ssd]);
    // No preference: the node without a PreferNoSchedule taint the pod does not tolerate.
    await fleet.client.createJob(job(plain, 'sleep 1', 3, { nodeSelector: { pool } }));
    await fleet.client.waitForCompletion(plain, { timeoutMs: WAIT_MS });
    expect(await nodesOf(plain)).toStrictEqual([ssd, ssd, ssd]);
    // Tolerating the taint and preferring hdd: the spot node.
    await fleet.client.createJob(job(wantsHdd, 'sleep 1', 3, { nodeSelector: { pool }, affinity: prefer('hdd'), tolerations: [{ key: 'spot', operator: 'Exists' }] }));
    await fleet.client.waitForCompletion(wantsHdd, { timeoutMs: WAIT_MS });
    expect(await nodesOf(wantsHdd)).toStrictEqual([spot, spot, spot]);
    // Six long pods preferring ssd, which runs 4 at a time: the other 2 run on the spot node meanwhile (a preference, not a requirement).
    const overflow = `${pool}-overflow`;
    await fleet.client.createJob(job(overflow, 'sleep 20', 6, { nodeSelector: { pool }, affinity: prefer('ssd') }));
    const running = await eventually(async () => {
      const pods = (await podsOf(overflow)).filter((p) => p.status?.phase === 'Running');
      return pods.length === 6 ? pods : undefined;
    }, WAIT_MS, 'all 6 pods running', () => nodesOf(overflow));
    expect(running.filter((p) => p.spec.nodeName === ssd)).toHaveLength(4);
    expect(running.filter((p) => p.spec.nodeName === spot)).toHaveLength(2);
    await fleet.client.deleteJob(overflow);
  });

  it('a worker that leaves mid-run hands its pods back; they finish on the node that fits them, never over its allocatable, no failure counted', async () => {
    // Names of this attempt's own (a retry must not meet the first attempt's live pool-2), and a pool label of its own.
    const name = uniqueName('leave');
    const [pool1, pool2] = [node(`${name}-1`), node(`${name}-2`)];
    const leaving = await fleet.addWorker({ nodeName: pool1, capacity: { cpu: '1', memory: '1Gi', pods: '4' }, nodeLabels: { pool: name } });
    await fleet.client.createJob(job(name, 'sleep 4', 6, { requests: { cpu: '500m' }, nodeSelector: { pool: name } }));
    await eventually(async () => ((await podsOf(name)).filter((p) => p.spec.nodeName === pool1 && p.status?.phase === 'Running').length >= 2) || undefined, WAIT_MS, 'two pods running on the first pool node');
    await fleet.addWorker({ nodeName: pool2, capacity: { cpu: '1', memory: '1Gi', pods: '4' }, nodeLabels: { pool: name } });
    await leaving.close(); // drains 2 s, then stops what still runs and hands it back
    const done = await fleet.client.waitForCompletion(name, { timeoutMs: WAIT_MS }).catch(async (err: unknown) => {
      // What stands in the way, for whoever reads a failure: the pods (where, what phase, why) and the nodes.
      const pods = (await podsOf(name)).map((p) => ({ pod: p.metadata.name, node: p.spec.nodeName, phase: p.status?.phase, deleting: p.metadata.deletionTimestamp, annotations: p.metadata.annotations, conditions: p.status?.conditions?.map((c) => `${c.type}=${c.status} ${c.reason ?? ''} ${c.message ?? ''}`) }));
      const nodes = await kubectl.run(['get', 'nodes', '-o', 'wide']);
      throw new Error(`${String(err)}; job status ${JSON.stringify((await fleet.client.getJob(name)).status)}; pods ${JSON.stringify(pods)}; nodes:\n${nodes.stdout}`);
    });
    expect(done.status?.succeeded).toBe(6);
    expect(done.status?.failed ?? 0).toBe(0);
    const pods = await podsOf(name);
    for (const n of [pool1, pool2]) expect(mostAtOnce(pods.filter((p) => p.spec.nodeName === n && p.status?.phase === 'Succeeded'))).toBeLessThanOrEqual(2);
    expect(pods.filter((p) => p.status?.phase === 'Succeeded' && p.spec.nodeName === pool2).length).toBeGreaterThan(0);
  });

  it('refuses a bad taint or label with a precise Status, changing nothing', async () => {
    const bad = await kubectl.run(['taint', 'node', node('small'), 'k=v:Sometimes']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/Sometimes/);
    const label = await kubectl.run(['label', 'node', node('small'), 'bad key=x']);
    expect(label.code).not.toBe(0);
    // What kubectl checks itself, the API checks too (any client can send it).
    const mergePatch = (body: unknown) => httpJson(fleet.api.url, 'PATCH', `/api/v1/nodes/${node('small')}`, body, 'application/merge-patch+json');
    const res = await mergePatch({ metadata: { labels: { 'bad key': 'x' } }, spec: { taints: [{ key: 'k', effect: 'Sometimes' }] } });
    expect(res.status).toBe(422);
    const status = res.body as { reason: string; message: string };
    expect(status.reason).toBe('Invalid');
    expect(status.message).toContain(`Node "${node('small')}" is invalid: `);
    expect(status.message).toContain('spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"');
    expect(status.message).toContain('metadata.labels: Invalid value: "bad key"');
    const small = JSON.parse(await kubectlOk(kubectl, ['get', 'node', node('small'), '-o', 'json'])) as { metadata: { labels: Record<string, string> }; spec: { taints?: unknown[] } };
    expect(small.spec.taints ?? []).toEqual([]);
    expect(small.metadata.labels['bad key']).toBeUndefined();
    // Every worker reads every node's record: taints past 512 KiB in all are refused (Kubernetes has no such bound; it has etcd's).
    const taints = Array.from({ length: 6_000 }, (_, i) => ({ key: `k${i}`, value: 'v'.repeat(63), effect: 'NoSchedule' }));
    const big = await mergePatch({ spec: { taints } });
    expect(big.status).toBe(422);
    expect((big.body as { message: string }).message).toContain('metadata: Too long: may not be more than 524288 bytes');
    expect((JSON.parse(await kubectlOk(kubectl, ['get', 'node', node('small'), '-o', 'json'])) as { spec: { taints?: unknown[] } }).spec.taints ?? []).toEqual([]);
  });

  it('a GPU pod goes to the GPU node and its container is created with an NVIDIA device request for its GPUs', async () => {
    const name = uniqueName('gpu');
    await fleet.client.createJob(
      job(name, 'true', 1, { limits: { 'nvidia.com/gpu': '1' }, tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }] }),
    );
    // This machine has no NVIDIA runtime: Docker refuses the device request it was given, which shows it was made.
    const pod = await eventually(async () => {
      const [p] = await podsOf(name);
      const waiting = p?.status?.containerStatuses?.[0]?.state?.waiting;
      return p && (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed' || (waiting && waiting.reason !== 'ContainerCreating')) ? p : undefined;
    }, WAIT_MS, 'the GPU pod to end or fail to start');
    expect(pod.spec.nodeName).toBe(node('gpu'));
    // Without the NVIDIA runtime (every test machine here) Docker refuses the request, naming the driver:
    // a container created without the device request would have run and Succeeded.
    const runtimes = JSON.stringify(((await new Docker().info()) as { Runtimes?: unknown }).Runtimes ?? {});
    if (!runtimes.includes('nvidia')) {
      expect(pod.status?.phase).not.toBe('Succeeded');
      expect(JSON.stringify(pod.status)).toMatch(/nvidia/i);
    }
    await fleet.client.deleteJob(name).catch(() => undefined);
  });
});

/** The most pods that surely ran at once, from their containers' start and finish (whole seconds: [start + 1, finish)). */
function mostAtOnce(pods: Pod[]): number {
  return maxOverlap(
    pods.flatMap((p) => {
      const term = p.status?.containerStatuses?.[0]?.state?.terminated;
      const [start, end] = [seconds(term?.startedAt) + 1, seconds(term?.finishedAt)];
      return Number.isFinite(start) && Number.isFinite(end) && end > start ? [{ start, end }] : [];
    }),
  );
}
