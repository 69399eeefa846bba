/**
 * Markdown of a results file: `node packages/e2e/dist/bench/main.js --markdown=bench/results/X.json`.
 * Prints the tables BENCHMARKS.md is made of (results, Redis commands per pod, memory by key
 * class, profile), so that they can be regenerated from any run.
 */
import { readFileSync } from 'node:fs';
import type { Row } from './context.js';
import type { ProfileSummary } from './profile.js';
import { dockerMsPerPod } from './scenarios/overhead.js';

interface Results {
  date: string;
  mode: string;
  durationS: number;
  rounds: number;
  experiments?: string[];
  machine: Record<string, unknown>;
  rows: Row[];
  results: {
    overhead?: {
      sequential: OverheadCase;
      parallel: OverheadCase;
    };
    throughput?: {
      pods: number;
      medianPodsPerSecond: number;
      medianRawJobsPerSecond: number;
      ratio: number;
      jobfleet: { perSecond: number; nodeCpuMs: number; eventLoopUtilization: number; redisCpuMs: number; ms: number }[];
      rawBullmq: { perSecond: number; ms: number }[];
      perPod: Record<string, unknown> & {
        commandsByName: { command: string; perUnit: number; usecPerUnit: number; usecPerCall: number }[];
        clientCommandsByName: Record<string, number>;
        bytesSentByCommand?: Record<string, number>;
        bytesReceivedByCommand?: Record<string, number>;
      };
      perRawJob: Record<string, unknown> & { commandsByName: { command: string; perUnit: number; usecPerUnit: number }[] };
      profile?: { podsPerSecondUnderProfiler: number; summary: ProfileSummary };
    };
    scale?: {
      pods: number;
      memory: { perPodBytes: number; breakdown: { class: string; keys: number; bytes: number; perPodBytes: number }[] };
      latency: Record<string, unknown>;
    };
    many?: Record<string, unknown>;
  };
}

interface OverheadCase {
  parallelism: number;
  pods: number;
  jobfleetMs: number[];
  rawMs: number[];
  roundRatios: number[];
  ratio: number;
  dockerPerPod: { jobfleet: Record<string, { calls: number; ms: number }>; raw: Record<string, { calls: number; ms: number }> };
  jobfleetNonDockerMsPerPod?: number;
  rawNonDockerMsPerPod?: number;
}

const fmt = (n: number, digits = 2) => n.toLocaleString('en-US', { maximumFractionDigits: digits });

export function resultsTable(rows: Row[]): string {
  const lines = ['| # | measurement | target | measured | met |', '|---|---|---|---|---|'];
  for (const r of rows) {
    const met = r.pass === undefined ? '' : r.pass ? 'yes' : '**no**';
    lines.push(`| ${r.id} | ${r.name} | ${r.target} | ${fmt(r.value, 3)} ${r.unit}${r.detail ? ` (${r.detail})` : ''} | ${met} |`);
  }
  return lines.join('\n');
}

function commandsTable(t: NonNullable<Results['results']['throughput']>): string {
  const raw = new Map(t.perRawJob.commandsByName.map((c) => [c.command, c]));
  const lines = ['| command | per pod | µs per pod | per raw BullMQ job | µs per raw job |', '|---|---:|---:|---:|---:|'];
  for (const c of t.perPod.commandsByName.filter((c) => c.perUnit >= 0.01)) {
    const r = raw.get(c.command);
    lines.push(`| ${c.command} | ${fmt(c.perUnit)} | ${fmt(c.usecPerUnit, 1)} | ${r ? fmt(r.perUnit) : '–'} | ${r ? fmt(r.usecPerUnit, 1) : '–'} |`);
  }
  const sum = (xs: { perUnit: number }[]) => xs.reduce((a, b) => a + b.perUnit, 0);
  const usec = (xs: { usecPerUnit: number }[]) => xs.reduce((a, b) => a + b.usecPerUnit, 0);
  lines.push(`| **total** | **${fmt(sum(t.perPod.commandsByName), 1)}** | **${fmt(usec(t.perPod.commandsByName), 0)}** | **${fmt(sum(t.perRawJob.commandsByName), 1)}** | **${fmt(usec(t.perRawJob.commandsByName), 0)}** |`);
  return lines.join('\n');
}

function bytesTable(t: NonNullable<Results['results']['throughput']>): string {
  const sent = t.perPod.bytesSentByCommand ?? {};
  const received = t.perPod.bytesReceivedByCommand ?? {};
  const names = [...new Set([...Object.keys(sent), ...Object.keys(received)])].sort((a, b) => (sent[b] ?? 0) + (received[b] ?? 0) - (sent[a] ?? 0) - (received[a] ?? 0));
  const lines = ['| command (client side) | calls per pod | bytes sent per pod | bytes received per pod |', '|---|---:|---:|---:|'];
  for (const n of names) {
    if ((sent[n] ?? 0) + (received[n] ?? 0) < 20) continue;
    lines.push(`| ${n} | ${t.perPod.clientCommandsByName[n] ?? '(pipelined)'} | ${fmt(sent[n] ?? 0, 0)} | ${fmt(received[n] ?? 0, 0)} |`);
  }
  return lines.join('\n');
}

