/**
 * The real `jobfleet` command (packages/cli/bin/jobfleet.js running the built CLI) as child processes,
 * for the hostile tests of the embedded system, Redis AUTH/TLS and tokens. Each process is started in
 * its own process group (as a shell starts a foreground job), so that a test can signal the group as a
 * terminal's Ctrl-C does; whatever a failed test leaves running is killed with the file.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Docker from 'dockerode';
import { afterAll } from 'vitest';

export const REPO = fileURLToPath(new URL('../../../../', import.meta.url));
export const BIN = join(REPO, 'packages/cli/bin/jobfleet.js');
const started = new Set<ChildProcess>();
afterAll(() => {
  for (const child of started) killGroup(child, 'SIGKILL');
});

export interface JobfleetProcess {
  child: ChildProcess;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal) and signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout or stderr matches `pattern` (rejects if the process exits first). */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
}

export interface StartOptions {
  cwd?: string;
  env?: Record<string, string | undefined>;
  input?: string;
}

/** The environment without this shell's jobfleet and Redis settings, plus `extra` (undefined removes). */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string | undefined> = {
    ...process.env,
    JOBFLEET_SERVER: undefined,
    JOBFLEET_TOKEN: undefined,
    JOBFLEET_CA_FILE: undefined,
    REDIS_URL: undefined,
    REDIS_PASSWORD: undefined,
    REDIS_USERNAME: undefined,
    REDIS_CA_FILE: undefined,
    ...extra,
  };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return env as Record<string, string>;
}

/** Starts `jobfleet ARGS` in a new process group. */
export function startJobfleet(args: string[], options: StartOptions = {}): JobfleetProcess {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env: cleanEnv(options.env), detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
  started.add(child);
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((w) => w());
  child.stdout?.on('data', (d: Buffer) => ((stdout += d.toString()), notify()));
  child.stderr?.on('data', (d: Buffer) => ((stderr += d.toString()), notify()));
  child.stdin?.end(options.input ?? '');
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      resolve({ code, signal });
      notify();
    });
  });
  const waitFor = (pattern: RegExp, timeoutMs = 60_000) =>
    new Promise<RegExpExecArray>((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no ${pattern} within ${timeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`)), timeoutMs);
      const check = () => {
        const match = pattern.exec(stdout) ?? pattern.exec(stderr);
        if (match) return done(undefined, match);
        if (child.exitCode !== null || child.signalCode !== null) done(new Error(`jobfleet ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}) before ${pattern}; stdout: ${stdout}; stderr: ${stderr}`));
      };
      const done = (error?: Error, match?: RegExpExecArray) => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve(match as RegExpExecArray);
      };
      waiters.add(check);
      check();
    });
  return { child, pid: child.pid ?? 0, stdout: () => stdout, stderr: () => stderr, exited, waitFor };
}

/** Runs `jobfleet ARGS` to its end. */
export async function jobfleet(args: string[], options: StartOptions & { timeoutMs?: number } = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startJobfleet(args, options);
  const timer = setTimeout(() => killGroup(p.child, 'SIGKILL'), options.timeoutMs ?? 90_000);
  const { code } = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/** Signals the child's whole process group (as a terminal's Ctrl-C does for SIGINT). */
export function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    // gone already
  }
}

/** Whether any process of the group still exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * The pids of redis-server processes working in `dataDir`: redis-server changes into its --dir and
 * retitles itself "redis-server HOST:PORT", so the working directory is what names its data.
 */
export function redisServersUsing(dataDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').startsWith('redis-server') && readlinkSync(`/proc/${entry}/cwd`) === dataDir) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

export const docker = new Docker();

/** The containers (any state) jobfleet made for the pods of the Job named `jobName` (a name unique to the test). */
export async function containersOfJob(jobName: string): Promise<Docker.ContainerInfo[]> {
  return docker.listContainers({ all: true, filters: { label: [`io.jobfleet.job=${jobName}`] } });
}

/** Removes what a test's Job left (a test that SIGKILLs a worker leaves its containers, by design). */
export async function removeContainersOfJob(jobName: string): Promise<void> {
  for (const c of await containersOfJob(jobName)) await docker.getContainer(c.Id).remove({ force: true, v: true }).catch(() => undefined);
}

/** Polls `check` every 100 ms until it is true or `timeoutMs` passed; resolves with how long it took (ms), or -1. */
export async function within(timeoutMs: number, check: () => boolean | Promise<boolean>): Promise<number> {
  const start = Date.now();
  while (Date.now() - start < timeoutMs) {
    if (await check()) return Date.now() - start;
    await new Promise((r) => setTimeout(r, 100));
  }
  return (await check()) ? Date.now() - start : -1;
}

/** A Job whose one pod prints `start`, then sleeps `seconds` (busybox `sleep` as PID 1 ignores SIGTERM). */
export function sleepingJob(name: string, seconds = 300): string {
  return [
    'apiVersion: batch/v1',
    'kind: Job',
    `metadata: {name: ${name}}`,
    'spec:',
    '  backoffLimit: 0',
    '  template:',
    '    spec:',
    '      restartPolicy: Never',
    `      containers: [{name: main, image: busybox, command: [sh, -c, "echo start; exec sleep ${seconds}"]}]`,
    '',
  ].join('\n');
}

/** A Job whose one pod prints `done` and exits 0. */
export function quickJob(name: string): string {
  return sleepingJob(name, 0).replace('echo start; exec sleep 0', 'echo done');
}
