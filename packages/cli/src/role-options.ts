/** Options shared by the commands that run jobfleet roles (up, api, worker, janitor). */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Logger, LogFormat, LogLevel } from '@jobfleet/controllers';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { globalOptions, readPem } from './context.js';
import { UsageError } from './errors.js';
import { nonNegativeInteger, portNumber } from './options.js';
import { redisSettings, redisWarning, type RedisFlags, type RedisSettings } from './redis-settings.js';
import { LOG_FORMAT_NAMES, LOG_LEVEL_NAMES, logSettingsFromEnv } from './settings.js';
import { DEFAULT_MAX_PODS, type TlsFiles } from './system.js';

export function nodeNameOption(): Option {
  return new Option('--node-name <name>', 'name of this worker node').env('JOBFLEET_NODE_NAME').default(hostname(), 'the host name');
}

/** --allow-privileged for the API (api, up: accept such Jobs) and the worker (worker, up: run such pods). */
export function allowPrivilegedOption(role: 'api' | 'worker' | 'up'): Option {
  const what = { api: 'accept Jobs with', worker: 'run', up: 'accept and run' }[role];
  return new Option(
    '--allow-privileged',
    `${what} privileged pods: privileged containers, added capabilities, hostNetwork/hostPID/hostIPC, hostPath volumes (also JOBFLEET_ALLOW_PRIVILEGED=true)`,
  );
}

/**
 * --allow-privileged, else JOBFLEET_ALLOW_PRIVILEGED ("true"/"1", "false"/"0" or unset; anything else
 * is a mistake worth stopping for: a typo must not open or close this door silently).
 */
export function allowPrivileged(flag: boolean | undefined, env: Record<string, string | undefined> = process.env): boolean {
  if (flag) return true;
  const raw = (env.JOBFLEET_ALLOW_PRIVILEGED ?? '').trim().toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0' || raw === '') return false;
  throw new UsageError(`JOBFLEET_ALLOW_PRIVILEGED must be "true" or "false", got "${env.JOBFLEET_ALLOW_PRIVILEGED}"`);
}

/**
 * The Redis settings of a role command (files read), after printing the one warning line about a
 * Redis reachable from other hosts without a password. Undefined without a URL (`up`: embedded).
 */
export function roleRedis(flags: RedisFlags): RedisSettings | undefined {
  const settings = redisSettings(flags);
  const warning = settings && redisWarning(settings);
  if (warning) process.stderr.write(`${warning}\n`);
  return settings;
}

/** --node-ip: the address the worker reports as its pods' hostIP (the kubelet's --node-ip). */
export function nodeIpOption(): Option {
  return new Option('--node-ip <ip>', "this node's address, reported as its pods' status.hostIP and the Node's InternalIP (default: the address of the default route)")
    .env('JOBFLEET_NODE_IP')
    .argParser((value: string) => {
      if (isIP(value.trim()) === 0) throw new UsageError(`--node-ip must be an IPv4 or IPv6 address, got "${value}"`);
      return value.trim();
    });
}

/** --cronjob-poll-ms (api, janitor, up): overrides JOBFLEET_CRONJOB_POLL_MS. */
export function cronJobPollOption(): Option {
  return new Option('--cronjob-poll-ms <ms>', 'how often the CronJob controller checks its schedule, ms (default 1000; also JOBFLEET_CRONJOB_POLL_MS)').argParser((value: string) => {
    if (!/^\d+$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('must be a positive integer.');
    return Number(value);
  });
}

export function maxPodsOption(): Option {
  return new Option('--max-pods <n>', 'most pods this node runs at once').argParser(nonNegativeInteger).default(DEFAULT_MAX_PODS);
}

/**
 * --metrics-port (worker, janitor, up), or JOBFLEET_METRICS_PORT; unset, the role serves no metrics
 * (the API serves its own at /metrics). Read by these commands only: `run`'s embedded roles and
 * `up`'s janitor serve none whatever the environment says.
 */
export function metricsPortOption(): Option {
  return new Option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port (default: none)').env('JOBFLEET_METRICS_PORT').argParser(portNumber);
}

/** Where and how the API listens (api and up). */
export interface ListenOptions {
  port: number;
  host: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
}

/** --port, --host, and --tls-cert-file with --tls-private-key-file (kube-apiserver's names) to serve https. */
export function addListenOptions(command: Command): Command {
  return command
    .option('--port <port>', 'API listen port', portNumber, 8080)
    .option('--host <host>', 'API listen address', '127.0.0.1')
    .addOption(new Option('--tls-cert-file <file>', 'serve https with this PEM certificate (chain)').env('JOBFLEET_TLS_CERT_FILE'))
    .addOption(new Option('--tls-private-key-file <file>', 'the PEM private key of --tls-cert-file').env('JOBFLEET_TLS_KEY_FILE'));
}

/**
 * The API's token (global --token) and TLS files, read. One TLS file without the other is a usage
 * error; a token without TLS gets a warning, since kubectl (client-go) sends tokens only over https.
 */
export function apiSecurity({ tlsCertFile, tlsPrivateKeyFile }: ListenOptions, command: Command): { token?: string; tls?: TlsFiles } {
  const { token } = globalOptions(command);
  if (Boolean(tlsCertFile) !== Boolean(tlsPrivateKeyFile)) {
    throw new UsageError('--tls-cert-file and --tls-private-key-file go together (JOBFLEET_TLS_CERT_FILE, JOBFLEET_TLS_KEY_FILE)');
  }
  const tls = tlsCertFile && tlsPrivateKeyFile ? { cert: readPem(tlsCertFile, '--tls-cert-file'), key: readPem(tlsPrivateKeyFile, '--tls-private-key-file') } : undefined;
  if (token && !tls) process.stderr.write('warning: --token without --tls-cert-file/--tls-private-key-file: kubectl will not send the token over http\n');
  return { ...(token ? { token } : {}), ...(tls ? { tls } : {}) };
}

/** --log-level and --log-format (up, api, worker, janitor). */
export interface LogFlags {
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

export function addLogOptions(command: Command): Command {
  return command
    .addOption(new Option('--log-level <level>', 'least severe log lines written to stderr (default info; also JOBFLEET_LOG_LEVEL)').choices(LOG_LEVEL_NAMES))
    .addOption(new Option('--log-format <format>', 'json: a JSON object a line; text: for people (default text on a terminal, json otherwise; also JOBFLEET_LOG_FORMAT)').choices(LOG_FORMAT_NAMES));
}

/** The process's logger, on stderr (stdout is the commands' own output): the flags, else the environment, else info and the terminal's format. */
export async function roleLogger(flags: LogFlags, env: Record<string, string | undefined> = process.env): Promise<Logger> {
  let fromEnv: ReturnType<typeof logSettingsFromEnv>;
  try {
    fromEnv = logSettingsFromEnv(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { createLogger, defaultLogFormat } = await import('@jobfleet/controllers');
  return createLogger({ level: flags.logLevel ?? fromEnv.level ?? 'info', format: flags.logFormat ?? fromEnv.format ?? defaultLogFormat(process.stderr) });
}
