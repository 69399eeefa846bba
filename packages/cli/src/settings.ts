/**
 * The roles' settings from the environment: the one place a role's library settings are read from
 * `process.env` (the libraries take them as typed options). A variable left unset leaves the
 * library's default, so each default is written once, where it is used.
 */
import type { ApiOptions } from '@jobfleet/api';
import type { LogFormat, LogLevel } from '@jobfleet/controllers';
import type { JanitorOptions } from '@jobfleet/janitor';
import { KUBERNETES_DELAYS, type Delays } from '@jobfleet/kube';
import type { WorkerNodeOptions } from '@jobfleet/worker';

type Env = Record<string, string | undefined>;

export interface RoleSettings {
  /** JOBFLEET_REDIS_PREFIX: the prefix of every key (default "jf"). */
  prefix?: string;
  /** JOBFLEET_MAX_OBJECT_BYTES, JOBFLEET_CHANGES_MAX_BYTES: every role of a fleet must agree. */
  limits: { maxObjectBytes?: number; changesMaxBytes?: number };
  /** JOBFLEET_POD_BACKOFF_BASE_MS, …_MAX_MS, JOBFLEET_RESTART_BACKOFF_BASE_MS, …_MAX_MS over Kubernetes' values. */
  delays: Delays;
  /** JOBFLEET_NODE_GRACE_MS, JOBFLEET_POD_EVICTION_MS. */
  nodeTimings: { graceMs?: number; evictionMs?: number };
  /** JOBFLEET_WATCH_BUFFER_BYTES (the API). */
  watchBufferBytes?: number;
  /** JOBFLEET_CRONJOB_POLL_MS: how often the CronJob controller (API and janitor) checks its schedule. */
  cronJobPollMs?: number;
}

const ENV_NAMES: Record<keyof Delays, string> = {
  podFailureBackoffBaseMs: 'JOBFLEET_POD_BACKOFF_BASE_MS',
  podFailureBackoffMaxMs: 'JOBFLEET_POD_BACKOFF_MAX_MS',
  containerRestartBackoffBaseMs: 'JOBFLEET_RESTART_BACKOFF_BASE_MS',
  containerRestartBackoffMaxMs: 'JOBFLEET_RESTART_BACKOFF_MAX_MS',
};

/** Kubernetes' delays, overridden by JOBFLEET_*_MS environment variables where set. */
export function delaysFromEnv(env: Env = process.env): Delays {
  const out = { ...KUBERNETES_DELAYS };
  for (const key of Object.keys(ENV_NAMES) as (keyof Delays)[]) {
    const raw = env[ENV_NAMES[key]];
    if (raw === undefined || raw === '') continue;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0) throw new Error(`${ENV_NAMES[key]} must be a number of milliseconds ≥ 0, got "${raw}"`);
    out[key] = value;
  }
  return out;
}

/** A positive integer from the environment, or undefined when unset; anything else stops the role. */
export function positiveIntFromEnv(name: string, env: Env): number | undefined {
  const raw = env[name]?.trim();
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer, got "${env[name]}"`);
  return n;
}

/** A number of milliseconds ≥ 0 from the environment, or undefined when unset. */
function millisFromEnv(name: string, env: Env): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number of milliseconds ≥ 0, got "${raw}"`);
  return n;
}

/** Leaves out the fields that are undefined (so that a library's default applies to them). */
function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export function roleSettings(env: Env = process.env): RoleSettings {
  const prefix = env.JOBFLEET_REDIS_PREFIX?.trim() || undefined;
  return defined({
    prefix,
    limits: defined({ maxObjectBytes: positiveIntFromEnv('JOBFLEET_MAX_OBJECT_BYTES', env), changesMaxBytes: positiveIntFromEnv('JOBFLEET_CHANGES_MAX_BYTES', env) }),
    delays: delaysFromEnv(env),
    nodeTimings: defined({ graceMs: millisFromEnv('JOBFLEET_NODE_GRACE_MS', env), evictionMs: millisFromEnv('JOBFLEET_POD_EVICTION_MS', env) }),
    watchBufferBytes: positiveIntFromEnv('JOBFLEET_WATCH_BUFFER_BYTES', env),
    cronJobPollMs: positiveIntFromEnv('JOBFLEET_CRONJOB_POLL_MS', env),
  });
}

/** A worker's settings from the environment (the node name, address and privileges come from its flags). */
export interface WorkerEnvSettings {
  pauseImage?: string;
  pullTimeoutMs?: number;
  podLogMaxBytes?: number;
  jobLogMaxBytes?: number;
  heartbeatMs?: number;
  drainTimeoutMs?: number;
  dockerTimeoutMs?: number;
  dockerOutageMs?: number;
  eventQps?: number;
  eventBurst?: number;
  nodeIP?: string;
}

