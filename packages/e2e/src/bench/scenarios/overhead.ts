/**
 * 1. Orchestration overhead: a Job of N pods running `true` through a real in-process jobfleet
 * (submit → Complete) vs the same N containers created, started, waited and removed directly with
 * dockerode, with the same parallelism.
 */
import { performance } from 'node:perf_hooks';
import Docker from 'dockerode';
import { BENCH_IMAGE, deleteAndWait, jobManifest, removeBenchContainers, startBenchFleet, uniqueName } from '../fleet.js';
import { instrumentDocker, type DockerCallStats } from '../instrument.js';
import { size, type BenchContext, type Row } from '../context.js';
import { alternate, median, pool, progress, round } from '../util.js';

export interface OverheadCase {
  parallelism: number;
  pods: number;
  jobfleetMs: number[];
  rawMs: number[];
  medianJobfleetMs: number;
  medianRawMs: number;
  /** Median of the per-round ratios (each jobfleet run ÷ the raw run right after it). */
  ratio: number;
  /** Median jobfleet ÷ median raw, for comparison. */
  ratioOfMedians: number;
  roundRatios: number[];
  /** Docker API calls per pod and their summed latency per pod, jobfleet's worker vs raw. */
  dockerPerPod: { jobfleet: Record<string, { calls: number; ms: number }>; raw: Record<string, { calls: number; ms: number }> };
  /** Per round: summed Docker call time (ping excluded) and the slowest single call, jobfleet and raw. */
  dockerPerRound: { jobfleet: { totalMs: number; slowestCall: string }[]; raw: { totalMs: number; slowestCall: string }[] };
  /** Jobfleet wall time per pod not spent waiting on a Docker call (sequential case only meaningful). */
  jobfleetNonDockerMsPerPod?: number;
  rawNonDockerMsPerPod?: number;
}

export interface OverheadResult {
  sequential: OverheadCase;
  parallel: OverheadCase;
}

function perPod(stats: DockerCallStats, pods: number, runs: number): Record<string, { calls: number; ms: number }> {
  const out: Record<string, { calls: number; ms: number }> = {};
  for (const [endpoint, s] of Object.entries(stats)) out[endpoint] = { calls: round(s.calls / pods / runs, 2), ms: round(s.totalMs / pods / runs, 2) };
  return out;
}

function dockerMs(stats: Record<string, { calls: number; ms: number }>): number {
  return Object.entries(stats)
    .filter(([endpoint]) => !endpoint.endsWith('/_ping'))
    .reduce((sum, [, s]) => sum + s.ms, 0);
}

