/**
 * 2. Control-plane throughput: a Job of N instant pods (the benchmark-only instant runtime) through
 * the in-process jobfleet vs raw BullMQ no-op jobs on the same Redis with the same concurrency.
 * Also counts Redis commands per pod (INFO commandstats) and the client-side round trips.
 */
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { deleteAndWait, jobManifest, startBenchFleet, uniqueName, waitWithProgress } from '../fleet.js';
import { instantRuntime } from '../instant-runtime.js';
import { diffCounters, snapshotCounters, type Counters } from '../instrument.js';
import { formatSummary, profileRun, saveProfile, summarize, type ProfileSummary } from '../profile.js';
import { addCommandStats, commandStats, diffCommandStats, netBytes, perUnit, redisCpuSeconds, type CommandStats } from '../redis-stats.js';
import { size, type BenchContext, type Row } from '../context.js';
import { alternate, median, processMeter, progress, round } from '../util.js';

interface RoundCost {
  ms: number;
  perSecond: number;
  nodeCpuMs: number;
  eventLoopUtilization: number;
  redisCpuMs: number;
  /** Bytes sent to Redis / received from Redis (INFO stats total_net_input/output_bytes) per unit. */
  bytesToRedisPerUnit: number;
  bytesFromRedisPerUnit: number;
}

export interface ThroughputResult {
  pods: number;
  parallelism: number;
  maxPods: number;
  jobfleet: RoundCost[];
  rawBullmq: RoundCost[];
  medianPodsPerSecond: number;
  medianRawJobsPerSecond: number;
  /** Median of the per-round ratios (jobfleet pods/s ÷ raw jobs/s of the run right after it). */
  ratio: number;
  ratioOfMedians: number;
  /** Per pod, over all jobfleet rounds. */
  perPod: {
    bytesToRedis: number;
    bytesFromRedis: number;
    redisCommands: number;
    redisUsec: number;
    nodeCpuMs: number;
    redisCpuMs: number;
    roundTrips: number;
    commandsByName: { command: string; perUnit: number; usecPerUnit: number; usecPerCall: number }[];
    clientCommandsByName: Record<string, number>;
    /** Client-side payload bytes per pod by command (arguments sent, replies received). */
    bytesSentByCommand: Record<string, number>;
    bytesReceivedByCommand: Record<string, number>;
    syncs: number;
    syncJobCalls: number;
    commits: number;
    commitConflicts: number;
    podsReadPerSync: number;
    scheduleSyncCalls: number;
    enqueuePodsCalls: number;
  };
  /** Per job, over all raw BullMQ rounds. */
  perRawJob: { bytesToRedis: number; bytesFromRedis: number; redisCommands: number; redisUsec: number; nodeCpuMs: number; roundTrips: number; commandsByName: { command: string; perUnit: number; usecPerUnit: number; usecPerCall: number }[] };
  profile?: { file: string; podsPerSecondUnderProfiler: number; summary: ProfileSummary };
}

function perPodSorted(m: Record<string, number>, units: number): Record<string, number> {
  return Object.fromEntries(
    Object.entries(m)
      .map(([k, v]) => [k, Math.round(v / units)] as const)
      .filter(([, v]) => v > 0)
      .sort((a, b) => b[1] - a[1]),
  );
}

