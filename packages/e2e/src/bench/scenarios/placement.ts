/**
 * 5. Placement's cost (issue #16): the control plane's throughput with placement on vs off, each on
 * its own fleet of 20 simulated nodes (instant runtime) sharing one Redis, A/B alternated in the same
 * run (the idle fleet only polls).
 * - off: a Job of N pods that ask for nothing, on 20 plain nodes (any node takes any pod);
 * - on: the same Job whose pods request CPU and memory, select a zone by nodeSelector, need required
 *   node affinity and tolerate a taint that half the nodes carry, on 20 nodes of which 4 are in the
 *   other zone: each node checks every pod it claims against its labels, taints and what it has
 *   left, and the 4 leave the Job's pods to the others.
 * Nodes advertise 8 CPUs, 16 GiB and 20 pods each (the pods' requests never bind: this measures the
 * decisions, not waiting for room).
 */
import { performance } from 'node:perf_hooks';
import type { Job } from '@jobfleet/kube';
import { jobManifest, startBenchFleet, uniqueName } from '../fleet.js';
import { instantRuntime } from '../instant-runtime.js';
import { size, type BenchContext, type Row } from '../context.js';
import { alternate, median, progress, round } from '../util.js';

export interface PlacementResult {
  nodes: number;
  pods: number;
  parallelism: number;
  offPodsPerSecond: number[];
  onPodsPerSecond: number[];
  medianOff: number;
  medianOn: number;
  /** Median of the per-round ratios (on ÷ the off run before it). */
  ratio: number;
  /** Nodes the pods of the last placed run went to (zone a only). */
  nodesUsed: number;
}

function placedJob(name: string, pods: number, parallelism: number): Job {
  const job = jobManifest(name, { completions: pods, parallelism });
  const spec = job.spec.template.spec;
  spec.containers = spec.containers.map((c) => ({ ...c, resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '64Mi' } } }));
  spec.nodeSelector = { 'bench/zone': 'a' };
  spec.tolerations = [{ key: 'bench/dedicated', operator: 'Exists', effect: 'NoSchedule' }];
  spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'bench/disk', operator: 'In', values: ['ssd', 'nvme'] }] }] } } };
  return job;
}

export async function runPlacement(ctx: BenchContext): Promise<{ result: PlacementResult; rows: Row[] }> {
  const nodes = size(ctx, 'placement.nodes', 20, 20);
  const pods = size(ctx, 'placement.pods', 2_000, 10_000);
  const parallelism = size(ctx, 'placement.parallelism', 100, 100);
  const rounds = Math.max(ctx.rounds, size(ctx, 'placement.rounds', 5, 5));
  const fleet = await startBenchFleet(ctx.redis.url, 'p');
  const plain = await startBenchFleet(ctx.redis.url, 'f');
  try {
    for (let i = 0; i < nodes; i++) {
      await plain.startWorker({ maxPods: 20, runtime: instantRuntime, nodeName: `${plain.prefix}-n${i}`, extra: { capacity: { cpu: '8', memory: '16Gi', pods: '20' } } });
      // Zone a: every node but a few of zone b (the pods go to zone a only); half of them tainted.
      const zone = i < nodes - 4 ? 'a' : 'b';
      await fleet.startWorker({
        maxPods: 20,
        runtime: instantRuntime,
        nodeName: `${fleet.prefix}-n${i}`,
        extra: {
          capacity: { cpu: '8', memory: '16Gi', pods: '20' },
          nodeLabels: { 'bench/zone': zone, 'bench/disk': i % 3 === 0 ? 'nvme' : 'ssd' },
          registerWithTaints: i % 2 === 0 ? [{ key: 'bench/dedicated', value: 'yes', effect: 'NoSchedule' }] : [],
        },
      });
    }
    progress(`placement: ${nodes} + ${nodes} simulated nodes up`);
    let nodesUsed = 0;
    const run = (placed: boolean) => async (r: number) => {
      const name = uniqueName(placed ? 'placed' : 'free');
      const { client } = placed ? fleet : plain;
      const t0 = performance.now();
      await client.createJob(placed ? placedJob(name, pods, parallelism) : jobManifest(name, { completions: pods, parallelism }));
      await client.waitForCompletion(name, { timeoutMs: 600_000 });
      const perSecond = round(pods / ((performance.now() - t0) / 1000), 1);
      if (placed && r >= 0) nodesUsed = new Set((await client.listPods({ jobName: name })).map((p) => p.spec.nodeName)).size;
      await client.deleteJob(name);
      progress(`placement round ${r < 0 ? 'warm-up' : r + 1}/${rounds}: ${placed ? 'on ' : 'off'} ${perSecond} pods/s`);
      return perSecond;
    };
    const { a: off, b: on } = await alternate(rounds, run(false), run(true), { warmup: true, label: 'placement' });
    const ratios = on.map((v, i) => v / (off[i] ?? v));
    const result: PlacementResult = {
      nodes,
      pods,
      parallelism,
      offPodsPerSecond: off,
      onPodsPerSecond: on,
      medianOff: median(off),
      medianOn: median(on),
      ratio: round(median(ratios), 3),
      nodesUsed,
    };
    const rows: Row[] = [
      {
        id: '5a',
        name: `Throughput with placement on (requests, nodeSelector, node affinity, tolerations) ÷ off, ${nodes} simulated nodes, Job of ${pods} instant pods: ${result.medianOn} vs ${result.medianOff} pods/s`,
        target: '≥ 0.90×',
        value: result.ratio,
        unit: '×',
        pass: result.ratio >= 0.9,
      },
    ];
    return { result, rows };
  } finally {
    await Promise.all([fleet.close(), plain.close()]);
  }
}
