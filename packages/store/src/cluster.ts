import { Redis, SentinelConnector, type RedisOptions, type SentinelConnectionOptions } from 'ioredis';
import { parseRedisUrl, redisUrlOptions } from './redis-url.js';
import type { Durability } from './store.js';

/**
 * How to connect to Redis beyond its URL, for every connection a role makes (BullMQ's included):
 * credentials kept out of the URL (so that they need not appear in `ps` or in messages) and TLS.
 * Credentials written in the URL win over these.
 */
export interface RedisConnectionOptions {
  /** An ACL user (Redis 6+); unset: the `default` user. */
  username?: string;
  password?: string;
  /**
   * TLS settings; TLS is also on, with the system's CAs, for a `rediss://` URL. `ca`: the CA (PEM) that
   * signed the server's certificate; `cert`/`key`: a client certificate for a Redis that asks for one.
   */
  tls?: { ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer };
  /** A `redis+sentinel://` URL: the sentinels' password when it is not the data nodes' (which they get by default). */
  sentinelPassword?: string;
  /** Wait for this many replicas after every write (`--redis-wait-replicas`; with Sentinel: 1). Default: none. */
  durability?: Durability;
}

/** Reconnect forever with a capped backoff: a Redis outage must never end a process. */
const retryStrategy = (attempt: number) => Math.min(100 * 2 ** Math.min(attempt, 6), 5_000);

/** ioredis options of a RedisConnectionOptions (ioredis lets the URL's own credentials win). */
export function redisConnectionSettings(connection: RedisConnectionOptions = {}): RedisOptions {
  const { username, password, tls } = connection;
  return { ...(username ? { username } : {}), ...(password ? { password } : {}), ...(tls ? { tls: { ...tls } } : {}) };
}

/**
 * After a failover the old primary may come back as a replica, and a connection still on it is refused
 * writes (READONLY) and its blocked reads are ended (UNBLOCKED): reconnect, which asks the sentinels for
 * the new primary, and send the command again there (2). Neither error means the command was applied.
 */
const reconnectOnError = (error: Error) => (/^(READONLY|UNBLOCKED)\b/.test(error.message) ? 2 : false);

/** Commands of one turn written at once before the socket is corked for the rest of the turn. */
const UNCORKED_PER_TURN = 2;

/**
 * A connection whose commands written in one turn of the event loop leave in few writes: the first
 * two go at once, and a third one in the same turn corks the socket until the end of that turn's I/O
 * phase (a setImmediate), so it and the rest leave in one write (writev). 1,000 HTTP requests arriving
 * together are handled in one poll phase, each in a callback of its own, and each wrote its commands
 * with a syscall of its own (a write on loopback costs ~35 µs of CPU here, and wakes Redis each time);
 * ioredis' enableAutoPipelining merges only commands of one tick, which such requests never share
 * (measured: no gain). Turns of one or two commands are not corked: corking every turn cost ~3 % of
 * the CPU of the throughput benchmark, whose commands mostly go in pipelines already. Replies are
 * unchanged and in order; a command waits at most until the end of the loop's current turn.
 */
class CoalescingRedis extends Redis {
  /** Commands written in this turn so far (reset by a setImmediate at the turn's end). */
  private inTurn = 0;
  /** The socket corked in this turn, uncorked at its end. */
  private corked: NetStream | undefined;

  override sendCommand(...args: Parameters<Redis['sendCommand']>): unknown {
    const socket = this.stream as NetStream | undefined;
    if (socket && !socket.destroyed) {
      if (this.inTurn === 0) {
        setImmediate(() => {
          this.corked?.uncork();
          this.corked = undefined;
          this.inTurn = 0;
        });
      } else if (!this.corked && this.inTurn >= UNCORKED_PER_TURN) {
        socket.cork();
        this.corked = socket;
      }
      this.inTurn++;
    }
    return super.sendCommand(...args);
  }
}

type NetStream = Redis['stream'];

/**
 * Through the sentinels with writes confirmed on `replicas` replicas (`--redis-wait-replicas`): a
 * connection takes a primary only when it has that many replicas connected or it was promoted from a
 * replica (INFO replication: connected_slaves, second_repl_offset; in ioredis' ready check), else it asks
 * the sentinels again. Right after a failover, a sentinel that has not heard of it yet still names the
 * old primary; restarted without its data, that one answers as a primary, empty and alone, until the
 * sentinels make it a replica (~10 s), and a role connected to it then would read nothing: a Job "not
 * found", a worker's pods gone (the failover test under load saw the first).
 */
function connectorRequiringReplicas(replicas: number): NonNullable<RedisOptions['Connector']> {
  return class extends SentinelConnector {
    constructor(options: unknown) {
      super(options as SentinelConnectionOptions);
    }

    override check(info: { role?: string; connected_slaves?: string; second_repl_offset?: string }): boolean {
      const promoted = info.second_repl_offset !== undefined && info.second_repl_offset !== '-1';
      return super.check(info) && (promoted || Number(info.connected_slaves ?? 0) >= replicas);
    }
  };
}

/**
 * Every Redis connection of jobfleet is made here (BullMQ's blocking connections are duplicates of
 * these, with the same credentials, TLS and sentinels): `url` is a `redis://`, `rediss://` or
 * `redis+sentinel://` URL (see redis-url.ts; a malformed one throws a RedisUrlError).
 */
export function newRedis(url: string, extra: RedisOptions = {}, connection: RedisConnectionOptions = {}): Redis {
  const target = redisUrlOptions(parseRedisUrl(url), connection);
  const replicas = connection.durability?.replicas ?? 0;
  const requireReplicas = replicas > 0 && target.options.sentinels ? { Connector: connectorRequiringReplicas(replicas) } : {};
  const options: RedisOptions = { retryStrategy, reconnectOnError, maxRetriesPerRequest: null, enableReadyCheck: true, ...redisConnectionSettings(connection), ...target.options, ...requireReplicas, ...extra };
  const redis = target.url === undefined ? new CoalescingRedis(options) : new CoalescingRedis(target.url, options);
  redis.on('error', () => undefined); // reconnection is automatic; callers see failed commands
  return redis;
}
