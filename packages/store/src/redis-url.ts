/**
 * The one parser of jobfleet's Redis URLs, shared by every connection (`newRedis`) and by the CLI's checks
 * (exported alone as `@jobfleet/store/redis-url`, which loads no ioredis, so that client commands stay fast):
 *
 * - `redis://[USER:PASSWORD@]HOST:PORT[/DB]`, `rediss://…` for TLS: one Redis (ioredis reads the URL itself);
 * - `redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER_NAME`: a Sentinel set; every connection
 *   asks the sentinels for MASTER_NAME's primary and follows it through failovers. The credentials are the
 *   data nodes'; the sentinels get the same password (not the user: sentinels rarely have ACL users), or
 *   `sentinelPassword` when they have one of their own. A sentinel's port defaults to 26379.
 *
 * A malformed URL is one line naming what is wrong and what to write.
 */
import type { RedisOptions } from 'ioredis';

export type RedisTarget =
  | { kind: 'single'; url: string; hosts: string[]; protocol: 'redis:' | 'rediss:'; username?: string; password?: string }
  | { kind: 'sentinel'; sentinels: Array<{ host: string; port: number }>; name: string; hosts: string[]; username?: string; password?: string };

export const SENTINEL_DEFAULT_PORT = 26379;
const FORMS = 'a redis:// or rediss:// URL (redis://[USER:PASSWORD@]HOST:PORT[/DB]; rediss:// for TLS) or a Sentinel set, redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER_NAME';

export class RedisUrlError extends Error {
  override name = 'RedisUrlError';
}

/** The URL's target; throws a RedisUrlError (one line, no password) when it is not one of the forms above. */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^([a-z+]+):\/\//i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'redis+sentinel') return parseSentinelUrl(url);
  if (scheme === 'rediss+sentinel') throw new RedisUrlError(`TLS to a Sentinel set (rediss+sentinel://) is not supported yet; use redis+sentinel:// on a private network, got ${redactRedisUrl(url)}`);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(`the Redis URL must be ${FORMS}, got "${redactRedisUrl(url)}"`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') throw new RedisUrlError(`the Redis URL must be ${FORMS}, got ${redactRedisUrl(url)}`);
  return {
    kind: 'single',
    url,
    hosts: [parsed.hostname],
    protocol: parsed.protocol,
    ...(parsed.username ? { username: decodeURIComponent(parsed.username) } : {}),
    ...(parsed.password ? { password: decodeURIComponent(parsed.password) } : {}),
  };
}

function parseSentinelUrl(url: string): RedisTarget {
  const m = /^redis\+sentinel:\/\/(?:([^@/]*)@)?([^/?#]*)(?:\/([^/?#]*))?\/?$/i.exec(url);
  const wanted = 'redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER_NAME';
  if (!m) throw new RedisUrlError(`a Sentinel URL must be ${wanted} (no path after the master name, no query), got ${redactRedisUrl(url)}`);
  const [, userinfo, hostList = '', name = ''] = m;
  if (!name) throw new RedisUrlError(`a Sentinel URL must end with the master's name, as sentinel.conf's "sentinel monitor NAME …": ${wanted}, got ${redactRedisUrl(url)}`);
  const sentinels = hostList.split(',').map((entry) => {
    const hp = /^(?:\[([0-9a-f:.]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/i.exec(entry.trim());
    const port = hp?.[3] === undefined ? SENTINEL_DEFAULT_PORT : Number(hp[3]);
    if (!hp || port < 1 || port > 65535) throw new RedisUrlError(`a Sentinel URL lists sentinels as HOST:PORT separated by commas (${wanted}); "${entry}" is not one, in ${redactRedisUrl(url)}`);
    return { host: (hp[1] ?? hp[2]) as string, port };
  });
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo !== undefined) {
    const colon = userinfo.indexOf(':');
    username = decodeURIComponent(colon < 0 ? userinfo : userinfo.slice(0, colon)) || undefined;
    password = colon < 0 ? undefined : decodeURIComponent(userinfo.slice(colon + 1)) || undefined;
  }
  return {
    kind: 'sentinel',
    sentinels,
    name: decodeURIComponent(name),
    hosts: sentinels.map((s) => s.host),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
  };
}

/** Credentials given beside the URL (the URL's own win). */
export interface RedisUrlCredentials {
  username?: string;
  password?: string;
  /** The sentinels' own password, when it is not the data nodes'. */
  sentinelPassword?: string;
}

/**
 * ioredis options for the URL's target (with the `url` to pass first, when ioredis should read it itself).
 * Sentinel mode: the sentinels are asked for the primary at every (re)connection, so a connection made after
 * a failover, or a reconnection (READONLY from a demoted primary, see `newRedis`), reaches the new primary.
 */
export function redisUrlOptions(target: RedisTarget, credentials: RedisUrlCredentials = {}): { url?: string; options: RedisOptions } {
  if (target.kind === 'single') return { url: target.url, options: {} };
  const username = target.username ?? credentials.username;
  const password = target.password ?? credentials.password;
  const sentinelPassword = credentials.sentinelPassword ?? password;
  return {
    options: {
      sentinels: target.sentinels,
      name: target.name,
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
      ...(sentinelPassword ? { sentinelPassword } : {}),
      // ioredis checks the role of the node the sentinels name (INFO, at ready) and asks again when it is
      // not a primary; its sentinelRetryStrategy never gives up when no sentinel answers.
      role: 'master',
      // A primary that hangs (its host frozen, its connections open and unanswered) closes no
      // connection: without word from the sentinels, a command sent to it would wait for ever after
      // they promoted a replica. Each connection listens to the sentinels' +switch-master (a
      // subscription to each sentinel) and reconnects at a failover; what it had sent and not had
      // answered is sent again to the new primary (a write under its write id: applied once).
      failoverDetector: true,
    },
  };
}

/** The URL with its password replaced by ***, for messages; something unparsable is not printed at all. */
export function redactRedisUrl(url: string): string {
  if (/^rediss?\+sentinel:\/\//i.test(url)) return url.replace(/^([^:]+:\/\/[^:@/]*:)[^@/]*@/, '$1***@');
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString().replace(/\/$/, '');
  } catch {
    return '(an unparsable URL)';
  }
}
