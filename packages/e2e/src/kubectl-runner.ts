/** The real kubectl against a fleet, as the tests run it: a fresh HOME (so its discovery cache starts empty) and kubeconfig. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useFleet, type Fleet, type FleetOptions } from './harness.js';

export const KUBECTL = '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface KubectlRunOptions {
  /** Written to kubectl's stdin (closed either way). */
  input?: string;
  /** Added to kubectl's environment. */
  env?: Record<string, string>;
  timeoutMs?: number;
}

export interface Kubectl {
  /** The environment kubectl runs with (fresh HOME, KUBECONFIG), for processes the test spawns itself. */
  env: NodeJS.ProcessEnv;
  run(args: string[], opts?: KubectlRunOptions): Promise<KubectlResult>;
  close(): void;
}

/** kubectl with its own HOME and a kubeconfig pointing at `server` (namespace default); close() removes them. */
export function kubectlAgainst(server: string, dirPrefix = 'jobfleet-kubectl-'): Kubectl {
  const dir = mkdtempSync(join(tmpdir(), dirPrefix));
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'jobfleet', cluster: { server } }],
      users: [{ name: 'jobfleet', user: {} }],
      contexts: [{ name: 'jobfleet', context: { cluster: 'jobfleet', user: 'jobfleet', namespace: 'default' } }],
      'current-context': 'jobfleet',
    }),
  );
  const env = { ...process.env, HOME: dir, KUBECONFIG: config };
  return {
    env,
    run: (args, opts = {}) =>
      new Promise((resolve) => {
        const child = execFile(KUBECTL, args, { env: { ...env, ...opts.env }, timeout: opts.timeoutMs ?? 60_000 }, (error, stdout, stderr) => {
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout: String(stdout), stderr: String(stderr) });
        });
        child.stdin?.end(opts.input ?? '');
      }),
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** One fleet for a file's tests (useFleet) and kubectl against it, both handed to `started`; kubectl's folder goes first. */
export function useFleetWithKubectl(opts: FleetOptions, started: (fleet: Fleet, kubectl: Kubectl) => void, dirPrefix?: string): void {
  useFleet(opts, (fleet) => {
    const k = kubectlAgainst(fleet.api.url, dirPrefix);
    started(fleet, k);
    return () => k.close();
  });
}

/** Runs kubectl and answers its stdout; a non-zero exit throws with its stderr. */
export async function kubectlOk(k: Kubectl, args: string[], opts?: KubectlRunOptions): Promise<string> {
  const result = await k.run(args, opts);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return result.stdout;
}

/** kubectl's tables as rows of cells (columns are padded with 2+ spaces). */
export function tableRows(text: string): string[][] {
  return text
    .trim()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}
