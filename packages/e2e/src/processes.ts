/** Roles as separate OS processes, for tests that kill one with SIGKILL mid-run. */
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll } from 'vitest';

const started = new Set<ChildProcess>();

// Whatever a test left running (it failed half-way) is killed with the file's tests.
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export interface RoleProcess {
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** The last lines the role logged (info and above, text format; at most LOG_TAIL_BYTES), for a failed test's message. */
  logTail(): string;
}

/** What a role process's log keeps for logTail(). */
const LOG_TAIL_BYTES = 32 * 1024;

const START = { api: 'startApi', janitor: 'startJanitor', worker: 'startWorker' } as const;

/**
 * Starts a role (`startApi`, `startJanitor` or `startWorker` with `options` over the settings the CLI
 * reads from the environment) in a new Node process and waits until it runs. SIGTERM closes it gracefully, SIGKILL kills it mid-work.
 */
export async function startRoleProcess(role: keyof typeof START, options: Record<string, unknown>): Promise<RoleProcess> {
  const script = [
    `const m = await import('@jobfleet/${role}');`,
    // The settings from the environment, as the CLI passes them (the libraries read none).
    `const { roleOptionsFromEnv } = await import('@jobfleet/cli');`,
    `const { createLogger } = await import('@jobfleet/controllers');`,
    `const logger = createLogger({ level: 'info', format: 'text' });`,
    `const running = await m.${START[role]}({ ...roleOptionsFromEnv('${role}'), logger, ...${JSON.stringify(options)} });`,
    `process.on('SIGTERM', async () => { await running.close(); process.exit(0); });`,
    `console.log('ready');`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  started.add(child);
  let log = '';
  child.stderr?.on('data', (d: Buffer) => {
    log = (log + d.toString()).slice(-LOG_TAIL_BYTES);
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${role} process exited with ${code} before it was ready`)));
  });
  return {
    child,
    logTail: () => log,
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
