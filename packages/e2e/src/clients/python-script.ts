/**
 * Runs one of the Python client scripts of `python/` (they share `python/steps.py`) against a fleet,
 * with a kubeconfig as `jobfleet kubeconfig` prints it, and reads the one JSON report it prints: a
 * step per call, with its value or the exception it raised, so that one failing step hides no other.
 */
import { execFile, execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kubeconfigYaml } from '@jobfleet/cli';

const PYTHON = '/usr/bin/python3';

/** Whether Debian's python3-kubernetes is installed (`npm run setup` installs it). */
export function hasPythonClient(): boolean {
  try {
    execFileSync(PYTHON, ['-c', 'import kubernetes'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

interface Step {
  ok: boolean;
  value: unknown;
  error?: string;
  trace?: string;
  seconds: number;
}

export interface PythonReport {
  /** The run id the script named its objects with. */
  run: string;
  /** The step's value; a step that raised fails the test with the client's own error and trace. */
  value<T>(name: string): T;
}

/** Runs `python/SCRIPT KUBECONFIG RUN_ID` against the API at `server` and returns its report. */
export async function runPythonScript(script: string, server: string, timeoutMs: number): Promise<PythonReport> {
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-python-'));
  try {
    const kubeconfig = join(dir, 'config');
    writeFileSync(kubeconfig, kubeconfigYaml({ server, namespace: 'default' }));
    const run = randomUUID().slice(0, 6);
    const started = Date.now();
    const path = fileURLToPath(new URL(`./python/${script}`, import.meta.url));
    const stdout = await new Promise<string>((resolve, reject) =>
      execFile(PYTHON, [path, kubeconfig, run], { timeout: timeoutMs, maxBuffer: 16 << 20, env: { ...process.env, HOME: dir } }, (err, out, stderr) =>
        err ? reject(new Error(`${script} failed: ${err.message}\n${stderr}`)) : resolve(out),
      ),
    );
    const steps = JSON.parse(stdout) as Record<string, Step>;
    console.log(`python client (${script}): ${Object.keys(steps).length} steps in ${((Date.now() - started) / 1000).toFixed(1)} s`, Object.fromEntries(Object.entries(steps).map(([k, s]) => [k, s.seconds])));
    return {
      run,
      value<T>(name: string): T {
        const step = steps[name];
        if (!step) throw new Error(`the script reported no step ${name}`);
        if (!step.ok) throw new Error(`${name}: ${step.error}\n${step.trace ?? ''}`);
        return step.value as T;
      },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
