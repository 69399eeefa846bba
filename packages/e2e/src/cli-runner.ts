/** The real `jobfleet` command (packages/cli/bin/jobfleet.js, the built CLI) as the tests run it. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = `${REPO}packages/cli/bin/jobfleet.js`;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** Written to its stdin (then closed). */
  input?: string;
  /** Default: the repository's folder. */
  cwd?: string;
  /** Added to (undefined: removed from) the environment. */
  env?: Record<string, string | undefined>;
  timeoutMs?: number;
}

/** jobfleet ARGS with none of this shell's JOBFLEET_* connection settings, from the repository's folder. */
export function runJobfleet(args: string[], options: CliRunOptions = {}): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env, JOBFLEET_SERVER: undefined, JOBFLEET_TOKEN: undefined, JOBFLEET_CA_FILE: undefined, ...options.env };
  for (const key of Object.keys(env)) if (env[key] === undefined) delete env[key];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? REPO, env, timeout: options.timeoutMs ?? 90_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** A table's lines as cells (columns are 3+ spaces apart; cells hold at most single spaces). */
export function tableRows(text: string): string[][] {
  return text
    .trimEnd()
    .split('\n')
    .map((line) => line.trim().split(/\s{2,}/));
}
