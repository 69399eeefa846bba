import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { CONTROLLER_UID_LABEL, finishedCondition, JobFailedError, JobfleetClient } from '@jobfleet/client';
import { AlreadyExistsError, humanDuration, type Job, type Pod } from '@jobfleet/kube';
import type { Command } from 'commander';
import { clientOptions, serverChosen } from '../context.js';
import { formatDuration } from '../duration.js';
import { InterruptedError, UsageError } from '../errors.js';
import { lastPodCause } from '../failure-cause.js';
import { readJobs } from '../manifests.js';
import { durationArgument } from '../options.js';
import { validateOption, type ValidationMode } from '../strict-fields.js';
import { PodLogFollower } from '../pod-logs.js';
import { completionTarget, createJobProgress } from '../progress.js';
import { EMBEDDED_DATA_DIR, ShutdownStack, startSystem } from '../system.js';

interface RunOptions {
  filename: string;
  validate: ValidationMode;
  timeout?: number;
  logs: boolean;
}

/** How long the logs of finished pods may take to drain after the Job finished. */
const LOG_DRAIN_TIMEOUT_MS = 10_000;

export function registerRun(program: Command): void {
  program
    .command('run')
    .description("submit a Job and follow it: progress on stderr, the pods' logs on stdout; exit 0 when it completes, 1 when it fails")
    .requiredOption('-f, --filename <file>', 'manifest holding one Job, or - for stdin')
    .option('--timeout <duration>', 'stop waiting after this long (30s, 2m, 1h); the Job keeps running', durationArgument)
    .option('--no-logs', "do not stream the pods' logs")
    .addOption(validateOption())
    .addHelpText(
      'after',
      `\nWithout --server or JOBFLEET_SERVER, and with no jobfleet API at the default address, run starts an\nembedded jobfleet (API, worker, janitor and Redis with its data in ${EMBEDDED_DATA_DIR}/, locked) for the duration of the run;\nCtrl-C stops it all, pods included, within seconds.`,
    )
    .action(async (options: RunOptions, command: Command) => run(options, command));
}

async function run(options: RunOptions, command: Command): Promise<void> {
  const manifest = await readSingleJob(options.filename, options.validate);
  const interrupt = new AbortController();
  const onSignal = () => interrupt.abort(new InterruptedError('interrupted'));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  const stack = new ShutdownStack();
  try {
    const client = await connect(command, stack);
    interrupt.signal.throwIfAborted(); // Ctrl-C while the embedded system started: submit nothing
    const job = await submit(client, manifest);
    const finished = await follow(client, job, options, interrupt.signal, stack);
    await reportFinished(client, finished);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    for (const error of await stack.closeAll()) process.stderr.write(`warning: ${error.message}\n`);
  }
}

async function readSingleJob(file: string, validate: ValidationMode): Promise<Job> {
  const jobs = await readJobs(file, validate);
  const [job] = jobs;
  if (!job || jobs.length > 1) throw new UsageError(`run takes exactly one Job, but ${file} holds ${jobs.length}; use jobfleet apply for several`);
  return job;
}

/** How long `run` waits for the default address to say whether it is a jobfleet API. */
const PROBE_TIMEOUT_MS = 3_000;

/**
 * The configured server; or, when none was chosen and no jobfleet API answers at the default address,
 * an embedded one. Whatever else listens there (another program on port 8080) is not followed: the
 * Job's manifest, and the token, would go to it.
 */
async function connect(command: Command, stack: ShutdownStack): Promise<JobfleetClient> {
  const options = clientOptions(command);
  if (serverChosen(command)) return new JobfleetClient(options);
  const found = await probeJobfleet(options.server ?? '');
  if (found === true) return new JobfleetClient(options);
  if (found !== false) process.stderr.write(`${options.server} answers but is not a jobfleet API (${found}): not using it\n`);
  process.stderr.write(`Starting an embedded jobfleet (Redis data in ${EMBEDDED_DATA_DIR}/) …\n`);
  const dataDir = resolve(EMBEDDED_DATA_DIR);
  const system = await startSystem({ dataDir, port: 0, host: '127.0.0.1', nodeName: embeddedNodeName(dataDir), drainTimeoutMs: 0, ephemeralNode: true }, stack);
  return new JobfleetClient({ ...options, server: system.apiUrl });
}

/**
 * Whether a jobfleet API answers at `server`: its /version (open to all, as Kubernetes') says
 * `compiler: jobfleet`. true, false when nothing answers, else what answered instead.
 */
