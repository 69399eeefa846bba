/**
 * How the roles reach Redis: the URL, credentials and TLS, read at the edge (flags, environment, files)
 * into one typed value that goes down to every connection (`Cluster`/`newRedis` in @jobfleet/store).
 * Passwords never appear in messages (every URL printed goes through redactUrl), and need not appear on
 * a command line either: REDIS_PASSWORD is read from the environment only.
 */
import { isIP } from 'node:net';
import { Option, type Command } from 'commander';
import { readPem } from './context.js';
import { UsageError } from './errors.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/** What @jobfleet/store's RedisConnectionOptions holds (declared here so that client commands load no role package). */
export interface RedisConnection {
  username?: string;
  password?: string;
  tls?: { ca?: Buffer; cert?: Buffer; key?: Buffer };
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
}

/**
 * --redis-url (REDIS_URL), --redis-username (REDIS_USERNAME), --redis-ca-file (REDIS_CA_FILE),
 * --redis-cert-file/--redis-key-file (REDIS_CERT_FILE/REDIS_KEY_FILE). `defaultUrl` unset: no default
 * (`up` embeds a Redis then).
 */
export function addRedisOptions(command: Command, defaultUrl?: string): Command {
  const url = new Option('--redis-url <url>', 'Redis URL: redis://[USER:PASSWORD@]HOST:PORT[/DB], rediss:// for TLS (REDIS_PASSWORD keeps the password off the command line)').env('REDIS_URL');
  return command
    .addOption(defaultUrl ? url.default(defaultUrl) : url)
    .addOption(new Option('--redis-username <name>', 'Redis ACL user (the password: REDIS_PASSWORD, or in the URL)').env('REDIS_USERNAME'))
    .addOption(new Option('--redis-ca-file <file>', "PEM file of the CA that signed the Redis server's certificate (rediss://)").env('REDIS_CA_FILE'))
    .addOption(new Option('--redis-cert-file <file>', 'PEM client certificate for a Redis that asks for one (rediss://)').env('REDIS_CERT_FILE'))
    .addOption(new Option('--redis-key-file <file>', 'the PEM private key of --redis-cert-file').env('REDIS_KEY_FILE'));
}

/**
 * The flags and REDIS_PASSWORD as settings, files read; undefined without a URL. TLS files with a
 * redis:// URL, or a certificate without its key, are usage errors: silently sending in clear text
 * what was meant to be encrypted would be worse.
 */
export function redisSettings(flags: RedisFlags, env: Record<string, string | undefined> = process.env): RedisSettings | undefined {
  const { redisUrl: url, redisUsername, redisCaFile, redisCertFile, redisKeyFile } = flags;
  if (!url) {
    if (redisCaFile || redisCertFile || redisKeyFile || redisUsername) throw new UsageError('the Redis TLS and user options need --redis-url (REDIS_URL)');
    return undefined;
  }
  const parsed = parseRedisUrl(url);
  const tlsFiles = Boolean(redisCaFile || redisCertFile || redisKeyFile);
  if (tlsFiles && parsed.protocol !== 'rediss:') throw new UsageError(`--redis-ca-file, --redis-cert-file and --redis-key-file need a rediss:// URL, got ${redactUrl(url)}`);
  if (Boolean(redisCertFile) !== Boolean(redisKeyFile)) throw new UsageError('--redis-cert-file and --redis-key-file go together (REDIS_CERT_FILE, REDIS_KEY_FILE)');
  const password = env.REDIS_PASSWORD || undefined;
  const tls = tlsFiles
    ? {
        ...(redisCaFile ? { ca: readPem(redisCaFile, '--redis-ca-file') } : {}),
        ...(redisCertFile ? { cert: readPem(redisCertFile, '--redis-cert-file') } : {}),
        ...(redisKeyFile ? { key: readPem(redisKeyFile, '--redis-key-file') } : {}),
      }
    : undefined;
  return { url, connection: { ...(redisUsername ? { username: redisUsername } : {}), ...(password ? { password } : {}), ...(tls ? { tls } : {}) } };
}

function parseRedisUrl(url: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`--redis-url must be a redis:// or rediss:// URL, got "${redactUrl(url)}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new UsageError(`--redis-url must be a redis:// or rediss:// URL, got ${redactUrl(url)}`);
  return parsed;
}

/** The URL with its password replaced by ***; something unparsable is not printed at all. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an unparsable URL)';
  }
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
  const parsed = new URL(settings.url);
  if (isLoopbackHost(parsed.hostname)) return undefined;
  if (parsed.password || settings.connection.password) return undefined;
  const tls = parsed.protocol === 'rediss:' ? '' : ' and without TLS';
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
  return 'start it or set REDIS_URL';
}
