/**
 * CPU profiles of the benchmark process: taken in-process with the inspector around one run, or
 * read from a `node --cpu-prof` file, and summarised as the functions with the most self time.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
export interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  sampledMs: number;
  /** Busy time: everything but (idle) and (program). */
  busyMs: number;
  top: { fn: string; where: string; area: string; selfMs: number; selfPct: number; callers: string[] }[];
  /** Self time by area: a package under node_modules, a jobfleet package, node internals, V8, GC. */
  areas: { area: string; selfMs: number; selfPct: number }[];
  /** Inclusive time of chosen jobfleet functions (recursion counted once). */
  inclusive: { fn: string; totalMs: number; totalPct: number }[];
}

/** Runs fn under the inspector's sampling profiler (in this process). */
export async function profileRun<T>(fn: () => Promise<T>, intervalUs = 200): Promise<{ value: T; profile: CpuProfile }> {
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: intervalUs });
  await session.post('Profiler.start');
  let value: T;
  try {
    value = await fn();
  } catch (err) {
    await session.post('Profiler.stop').catch(() => undefined);
    session.disconnect();
    throw err;
  }
  const { profile } = (await session.post('Profiler.stop')) as unknown as { profile: CpuProfile };
  await session.post('Profiler.disable');
  session.disconnect();
  return { value, profile };
}

export function saveProfile(profile: CpuProfile, file: string): void {
  writeFileSync(file, JSON.stringify(profile));
}

export function loadProfile(file: string): CpuProfile {
  return JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
}

function area(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (!url) {
    if (functionName.startsWith('(')) return functionName; // (garbage collector), (program), (idle), (root)
    return 'V8 builtins (JSON, RegExp, …)';
  }
  if (url.startsWith('node:')) return 'node internals';
  const nm = url.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (nm) return nm[1] as string;
  const pkg = url.match(/packages\/([^/]+)\/(?:dist|src)\//);
  if (pkg) return `@jobfleet/${pkg[1]}`;
  return 'other';
}

function where(frame: CallFrame): string {
  if (!frame.url) return '';
  const short = frame.url.replace(/^file:\/\//, '').replace(/^.*node_modules\//, '').replace(/^.*\/packages\//, 'packages/');
  return `${short}:${frame.lineNumber + 1}`;
}

const fnKey = (f: CallFrame) => `${f.functionName || '(anonymous)'} ${where(f)}`;

/** The default functions whose inclusive time is reported: jobfleet's steps per pod and per sync. */
export const DEFAULT_INCLUSIVE = [
  'syncOnce',
  'plan',
  'act',
  'commit',
  'getPods',
  'getJob',
  'claim',
  'reportStatus',
  'runTask',
  'enqueuePods',
  'scheduleSync',
  'flush',
  'syncJob',
  'processJob',
  'moveToFinished',
  'parseJob',
  'encodeObject',
  'derivePodStatus',
  'JSON.parse',
  'parse',
  'stringify',
];

export function summarize(profile: CpuProfile, opts: { top?: number; inclusive?: string[] } = {}): ProfileSummary {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000));
  let sampledMs = 0;
  let idleMs = 0;
  const byFn = new Map<string, { frame: CallFrame; ms: number; callers: Map<string, number> }>();
  const byArea = new Map<string, number>();
  for (const [id, ms] of self) {
    const node = byId.get(id);
    if (!node) continue;
    sampledMs += ms;
    if (node.callFrame.functionName === '(idle)' || node.callFrame.functionName === '(program)') idleMs += ms;
    const key = fnKey(node.callFrame);
    const entry = byFn.get(key) ?? { frame: node.callFrame, ms: 0, callers: new Map<string, number>() };
    entry.ms += ms;
    const p = byId.get(parent.get(id) ?? -1);
    if (p) {
      const ck = `${p.callFrame.functionName || '(anonymous)'} ${where(p.callFrame)}`;
      entry.callers.set(ck, (entry.callers.get(ck) ?? 0) + ms);
    }
    byFn.set(key, entry);
    const a = area(node.callFrame);
    byArea.set(a, (byArea.get(a) ?? 0) + ms);
  }
  const busyMs = sampledMs - idleMs;
  const pct = (ms: number) => Math.round((1000 * ms) / Math.max(busyMs, 1e-9)) / 10;
  const top = [...byFn.values()]
    .filter((e) => e.frame.functionName !== '(idle)' && e.frame.functionName !== '(program)')
    .sort((a, b) => b.ms - a.ms)
    .slice(0, opts.top ?? 25)
    .map((e) => ({
      fn: e.frame.functionName || '(anonymous)',
      where: where(e.frame),
      area: area(e.frame),
      selfMs: Math.round(e.ms),
      selfPct: pct(e.ms),
      callers: [...e.callers.entries()]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 2)
        .map(([k, ms]) => `${k} (${Math.round(ms)} ms)`),
    }));
  const areas = [...byArea.entries()]
    .filter(([a]) => a !== '(idle)' && a !== '(program)')
    .sort((a, b) => b[1] - a[1])
    .map(([a, ms]) => ({ area: a, selfMs: Math.round(ms), selfPct: pct(ms) }));

  // Inclusive time: a node's subtree self time, counted once per function on a path.
  const wanted = new Set(opts.inclusive ?? DEFAULT_INCLUSIVE);
  const subtree = new Map<number, number>();
  const total = (id: number): number => {
    const known = subtree.get(id);
    if (known !== undefined) return known;
    const n = byId.get(id);
    let t = self.get(id) ?? 0;
    for (const c of n?.children ?? []) t += total(c);
    subtree.set(id, t);
    return t;
  };
  const inclusive = new Map<string, number>();
  const root = profile.nodes[0];
  const walk = (id: number, open: Set<string>) => {
    const n = byId.get(id);
    if (!n) return;
    const name = n.callFrame.functionName;
    const counted = wanted.has(name) && !open.has(name);
    if (counted) inclusive.set(name, (inclusive.get(name) ?? 0) + total(id));
    if (counted) open.add(name);
    for (const c of n.children ?? []) walk(c, open);
    if (counted) open.delete(name);
  };
  if (root) walk(root.id, new Set());
  return {
    sampledMs: Math.round(sampledMs),
    busyMs: Math.round(busyMs),
    top,
    areas,
    inclusive: [...inclusive.entries()].sort((a, b) => b[1] - a[1]).map(([fn, ms]) => ({ fn, totalMs: Math.round(ms), totalPct: pct(ms) })),
  };
}

export function formatSummary(s: ProfileSummary): string {
  const lines = [`busy ${s.busyMs} ms of ${s.sampledMs} ms sampled`, '', 'top self time:'];
  for (const t of s.top) lines.push(`  ${String(t.selfPct).padStart(5)}%  ${String(t.selfMs).padStart(6)} ms  ${t.fn}  ${t.where}  [${t.area}]  ← ${t.callers.join('; ')}`);
  lines.push('', 'self time by area:');
  for (const a of s.areas) lines.push(`  ${String(a.selfPct).padStart(5)}%  ${String(a.selfMs).padStart(6)} ms  ${a.area}`);
  lines.push('', 'inclusive time:');
  for (const i of s.inclusive) lines.push(`  ${String(i.totalPct).padStart(5)}%  ${String(i.totalMs).padStart(6)} ms  ${i.fn}`);
  return lines.join('\n');
}