export async function runOverhead(ctx: BenchContext): Promise<{ result: OverheadResult; rows: Row[] }> {
  const pods = size(ctx, 'overhead.pods', 10, 30);
  const fleet = await startBenchFleet(ctx.redis.url, 'o');
  await fleet.startWorker({ maxPods: 10 });
  const rawDocker = new Docker();
  const rawStats = instrumentDocker(rawDocker);
  await removeBenchContainers(rawDocker);

  const runRaw = async (parallelism: number) => {
    const t0 = performance.now();
    await pool(pods, parallelism, async () => {
      const c = await rawDocker.createContainer({ Image: BENCH_IMAGE, Cmd: ['true'], Labels: { 'io.jobfleet.bench': 'raw' }, HostConfig: { NetworkMode: 'bridge' } });
      await c.start();
      await c.wait({ condition: 'not-running' });
      await c.remove({ force: true, v: true });
    });
    return performance.now() - t0;
  };
  const runJobfleet = async (parallelism: number) => {
    const name = uniqueName(`ovh-p${parallelism}`);
    const t0 = performance.now();
    await fleet.client.createJob(jobManifest(name, { completions: pods, parallelism }));
    await fleet.client.waitForCompletion(name, { timeoutMs: 600_000 });
    const ms = performance.now() - t0;
    await deleteAndWait(fleet.client, name);
    return ms;
  };

  const measure = async (parallelism: number, label: string): Promise<OverheadCase> => {
    fleet.docker.reset();
    rawStats.reset();
    let jobfleetDocker: DockerCallStats = {};
    let rawDockerStats: DockerCallStats = {};
    const dockerPerRound: OverheadCase['dockerPerRound'] = { jobfleet: [], raw: [] };
    const samples = await alternate(
      ctx.rounds,
      async (r) => {
        fleet.docker.reset();
        const ms = await runJobfleet(parallelism);
        if (r >= 0) {
          jobfleetDocker = mergeStats(jobfleetDocker, fleet.docker.stats());
          dockerPerRound.jobfleet.push(roundSummary(fleet.docker.stats()));
        }
        progress(`${label} round ${r < 0 ? 'warm-up' : r + 1}/${ctx.rounds}: jobfleet ${(ms / 1000).toFixed(2)} s`);
        return ms;
      },
      async (r) => {
        rawStats.reset();
        const ms = await runRaw(parallelism);
        if (r >= 0) {
          rawDockerStats = mergeStats(rawDockerStats, rawStats.stats());
          dockerPerRound.raw.push(roundSummary(rawStats.stats()));
        }
        progress(`${label} round ${r < 0 ? 'warm-up' : r + 1}/${ctx.rounds}: raw dockerode ${(ms / 1000).toFixed(2)} s`);
        return ms;
      },
      { warmup: true, label },
    );
    const medianJobfleetMs = median(samples.a);
    const medianRawMs = median(samples.b);
    const dockerPerPod = { jobfleet: perPod(jobfleetDocker, pods, ctx.rounds), raw: perPod(rawDockerStats, pods, ctx.rounds) };
    return {
      parallelism,
      pods,
      jobfleetMs: samples.a.map((x) => round(x, 1)),
      rawMs: samples.b.map((x) => round(x, 1)),
      medianJobfleetMs: round(medianJobfleetMs, 1),
      medianRawMs: round(medianRawMs, 1),
      ratio: round(median(samples.a.map((a, i) => a / (samples.b[i] ?? NaN))), 3),
      ratioOfMedians: round(medianJobfleetMs / medianRawMs, 3),
      roundRatios: samples.a.map((a, i) => round(a / (samples.b[i] ?? NaN), 3)),
      dockerPerPod,
      dockerPerRound,
      ...(parallelism === 1
        ? {
            // Over the same rounds as the Docker sums: mean wall time per pod minus Docker time per pod.
            jobfleetNonDockerMsPerPod: round(mean(samples.a) / pods - dockerMs(dockerPerPod.jobfleet), 1),
            rawNonDockerMsPerPod: round(mean(samples.b) / pods - dockerMs(dockerPerPod.raw), 1),
          }
        : {}),
    };
  };

  try {
    const sequential = await measure(1, `overhead sequential (${pods} pods, parallelism 1)`);
    const parallel = await measure(5, `overhead parallel (${pods} pods, parallelism 5)`);
    const rows: Row[] = [sequential, parallel].map((c) => ({
      id: c.parallelism === 1 ? '1a' : '1b',
      name: `Orchestration overhead, ${c.pods} pods \`true\`, parallelism ${c.parallelism} (jobfleet ÷ raw dockerode)`,
      target: '≤ 1.10×',
      value: c.ratio,
      unit: '×',
      pass: c.ratio <= 1.1,
      detail: `median of ${c.roundRatios.length} paired rounds; medians ${(c.medianJobfleetMs / 1000).toFixed(2)} s vs ${(c.medianRawMs / 1000).toFixed(2)} s`,
    }));
    return { result: { sequential, parallel }, rows };
  } finally {
    await fleet.close();
    await removeBenchContainers(rawDocker);
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

export function dockerMsPerPod(stats: Record<string, { calls: number; ms: number }>): number {
  return dockerMs(stats);
}

function roundSummary(stats: DockerCallStats): { totalMs: number; slowestCall: string } {
  const entries = Object.entries(stats).filter(([endpoint]) => !endpoint.endsWith('/_ping'));
  const totalMs = entries.reduce((sum, [, s]) => sum + s.totalMs, 0);
  const slowest = entries.sort((a, b) => b[1].maxMs - a[1].maxMs)[0];
  return { totalMs: round(totalMs, 1), slowestCall: slowest ? `${slowest[0]} ${round(slowest[1].maxMs, 0)} ms` : '' };
}

function mergeStats(into: DockerCallStats, more: DockerCallStats): DockerCallStats {
  for (const [k, v] of Object.entries(more)) {
    const t = (into[k] ??= { calls: 0, totalMs: 0, maxMs: 0 });
    t.calls += v.calls;
    t.totalMs += v.totalMs;
    t.maxMs = Math.max(t.maxMs, v.maxMs);
  }
  return into;
}
