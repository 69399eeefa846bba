/**
 * How the roles reach Redis: the URL, credentials and TLS, read at the edge (flags, environment, files)
 * into one typed value that goes down to every connection (`Cluster`/`newRedis` in @jobfleet/store).
 * Passwords never appear in messages (every URL printed goes through redactUrl), and need not appear on
 * a command line either: REDIS_PASSWORD is read from the environment only.
 */
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';
import { parseRedisUrl as parseTarget, redactRedisUrl, RedisUrlError, type RedisTarget } from '@jobfleet/store/redis-url';
import { readPem } from './context.js';
import { UsageError } from './errors.js';
import { nonNegativeInteger } from './options.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';
/** How long a write waits for --redis-wait-replicas replicas (one WAIT) before the API answers 503 (workers wait on). */
export const REDIS_WAIT_TIMEOUT_MS = 1_000;

/** Replicas a write waits for through a Sentinel set when --redis-wait-replicas is not given (0 to opt out). */
export const DEFAULT_SENTINEL_WAIT_REPLICAS = 1;

/** What @jobfleet/store's RedisConnectionOptions holds (declared here so that client commands load no role package). */
export interface RedisConnection {
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
  sentinelPassword?: string;
  durability?: { replicas: number; timeoutMs: number };
}

/** A Redis to connect to: its URL and how (credentials, TLS). */
export interface RedisSettings {
  url: string;
  connection: RedisConnection;
}

/** The Redis flags as commander parses them. */
export interface RedisFlags {
  redisUrl?: string;
  redisUsername?: string;
  redisCaFile?: string;
  redisCertFile?: string;
  redisKeyFile?: string;
  redisWaitReplicas?: number;
}

/**
 * --redis-url (REDIS_URL), --redis-username (REDIS_USERNAME), --redis-ca-file (REDIS_CA_FILE),
 * --redis-cert-file/--redis-key-file (REDIS_CERT_FILE/REDIS_KEY_FILE). `defaultUrl` unset: no default
 * (`up` embeds a Redis then).
 */
export function addRedisOptions(command: Command, defaultUrl?: string): Command {
  const url = new Option(
    '--redis-url <url>',
    'Redis URL: redis://[USER:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS, or a Sentinel set: redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER_NAME (REDIS_PASSWORD keeps the password off the command line)',
  ).env('REDIS_URL');
  return command
    .addOption(defaultUrl ? url.default(defaultUrl) : url)
    .addOption(new Option('--redis-username <name>', 'Redis ACL user (the password: REDIS_PASSWORD, or in the URL)').env('REDIS_USERNAME'))
    .addOption(new Option('--redis-ca-file <file>', "PEM file of the CA that signed the Redis server's certificate (rediss://)").env('REDIS_CA_FILE'))
    .addOption(new Option('--redis-cert-file <file>', 'PEM client certificate for a Redis that asks for one (rediss://)').env('REDIS_CERT_FILE'))
    .addOption(new Option('--redis-key-file <file>', 'the PEM private key of --redis-cert-file').env('REDIS_KEY_FILE'))
    .addOption(
      new Option('--redis-wait-replicas <n>', 'after every write, wait until N Redis replicas have it (WAIT), so that a failover loses no acknowledged write (default: 1 with a Sentinel URL, else 0)')
        .env('JOBFLEET_REDIS_WAIT_REPLICAS')
        .argParser(nonNegativeInteger),
    );
}

/**
 * The flags and REDIS_PASSWORD as settings, files read; undefined without a URL. TLS files with a
 * redis:// URL, or a certificate without its key, are usage errors: silently sending in clear text
 * what was meant to be encrypted would be worse.
 */
