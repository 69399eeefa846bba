/** Roles as separate OS processes, for tests that kill one with SIGKILL mid-run. */
import { spawn, type ChildProcess } from 'node:child_process';

export interface RoleProcess {
  child: ChildProcess;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts `startJanitor(options)` or `startWorker(options)` in a new Node process and waits until it runs. */
export async function startRoleProcess(role: 'janitor' | 'worker', options: Record<string, unknown>): Promise<RoleProcess> {
  const fn = role === 'janitor' ? 'startJanitor' : 'startWorker';
  const script = `import('@jobfleet/${role}').then(async (m) => { await m.${fn}(${JSON.stringify(options)}); console.log('ready'); })`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), stdio: ['ignore', 'pipe', 'inherit'], env: process.env });
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    child.once('exit', (code) => reject(new Error(`${role} process exited with ${code} before it was ready`)));
  });
  return {
    child,
    kill: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