export async function runThroughput(ctx: BenchContext): Promise<{ result: ThroughputResult; rows: Row[] }> {
  const pods = size(ctx, 'throughput.pods', 2_000, 20_000);
  const parallelism = size(ctx, 'throughput.parallelism', 100, 100);
  const maxPods = size(ctx, 'throughput.maxPods', 200, 200);
  // A quick round lasts about a second (raw BullMQ: a fifth of one): more rounds steady the medians.
  const rounds = Math.max(ctx.rounds, size(ctx, 'throughput.rounds', 5, 5));
  const admin = ctx.redis.admin;
  const fleet = await startBenchFleet(ctx.redis.url, 't');
  await fleet.startWorker({ maxPods, runtime: instantRuntime });
  const rawPrefix = `${fleet.prefix}raw`;

  const jfStats: CommandStats = {};
  const rawStats: CommandStats = {};
  let jfCounters: Counters | undefined;
  let rawCounters: Counters | undefined;
  const sumCounters = (a: Counters | undefined, b: Counters): Counters => {
    if (!a) return b;
    const out = structuredClone(a);
    for (const k of Object.keys(b) as (keyof Counters)[]) {
      const v = b[k];
      if (typeof v === 'number') (out[k] as number) += v;
      else for (const [c, n] of Object.entries(v)) (out[k] as Record<string, number>)[c] = ((out[k] as Record<string, number>)[c] ?? 0) + n;
    }
    return out;
  };

  /** Runs `fn` and measures it: wall time, this process's CPU, Redis CPU, command stats, counters. */
  const measured = async (units: number, fn: () => Promise<void>) => {
    const stats0 = await commandStats(admin);
    const cpu0 = await redisCpuSeconds(admin);
    const net0 = await netBytes(admin);
    const counters0 = snapshotCounters();
    const meter = processMeter();
    const t0 = performance.now();
    await fn();
    const ms = performance.now() - t0;
    const proc = meter();
    const counters = diffCounters(counters0, snapshotCounters());
    const redisCpuMs = ((await redisCpuSeconds(admin)) - cpu0) * 1000;
    const net1 = await netBytes(admin);
    const stats = diffCommandStats(stats0, await commandStats(admin));
    const cost: RoundCost = {
      ms: round(ms, 1),
      perSecond: round(units / (ms / 1000), 1),
      nodeCpuMs: round(proc.cpuMs, 1),
      eventLoopUtilization: round(proc.eventLoopUtilization, 3),
      redisCpuMs: round(redisCpuMs, 1),
      bytesToRedisPerUnit: Math.round((net1.input - net0.input) / units),
      bytesFromRedisPerUnit: Math.round((net1.output - net0.output) / units),
    };
    return { cost, stats, counters };
  };

  /** r: round (0-based), -1 the warm-up, -2 the profiled run. */
  const jobfleetRun = async (r: number) => {
    const name = uniqueName('tput');
    const m = await measured(pods, async () => {
      await fleet.client.createJob(jobManifest(name, { completions: pods, parallelism }));
      await waitWithProgress(fleet.client, name, `throughput jobfleet round ${r + 1}`);
    });
    progress(`throughput round ${r === -2 ? 'profiled' : r < 0 ? 'warm-up' : r + 1}/${rounds}: jobfleet ${pods} pods in ${(m.cost.ms / 1000).toFixed(2)} s = ${m.cost.perSecond} pods/s (node CPU ${(m.cost.nodeCpuMs / 1000).toFixed(1)} s, ELU ${m.cost.eventLoopUtilization}, redis CPU ${(m.cost.redisCpuMs / 1000).toFixed(1)} s)`);
    if (r >= 0) {
      addCommandStats(jfStats, m.stats);
      jfCounters = sumCounters(jfCounters, m.counters);
    }
    await deleteAndWait(fleet.client, name);
    return m.cost;
  };

  const rawRun = async (r: number) => {
    const queueName = `raw${r + 1}`;
    const queueConn = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
    const workerConn = new Redis(ctx.redis.url, { maxRetriesPerRequest: null });
    queueConn.on('error', () => undefined);
    workerConn.on('error', () => undefined);
    const queue = new Queue(queueName, { connection: queueConn, prefix: rawPrefix });
    let done = 0;
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const worker = new Worker(queueName, async () => undefined, { connection: workerConn, prefix: rawPrefix, concurrency: maxPods });
    worker.on('completed', () => {
      if (++done === pods) finish();
    });
    worker.on('error', () => undefined);
    await worker.waitUntilReady();
    await queue.waitUntilReady();
    const m = await measured(pods, async () => {
      await queue.addBulk(
        Array.from({ length: pods }, (_, i) => {
          const data = { ns: 'default', name: `raw-${r}-${i}`, uid: `u-${r}-${i}` };
          return { name: 'run-pod', data, opts: { jobId: `pod-${r + 1}-${i}-x`, removeOnComplete: true, removeOnFail: true } };
        }),
      );
      await finished;
    });
    progress(`throughput round ${r < 0 ? 'warm-up' : r + 1}/${rounds}: raw BullMQ ${pods} jobs in ${(m.cost.ms / 1000).toFixed(2)} s = ${m.cost.perSecond} jobs/s`);
    if (r >= 0) {
      addCommandStats(rawStats, m.stats);
      rawCounters = sumCounters(rawCounters, m.counters);
    }
    await worker.close();
    await queue.obliterate({ force: true });
    await queue.close();
    queueConn.disconnect();
    workerConn.disconnect();
    return m.cost;
  };

  try {
    const samples = await alternate(rounds, (r) => jobfleetRun(r), (r) => rawRun(r), { warmup: true, label: `throughput (${pods} pods, parallelism ${parallelism}, maxPods ${maxPods})` });
    const medianPodsPerSecond = median(samples.a.map((c) => c.perSecond));
    const medianRawJobsPerSecond = median(samples.b.map((c) => c.perSecond));
    const totalPods = pods * rounds;
    const jf = jfCounters as Counters;
    const raw = rawCounters as Counters;
    const totalCalls = (s: CommandStats) => Object.values(s).reduce((a, b) => a + b.calls, 0);
    const totalUsec = (s: CommandStats) => Object.values(s).reduce((a, b) => a + b.usec, 0);
    const result: ThroughputResult = {
      pods,
      parallelism,
      maxPods,
      jobfleet: samples.a,
      rawBullmq: samples.b,
      medianPodsPerSecond: round(medianPodsPerSecond, 1),
      medianRawJobsPerSecond: round(medianRawJobsPerSecond, 1),
      ratio: round(median(samples.a.map((a, i) => a.perSecond / (samples.b[i]?.perSecond ?? NaN))), 3),
      ratioOfMedians: round(medianPodsPerSecond / medianRawJobsPerSecond, 3),
      perPod: {
        bytesToRedis: Math.round(median(samples.a.map((c) => c.bytesToRedisPerUnit))),
        bytesFromRedis: Math.round(median(samples.a.map((c) => c.bytesFromRedisPerUnit))),
        redisCommands: round(totalCalls(jfStats) / totalPods, 1),
        redisUsec: round(totalUsec(jfStats) / totalPods, 1),
        nodeCpuMs: round(samples.a.reduce((s, c) => s + c.nodeCpuMs, 0) / totalPods, 3),
        redisCpuMs: round(samples.a.reduce((s, c) => s + c.redisCpuMs, 0) / totalPods, 3),
        roundTrips: round((jf.redisSingleCommands + jf.redisPipelines) / totalPods, 1),
        commandsByName: perUnit(jfStats, totalPods).map((c) => ({ ...c, perUnit: round(c.perUnit, 2), usecPerUnit: round(c.usecPerUnit, 1), usecPerCall: round(c.usecPerCall, 2) })),
        clientCommandsByName: Object.fromEntries(Object.entries(jf.redisByCommand).sort((a, b) => b[1] - a[1]).map(([c, n]) => [c, round(n / totalPods, 2)])),
        bytesSentByCommand: perPodSorted(jf.bytesSentByCommand, totalPods),
        bytesReceivedByCommand: perPodSorted(jf.bytesReceivedByCommand, totalPods),
        syncs: round(jf.syncsRun / totalPods, 3),
        syncJobCalls: round(jf.syncJobCalls / totalPods, 3),
        commits: round(jf.commits / totalPods, 2),
        commitConflicts: round(jf.commitConflicts / totalPods, 3),
        podsReadPerSync: round(jf.podsReadBySyncs / Math.max(1, jf.syncsRun), 1),
        scheduleSyncCalls: round(jf.scheduleSyncCalls / totalPods, 3),
        enqueuePodsCalls: round(jf.enqueuePodsCalls / totalPods, 3),
      },
      perRawJob: {
        bytesToRedis: Math.round(median(samples.b.map((c) => c.bytesToRedisPerUnit))),
        bytesFromRedis: Math.round(median(samples.b.map((c) => c.bytesFromRedisPerUnit))),
        redisCommands: round(totalCalls(rawStats) / totalPods, 1),
        redisUsec: round(totalUsec(rawStats) / totalPods, 1),
        nodeCpuMs: round(samples.b.reduce((s, c) => s + c.nodeCpuMs, 0) / totalPods, 3),
        roundTrips: round((raw.redisSingleCommands + raw.redisPipelines) / totalPods, 2),
        commandsByName: perUnit(rawStats, totalPods).map((c) => ({ ...c, perUnit: round(c.perUnit, 2), usecPerUnit: round(c.usecPerUnit, 1), usecPerCall: round(c.usecPerCall, 2) })),
      },
    };
    if (ctx.profile) {
      progress('throughput: one more jobfleet run under the CPU profiler');
      const { value, profile } = await profileRun(() => jobfleetRun(-2));
      const file = join(ctx.profileDir, `throughput-${ctx.mode}.cpuprofile`);
      saveProfile(profile, file);
      const summary = summarize(profile);
      result.profile = { file, podsPerSecondUnderProfiler: value.perSecond, summary };
      process.stderr.write(`${formatSummary(summary)}\n`);
    }
    const rows: Row[] = [
      {
        id: '2a',
        name: `Control-plane throughput, Job of ${pods} instant pods, parallelism ${parallelism}, maxPods ${maxPods}`,
        target: '≥ 1,000 pods/s',
        value: result.medianPodsPerSecond,
        unit: 'pods/s',
        pass: result.medianPodsPerSecond >= 1000,
      },
      {
        id: '2b',
        name: `… vs raw BullMQ no-op jobs (addBulk + Worker concurrency ${maxPods}): ${result.medianRawJobsPerSecond} jobs/s`,
        target: '≥ 0.33×',
        value: result.ratio,
        unit: '×',
        pass: result.ratio >= 1 / 3,
      },
      {
        id: '2c',
        name: `Redis commands per pod (commandstats, incl. inside Lua) / per raw BullMQ job: ${result.perRawJob.redisCommands}`,
        target: '',
        value: result.perPod.redisCommands,
        unit: 'commands',
        detail: `${result.perPod.roundTrips} client round trips, ${(result.perPod.bytesToRedis / 1024).toFixed(1)} KiB sent and ${(result.perPod.bytesFromRedis / 1024).toFixed(1)} KiB received per pod vs ${result.perRawJob.roundTrips}, ${(result.perRawJob.bytesToRedis / 1024).toFixed(2)} KiB and ${(result.perRawJob.bytesFromRedis / 1024).toFixed(2)} KiB per raw job`,
      },
    ];
    return { result, rows };
  } finally {
    await fleet.close();
  }
}