export function redisSettings(flags: RedisFlags, env: Record<string, string | undefined> = process.env): RedisSettings | undefined {
  const { redisUrl: url, redisUsername, redisCaFile, redisCertFile, redisKeyFile, redisWaitReplicas } = flags;
  if (!url) {
    if (redisCaFile || redisCertFile || redisKeyFile || redisUsername || redisWaitReplicas) throw new UsageError('the Redis TLS, user and replica options need --redis-url (REDIS_URL)');
    return undefined;
  }
  const parsed = parseRedisUrl(url);
  const tlsFiles = Boolean(redisCaFile || redisCertFile || redisKeyFile);
  if (tlsFiles && (parsed.kind !== 'single' || parsed.protocol !== 'rediss:')) throw new UsageError(`--redis-ca-file, --redis-cert-file and --redis-key-file need a rediss:// URL, got ${redactUrl(url)}`);
  if (Boolean(redisCertFile) !== Boolean(redisKeyFile)) throw new UsageError('--redis-cert-file and --redis-key-file go together (REDIS_CERT_FILE, REDIS_KEY_FILE)');
  const password = env.REDIS_PASSWORD || undefined;
  // Sentinels get the data nodes' password unless they have their own (environment only, as REDIS_PASSWORD).
  const sentinelPassword = parsed.kind === 'sentinel' ? env.REDIS_SENTINEL_PASSWORD || undefined : undefined;
  // Through Sentinel, writes wait for one replica unless told otherwise: a failover would otherwise take
  // back what was acknowledged (a Job created, a completion counted), which is what Sentinel is there to avoid.
  const replicas = redisWaitReplicas ?? (parsed.kind === 'sentinel' ? DEFAULT_SENTINEL_WAIT_REPLICAS : 0);
  const durability = replicas > 0 ? { replicas, timeoutMs: REDIS_WAIT_TIMEOUT_MS } : undefined;
  const tls = tlsFiles
    ? {
        ...(redisCaFile ? { ca: readPem(redisCaFile, '--redis-ca-file') } : {}),
        ...(redisCertFile ? { cert: readPem(redisCertFile, '--redis-cert-file') } : {}),
        ...(redisKeyFile ? { key: readPem(redisKeyFile, '--redis-key-file') } : {}),
      }
    : undefined;
  return {
    url,
    connection: {
      ...(redisUsername ? { username: redisUsername } : {}),
      ...(password ? { password } : {}),
      ...(tls ? { tls } : {}),
      ...(sentinelPassword ? { sentinelPassword } : {}),
      ...(durability ? { durability } : {}),
    },
  };
}

/** The store's parser (the one every connection uses), its one-line error as a usage error. */
function parseRedisUrl(url: string): RedisTarget {
  try {
    return parseTarget(url);
  } catch (error) {
    if (error instanceof RedisUrlError) throw new UsageError(`--redis-url (REDIS_URL): ${error.message}`);
    throw error;
  }
}

/** The URL with its password replaced by ***; something unparsable is not printed at all. */
export function redactUrl(url: string): string {
  return redactRedisUrl(url);
}

/** Loopback names and addresses: a Redis there is reachable from this host only. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) === 6) return host === '::1' || /^::ffff:127\./.test(host);
  return false;
}

/**
 * The one warning line a role prints at start when its Redis is not on loopback and no password is
 * set (anyone who reaches that Redis can run containers on every worker), else undefined.
 */
export function redisWarning(settings: RedisSettings): string | undefined {
  const parsed = parseTarget(settings.url);
  if (parsed.hosts.every(isLoopbackHost)) return undefined;
  if (parsed.password || settings.connection.password) return undefined;
  const tls = parsed.kind === 'single' && parsed.protocol === 'rediss:' ? '' : ' and without TLS';
  return `warning: Redis at ${redactUrl(settings.url)} is not on loopback and is used without a password${tls}: whoever reaches it can run containers on every worker; set REDIS_PASSWORD (see "Securing a fleet")`;
}

/**
 * What to do about a Redis that refused us at start, from its error: the hint after the one error line.
 * Pure, so that it is table-tested.
 */
export function redisStartHint(reason: string): string {
  if (/WRONGPASS|invalid username-password|NOAUTH|Authentication required|AUTH.*without any password|NOPERM/i.test(reason)) {
    return 'check the password (REDIS_PASSWORD or the URL) and the user (--redis-username, REDIS_USERNAME)';
  }
  if (/certificate|self[- ]signed|SSL|TLS|EPROTO|wrong version number|ERR_TLS/i.test(reason)) {
    return "check the URL's scheme (rediss:// for TLS) and the CA (--redis-ca-file, REDIS_CA_FILE)";
  }
  if (/sentinel|master name/i.test(reason)) {
    return 'check that the sentinels the URL lists run, and that they monitor the master it names (sentinel monitor NAME …)';
  }
  return 'start it or set REDIS_URL';
}
