/**
 * The commands `up`'s banner suggests: they must work as printed, pasted into another terminal
 * (bash or zsh): the server in JOBFLEET_SERVER (and its CA), the CLI named as it was started.
 */
import { existsSync, realpathSync } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';

export interface TryOptions {
  apiUrl: string;
  /** --tls-cert-file: a self-signed certificate is its own CA. */
  caFile?: string;
  /** The API requires a token (not printed: the user has it). */
  token?: boolean;
  /** How to run this CLI from a shell (cliInvocation()). */
  cli: string;
  /** A manifest to run, when one exists where up was started. */
  example?: string;
}

/**
 * The lines after `try:`, each a command to paste. kubectl reads its kubeconfig twice, so
 * `KUBECONFIG=<(jobfleet kubeconfig)` (a pipe, read once) leaves it with no server: a file it is.
 */
export function tryCommands(options: TryOptions): string[] {
  const env = [`JOBFLEET_SERVER=${options.apiUrl}`, ...(options.caFile ? [`JOBFLEET_CA_FILE=${shellQuote(resolve(options.caFile))}`] : []), ...(options.token ? ['JOBFLEET_TOKEN=<the token>'] : [])];
  return [`export ${env.join(' ')}`, ...(options.example ? [`${options.cli} run -f ${shellQuote(options.example)}`] : []), `${options.cli} get jobs`, `mkdir -p ~/.kube && ${options.cli} kubeconfig > ~/.kube/jobfleet && kubectl --kubeconfig ~/.kube/jobfleet get jobs`];
}

/** The example the README starts from, if it is here. */
export function localExample(): string | undefined {
  const example = join('examples', 'echo-job.yaml');
  return existsSync(example) ? example : undefined;
}

/**
 * How a shell runs this CLI: `jobfleet` when that name on PATH is this very program, `npx jobfleet`
 * when npx started it, else node with the script's path.
 */
export function cliInvocation(env: NodeJS.ProcessEnv = process.env, script = process.argv[1] ?? ''): string {
  const self = realpathOrUndefined(script);
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && self !== undefined && realpathOrUndefined(join(dir, 'jobfleet')) === self) return 'jobfleet';
  }
  if (env.npm_command === 'exec') return 'npx jobfleet';
  return `${shellQuote(process.execPath)} ${shellQuote(resolve(script))}`;
}

function realpathOrUndefined(path: string): string | undefined {
  try {
    return realpathSync(path);
  } catch {
    return undefined;
  }
}

export function shellQuote(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