/** A number ≥ 0 from the environment, or undefined when unset. */
function nonNegativeFromEnv(name: string, env: Env): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a number ≥ 0, got "${raw}"`);
  return n;
}

/**
 * JOBFLEET_PAUSE_IMAGE, JOBFLEET_PULL_TIMEOUT_MS, JOBFLEET_POD_LOG_MAX_BYTES, JOBFLEET_JOB_LOG_MAX_BYTES,
 * JOBFLEET_HEARTBEAT_MS, JOBFLEET_DRAIN_TIMEOUT_MS, JOBFLEET_DOCKER_TIMEOUT_MS, JOBFLEET_DOCKER_OUTAGE_MS,
 * JOBFLEET_EVENT_QPS, JOBFLEET_EVENT_BURST, JOBFLEET_NODE_IP (unset: the worker's defaults).
 */
export function workerSettingsFromEnv(env: Env = process.env): WorkerEnvSettings {
  return defined({
    pauseImage: env.JOBFLEET_PAUSE_IMAGE || undefined,
    pullTimeoutMs: nonNegativeFromEnv('JOBFLEET_PULL_TIMEOUT_MS', env),
    podLogMaxBytes: nonNegativeFromEnv('JOBFLEET_POD_LOG_MAX_BYTES', env),
    jobLogMaxBytes: nonNegativeFromEnv('JOBFLEET_JOB_LOG_MAX_BYTES', env),
    heartbeatMs: nonNegativeFromEnv('JOBFLEET_HEARTBEAT_MS', env),
    drainTimeoutMs: nonNegativeFromEnv('JOBFLEET_DRAIN_TIMEOUT_MS', env),
    dockerTimeoutMs: nonNegativeFromEnv('JOBFLEET_DOCKER_TIMEOUT_MS', env),
    dockerOutageMs: nonNegativeFromEnv('JOBFLEET_DOCKER_OUTAGE_MS', env),
    eventQps: nonNegativeFromEnv('JOBFLEET_EVENT_QPS', env),
    eventBurst: nonNegativeFromEnv('JOBFLEET_EVENT_BURST', env),
    nodeIP: env.JOBFLEET_NODE_IP || undefined,
  });
}

/** What of each role's options comes from the environment (the rest comes from its flags). */
export interface RoleOptionsFromEnv {
  api: Partial<Pick<ApiOptions, 'prefix' | 'limits' | 'delays' | 'nodeGraceMs' | 'watchBufferBytes' | 'cronJobPollMs'>>;
  worker: WorkerEnvSettings & Partial<Pick<WorkerNodeOptions, 'prefix' | 'limits' | 'delays' | 'nodeTimings'>>;
  janitor: Partial<Pick<JanitorOptions, 'prefix' | 'limits' | 'delays' | 'nodeTimings' | 'cronJobPollMs'>>;
}

/**
 * A role's options from the environment, in the form its start function takes (`startApi`,
 * `startWorker`, `startJanitor`): what `jobfleet api|worker|janitor|up|run` pass, and what the tests
 * that start a role pass, so that every role is configured the one way.
 */
export function roleOptionsFromEnv<R extends keyof RoleOptionsFromEnv>(role: R, env: Env = process.env): RoleOptionsFromEnv[R] {
  const { prefix, limits, delays, nodeTimings, watchBufferBytes, cronJobPollMs } = roleSettings(env);
  const common = defined({ prefix, limits, delays });
  const byRole: { [K in keyof RoleOptionsFromEnv]: () => RoleOptionsFromEnv[K] } = {
    api: () => defined({ ...common, nodeGraceMs: nodeTimings.graceMs, watchBufferBytes, cronJobPollMs }),
    worker: () => ({ ...workerSettingsFromEnv(env), ...common, nodeTimings }),
    janitor: () => defined({ ...common, nodeTimings, cronJobPollMs }),
  };
  return byRole[role]();
}

/** The values --log-level and JOBFLEET_LOG_LEVEL take (pino's levels), and --log-format's. Listed here, not imported: client commands do not load the roles' packages. */
export const LOG_LEVEL_NAMES: readonly LogLevel[] = ['trace', 'debug', 'info', 'warn', 'error', 'silent'];
export const LOG_FORMAT_NAMES: readonly LogFormat[] = ['json', 'text'];

/** JOBFLEET_LOG_LEVEL and JOBFLEET_LOG_FORMAT (unset: the flags' defaults); a value not listed stops the role. */
export function logSettingsFromEnv(env: Env = process.env): { level?: LogLevel; format?: LogFormat } {
  const level = env.JOBFLEET_LOG_LEVEL?.trim().toLowerCase() || undefined;
  const format = env.JOBFLEET_LOG_FORMAT?.trim().toLowerCase() || undefined;
  if (level !== undefined && !(LOG_LEVEL_NAMES as readonly string[]).includes(level)) {
    throw new Error(`JOBFLEET_LOG_LEVEL must be one of ${LOG_LEVEL_NAMES.join(', ')}, got "${env.JOBFLEET_LOG_LEVEL}"`);
  }
  if (format !== undefined && !(LOG_FORMAT_NAMES as readonly string[]).includes(format)) {
    throw new Error(`JOBFLEET_LOG_FORMAT must be json or text, got "${env.JOBFLEET_LOG_FORMAT}"`);
  }
  return defined({ level: level as LogLevel | undefined, format: format as LogFormat | undefined });
}