export async function probeJobfleet(server: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean | string> {
  let response: Response;
  try {
    response = await fetch(new URL('/version', server), { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual', headers: { accept: 'application/json' } });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return `no answer to GET /version within ${timeoutMs / 1000} s`;
    const code = ((error as Error).cause as NodeJS.ErrnoException | undefined)?.code;
    return code === 'ECONNREFUSED' ? false : `GET /version: ${((error as Error).cause as Error | undefined)?.message ?? (error as Error).message}`;
  }
  const body = await response.text().catch(() => '');
  return isJobfleetVersion(response.status, body) || `GET /version: HTTP ${response.status}`;
}

/** A jobfleet API's /version: 200 with the JSON of a Kubernetes version.Info whose compiler is jobfleet. */
export function isJobfleetVersion(status: number, body: string): boolean {
  if (status !== 200 || body.length > 65_536) return false;
  try {
    const info = JSON.parse(body) as { compiler?: unknown; gitVersion?: unknown };
    return info.compiler === 'jobfleet' && typeof info.gitVersion === 'string';
  } catch {
    return false;
  }
}

/**
 * The embedded worker's node name: one per data folder on this host. The folder is locked, so no other
 * live `run` or `up` shares it (a worker starts by removing the containers labelled with its node name,
 * so a shared one would kill another's pods); and a run that was killed outright leaves pods and
 * containers that the next run in the same folder cleans up at its start.
 */
function embeddedNodeName(dataDir: string): string {
  return `${hostname()}-run-${createHash('sha256').update(dataDir).digest('hex').slice(0, 8)}`;
}

/**
 * Creates the Job. An unfinished one with that name is followed instead; a finished one (from an
 * earlier run) is deleted first, so running the same manifest again runs it again.
 */
async function submit(client: JobfleetClient, manifest: Job): Promise<Job> {
  const name = manifest.metadata.name ?? '';
  const options = manifest.metadata.namespace ? { namespace: manifest.metadata.namespace } : {};
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const created = await client.createJob(manifest);
      process.stderr.write(`job.batch/${name} created\n`);
      return created;
    } catch (error) {
      if (!(error instanceof AlreadyExistsError)) throw error;
    }
    const existing = await client.getJob(name, options);
    const finished = finishedCondition(existing);
    if (!finished) break;
    await client.deleteJob(name, options);
    process.stderr.write(`job.batch/${name} from an earlier run (${finished.type}) deleted\n`);
  }
  const existing = await client.getJob(name, options);
  process.stderr.write(`job.batch/${name} already exists and is still running; following it\n`);
  return existing;
}

/** Watches the Job to its end while showing progress and streaming logs; resolves with the finished Job. */
async function follow(client: JobfleetClient, job: Job, options: RunOptions, interrupt: AbortSignal, stack: ShutdownStack): Promise<Job> {
  const name = job.metadata.name ?? '';
  const namespace = job.metadata.namespace;
  const timeout = options.timeout === undefined ? undefined : AbortSignal.timeout(options.timeout);
  const signal = AbortSignal.any(timeout ? [interrupt, timeout] : [interrupt]);
  const progress = createJobProgress(job);
  const logs = options.logs ? podLogFollower(client, job, (line) => progress.writeLog(line)) : undefined;
  logs?.start();
  try {
    for await (const state of client.watchJob(name, { signal, ...(namespace ? { namespace } : {}) })) {
      progress.update(state);
      void logs?.refresh().catch(() => undefined);
      if (!finishedCondition(state)) continue;
      await logs?.finish(LOG_DRAIN_TIMEOUT_MS);
      return state;
    }
    throw new Error(`job.batch/${name} was deleted before it finished`);
  } catch (error) {
    if (interrupt.aborted) throw new InterruptedError(interruptedMessage(name, stack));
    if (timeout?.aborted) throw new Error(`timed out after ${formatDuration(options.timeout ?? 0)} waiting for job.batch/${name} to finish`);
    throw error;
  } finally {
    logs?.stop();
    progress.stop();
  }
}

function podLogFollower(client: JobfleetClient, job: Job, writeLine: (line: string) => void): PodLogFollower {
  const listPods = (signal: AbortSignal) => jobPods(client, job, signal);
  const sink = { writeLine, warn: (message: string) => process.stderr.write(`warning: ${message}\n`) };
  return new PodLogFollower(client, listPods, sink, { prefix: mayRunSeveralPods(job) });
}

/** Several pods at once or one after another (completions or parallelism above 1); retries of a single pod don't count. */
export function mayRunSeveralPods(job: Job): boolean {
  return (job.spec.completions ?? 1) > 1 || (job.spec.parallelism ?? 1) > 1;
}

function interruptedMessage(name: string, stack: ShutdownStack): string {
  return stack.isEmpty() ? `interrupted; job.batch/${name} keeps running on the server` : `interrupted; the embedded jobfleet stops with job.batch/${name} unfinished`;
}

/**
 * Complete: a summary line on stderr. Failed: JobFailedError (reason and message), exit code 1, its line
 * naming what the last failed pod says went wrong (the Job's reason alone, BackoffLimitExceeded, says
 * nothing a user can act on).
 */
async function reportFinished(client: JobfleetClient, job: Job): Promise<void> {
  const condition = finishedCondition(job);
  if (condition?.type !== 'Failed') {
    process.stderr.write(`${completionSummary(job)}\n`);
    return;
  }
  const failed = new JobFailedError(job, condition);
  // Bounded in time: the Job has finished, the answer is only a hint.
  const cause = await jobPods(client, job, AbortSignal.timeout(POD_CAUSE_TIMEOUT_MS)).then(lastPodCause, () => undefined);
  if (cause) failed.message = `${failed.message}; ${cause}`;
  throw failed;
}

/** The Job's pods: those of its uid (the controller-uid label), else of its name. */
function jobPods(client: JobfleetClient, job: Job, signal: AbortSignal): Promise<Pod[]> {
  const uid = job.metadata.uid;
  const selector = uid ? { labelSelector: `${CONTROLLER_UID_LABEL}=${uid}` } : { jobName: job.metadata.name ?? '' };
  const namespace = job.metadata.namespace ? { namespace: job.metadata.namespace } : {};
  return client.listPods({ ...selector, ...namespace, signal });
}

const POD_CAUSE_TIMEOUT_MS = 5_000;

/** `job.batch/NAME complete: 5/5 succeeded in 3s` */
export function completionSummary(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const { startTime, completionTime } = job.status ?? {};
  const took = startTime && completionTime ? ` in ${humanDuration(Date.parse(completionTime) - Date.parse(startTime))}` : '';
  return `job.batch/${job.metadata.name ?? ''} complete: ${succeeded}/${completionTarget(job)} succeeded${took}`;
}