function memoryTable(s: NonNullable<Results['results']['scale']>): string {
  const lines = ['| key class | keys | bytes (est.) | bytes per pod |', '|---|---:|---:|---:|'];
  for (const c of s.memory.breakdown.filter((c) => c.perPodBytes >= 1)) lines.push(`| ${c.class} | ${fmt(c.keys, 0)} | ${fmt(c.bytes, 0)} | ${fmt(c.perPodBytes, 0)} |`);
  return lines.join('\n');
}

function dockerTable(c: OverheadCase): string {
  const endpoints = [...new Set([...Object.keys(c.dockerPerPod.jobfleet), ...Object.keys(c.dockerPerPod.raw)])].filter((e) => !e.endsWith('/_ping'));
  const lines = ['| Docker API call | jobfleet calls/pod | jobfleet ms/pod | raw calls/pod | raw ms/pod |', '|---|---:|---:|---:|---:|'];
  for (const e of endpoints) {
    const j = c.dockerPerPod.jobfleet[e];
    const r = c.dockerPerPod.raw[e];
    lines.push(`| ${e} | ${j ? fmt(j.calls) : '–'} | ${j ? fmt(j.ms, 1) : '–'} | ${r ? fmt(r.calls) : '–'} | ${r ? fmt(r.ms, 1) : '–'} |`);
  }
  return lines.join('\n');
}

function profileTables(p: ProfileSummary): string {
  const lines = [`Busy ${p.busyMs} ms of ${p.sampledMs} ms sampled.`, '', '| self % | self ms | function | where | area |', '|---:|---:|---|---|---|'];
  for (const t of p.top.slice(0, 15)) lines.push(`| ${t.selfPct} | ${t.selfMs} | ${t.fn} | ${t.where} | ${t.area} |`);
  lines.push('', '| area | self % |', '|---|---:|');
  for (const a of p.areas.slice(0, 10)) lines.push(`| ${a.area} | ${a.selfPct} |`);
  lines.push('', '| jobfleet step (inclusive) | % of busy |', '|---|---:|');
  for (const i of p.inclusive.slice(0, 12)) lines.push(`| ${i.fn} | ${i.totalPct} |`);
  return lines.join('\n');
}

export function markdownReport(file: string): string {
  const r = JSON.parse(readFileSync(file, 'utf8')) as Results;
  const out: string[] = [];
  out.push(`## Results (${r.mode}, ${r.date}, ${r.durationS} s${r.experiments?.length ? `, experiments ${r.experiments.join(', ')}` : ''})`, '', resultsTable(r.rows), '');
  const o = r.results.overhead;
  if (o) {
    for (const c of [o.sequential, o.parallel]) {
      out.push(`### Overhead, parallelism ${c.parallelism}: rounds`, '', `jobfleet ms: ${c.jobfleetMs.join(', ')}; raw ms: ${c.rawMs.join(', ')}; paired ratios: ${c.roundRatios.join(', ')}`, '');
      if (c.parallelism === 1) {
        const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
        const jf = mean(c.jobfleetMs) / c.pods - dockerMsPerPod(c.dockerPerPod.jobfleet);
        const raw = mean(c.rawMs) / c.pods - dockerMsPerPod(c.dockerPerPod.raw);
        out.push(`Mean wall time per pod not spent in a Docker call (same rounds as the Docker sums): jobfleet ${fmt(jf, 1)} ms, raw ${fmt(raw, 1)} ms.`, '');
      }
      out.push(dockerTable(c), '');
    }
  }
  const t = r.results.throughput;
  if (t) {
    out.push('### Control plane: Redis commands per pod (INFO commandstats)', '', commandsTable(t), '');
    out.push('### Control plane: client-side Redis traffic per pod', '', bytesTable(t), '');
    const keys = ['bytesToRedis', 'bytesFromRedis', 'roundTrips', 'nodeCpuMs', 'redisCpuMs', 'syncs', 'syncJobCalls', 'podsReadPerSync', 'commits', 'commitConflicts', 'scheduleSyncCalls'];
    out.push('| per pod | jobfleet | raw BullMQ job |', '|---|---:|---:|');
    for (const k of keys) out.push(`| ${k} | ${t.perPod[k] ?? '–'} | ${t.perRawJob[k] ?? '–'} |`);
    out.push('');
    if (t.profile) out.push(`### Control plane: CPU profile of one run (${t.profile.podsPerSecondUnderProfiler} pods/s under the profiler)`, '', profileTables(t.profile.summary), '');
  }
  const s = r.results.scale;
  if (s) out.push(`### Scale: Redis memory by key class (${s.pods} pods)`, '', memoryTable(s), '', '```json', JSON.stringify(s.latency, null, 1), '```', '');
  if (r.results.many) out.push('### Many Jobs', '', '```json', JSON.stringify(r.results.many, null, 1), '```', '');
  return out.join('\n');
}
