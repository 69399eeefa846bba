/**
 * jobfleet benchmarks: `npm run bench [-- --quick]`.
 *
 *   --quick               small sizes (under 2 minutes on 2 cores); default is the full run
 *   --only=a,b            scenarios: overhead, throughput, scale, many, placement (default all)
 *   --rounds=N            rounds of each side of an A/B comparison (quick 4, full 5; throughput ≥ 5)
 *   --redis-wait-replicas=N   give the Redis N replicas and make every write wait for them (WAIT N), as
 *                         `jobfleet --redis-wait-replicas N` does: the cost of a Sentinel set's durability
 *   --redis-replicas=N    the N replicas alone, no write waits (the other side of that comparison)
 *   --set name=value      override a size, e.g. --set scale.pods=20000 (see size() calls)
 *   --no-profile          skip the CPU profile of one extra control-plane run
 *   --experiment=a,b      bench-only runtime patches trying proposed fixes (see experiments.ts);
 *                         results then go to bench/results/<date>-<mode>-exp-<names>.json
 *   --out=FILE            results JSON (default bench/results/<date>-<quick|full>.json)
 *   --summarize-profile=FILE   only print the summary of a .cpuprofile (e.g. from node --cpu-prof)
 *   --markdown=FILE       only print the Markdown tables of a results JSON (what BENCHMARKS.md shows)
 *
 * Progress goes to stderr, the results table (Markdown) to stdout, raw results to the JSON file.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import type { BenchContext, Mode, Row } from './context.js';
import { startBenchRedis } from './fleet.js';
import { applyExperiments, applyRedisExperiments, EXPERIMENTS, type Experiment } from './experiments.js';
import { installCounters, missingHooks } from './instrument.js';
import { formatSummary, loadProfile, summarize } from './profile.js';
import { serverInfo } from './redis-stats.js';
import { markdownReport, resultsTable } from './report.js';
import { runManyJobs } from './scenarios/many-jobs.js';
import { runOverhead } from './scenarios/overhead.js';
import { runPlacement } from './scenarios/placement.js';
import { runScale } from './scenarios/scale.js';
import { attachReplicas } from './replicas.js';
import { runThroughput } from './scenarios/throughput.js';
import { progress } from './util.js';

const SCENARIOS = ['overhead', 'throughput', 'scale', 'many', 'placement'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Args {
  mode: Mode;
  only: Scenario[];
  rounds?: number;
  sizes: Record<string, number>;
  profile: boolean;
  out?: string;
  summarizeProfile?: string;
  markdown?: string;
  experiments: Experiment[];
  /** --redis-wait-replicas=N: the benchmark's Redis gets N replicas and every write waits for them; --redis-replicas=N: no write waits. */
  waitReplicas: number;
  replicas: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { mode: 'full', only: [...SCENARIOS], sizes: {}, profile: true, experiments: [], waitReplicas: 0, replicas: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    const [flag, inline] = a.includes('=') && a.startsWith('--') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => inline ?? argv[++i] ?? '';
    if (flag === '--quick') args.mode = 'quick';
    else if (flag === '--full') args.mode = 'full';
    else if (flag === '--no-profile') args.profile = false;
    else if (flag === '--only') {
      const list = value().split(',').map((s) => s.trim()) as Scenario[];
      for (const s of list) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}; one of ${SCENARIOS.join(', ')}`);
      args.only = list;
    } else if (flag === '--rounds') args.rounds = Number(value());
    else if (flag === '--set') {
      const [k, v] = value().split('=');
      if (!k || v === undefined || !Number.isFinite(Number(v))) throw new Error('--set takes name=number');
      args.sizes[k] = Number(v);
    } else if (flag === '--out') args.out = value();
    else if (flag === '--summarize-profile') args.summarizeProfile = value();
    else if (flag === '--markdown') args.markdown = value();
    else if (flag === '--experiment') {
      const list = value().split(',').map((s) => s.trim()) as Experiment[];
      for (const e of list) if (!EXPERIMENTS.includes(e)) throw new Error(`unknown experiment ${e}; one of ${EXPERIMENTS.join(', ')}`);
      args.experiments = list;
    }
    else if (flag === '--redis-wait-replicas') args.waitReplicas = Number(value());
    else if (flag === '--redis-replicas') args.replicas = Number(value());
    else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../../..');

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

function command(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '?';
  }
}

async function machine(redisVersion: string): Promise<Record<string, unknown>> {
  const cpuinfo = (() => {
    try {
      return readFileSync('/proc/cpuinfo', 'utf8');
    } catch {
      return '';
    }
  })();
  const docker = await new Docker().version().catch(() => undefined);
  return {
    nproc: Number(command('nproc', [])) || cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    cpuModel: cpuinfo.match(/^model name\s*:\s*(.*)$/m)?.[1] ?? cpus()[0]?.model ?? '?',
    kernel: release(),
    node: process.version,
    docker: docker ? `${docker.Version} (API ${docker.ApiVersion})` : '?',
    redis: redisVersion,
    gitCommit: command('git', ['-C', repoRoot, 'rev-parse', '--short', 'HEAD']),
    /** Files changed but not committed when the run started (other engineers work in the same tree). */
    gitUncommittedFiles: command('git', ['-C', repoRoot, 'status', '--porcelain', '--untracked-files=no']).split('\n').filter((l) => l.trim()).length,
  };
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  if (args.markdown) {
    process.stdout.write(`${markdownReport(args.markdown)}\n`);
    return;
  }
  if (args.summarizeProfile) {
    process.stdout.write(`${formatSummary(summarize(loadProfile(args.summarizeProfile)))}\n`);
    return;
  }
  installCounters();
  applyExperiments(args.experiments);
  const started = Date.now();
  const machineInfo = machine('');
  progress(`mode ${args.mode}, scenarios ${args.only.join(', ')}${args.experiments.length ? `, EXPERIMENTS ${args.experiments.join(', ')}` : ''}`);
  const redis = await startBenchRedis();
  const replicas = Math.max(args.waitReplicas, args.replicas);
  const stopReplicas = replicas > 0 ? await attachReplicas(redis.url, redis.admin, replicas, args.waitReplicas > 0) : undefined;
  await applyRedisExperiments(args.experiments, redis.admin);
  const info = await serverInfo(redis.admin);
  const profileDir = mkdtempSync(join(tmpdir(), 'jobfleet-bench-profiles-'));
  const ctx: BenchContext = {
    mode: args.mode,
    redis,
    rounds: args.rounds ?? (args.mode === 'quick' ? 4 : 5),
    profile: args.profile,
    profileDir,
    sizes: args.sizes,
  };
  const results: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  const rows: Row[] = [];
  const runners: Record<Scenario, (c: BenchContext) => Promise<{ result: unknown; rows: Row[] }>> = {
    overhead: runOverhead,
    throughput: runThroughput,
    scale: runScale,
    many: runManyJobs,
    placement: runPlacement,
  };
  try {
    for (const scenario of args.only) {
      const t0 = Date.now();
      progress(`── ${scenario} ──`);
      const load = () => loadavg().map((x) => Math.round(x * 100) / 100);
      const loadBefore = load();
      try {
        const out = await Promise.race([runners[scenario](ctx), redis.gone]);
        // The machine's load average (1, 5, 15 min) around the scenario: other work on it skews every figure.
        results[scenario] = { ...(out.result as object), durationS: Math.round((Date.now() - t0) / 100) / 10, loadAverage: { before: loadBefore, after: load() } };
        rows.push(...out.rows);
      } catch (err) {
        errors[scenario] = err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
        progress(`${scenario} FAILED: ${errors[scenario]}`);
        if (redis.isGone()) break; // nothing after this can run
      }
    }
  } finally {
    await stopReplicas?.();
    await redis.stop();
  }
  const report = {
    date: today(),
    startedAt: new Date(started).toISOString(),
    durationS: Math.round((Date.now() - started) / 100) / 10,
    mode: args.mode,
    rounds: ctx.rounds,
    sizes: args.sizes,
    argv: process.argv.slice(2),
    experiments: args.experiments,
    machine: { ...(await machineInfo), redis: info.version, redisConfig: info },
    rows,
    results,
    ...(Object.keys(errors).length ? { errors } : {}),
    ...(missingHooks.length ? { missingHooks } : {}),
  };
  const suffix = args.experiments.length ? `-exp-${args.experiments.join('+')}` : '';
  const out = args.out ?? join(repoRoot, 'bench', 'results', `${report.date}-${args.mode}${suffix}.json`);
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  progress(`done in ${report.durationS} s; results in ${out}`);
  process.stdout.write(`${resultsTable(rows)}\n`);
  if (Object.keys(errors).length) process.exitCode = 1;
}

main().then(
  // Stray handles (sockets being closed, BullMQ timers) must not keep a finished benchmark alive.
  () => setTimeout(() => process.exit(), 500).unref(),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
