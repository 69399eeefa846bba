/**
 * A Redis Sentinel set on loopback for tests: a primary, replicas and sentinels (Debian's `redis-sentinel`,
 * or `redis-server --sentinel`), each a child process of this one on a free port, in a temp folder. Timings
 * are short (a primary is down after `downAfterMs`) so that a failover takes seconds.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { freePort, REDIS_SERVER_SETTINGS } from './embedded-redis.js';

export interface SentinelSetOptions {
  /** Replicas besides the primary (default 1). */
  replicas?: number;
  /** Sentinels (default 3; quorum: a majority). */
  sentinels?: number;
  /** `down-after-milliseconds` (default 1000). */
  downAfterMs?: number;
  /** `failover-timeout` (default 3000). */
  failoverTimeoutMs?: number;
  /** The master's name in the URL (default "jobfleet"). */
  name?: string;
}

export interface SentinelNode {
  port: number;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on its port, with the arguments it first had and its data (a killed primary comes back as a primary: the sentinels demote it). */
  restart(): Promise<void>;
  /** Freezes it (SIGSTOP): its connections stay open and unanswered, as a host that hangs. */
  pause(): void;
  /** Lets a paused one go on (SIGCONT). */
  resume(): void;
  /** Closes the connections of its clients (CLIENT KILL; not the sentinels', nor replication's): how many. */
  cutClients(): Promise<number>;
}

export interface SentinelSet {
  /** `redis+sentinel://127.0.0.1:S1,…/NAME` */
  url: string;
  name: string;
  /** The data nodes, the first started as the primary. */
  nodes: SentinelNode[];
  sentinels: SentinelNode[];
  /** The port of the primary the sentinels name now. */
  primaryPort(): Promise<number>;
  /** Resolves once the sentinels name another primary than `port`, and it answers as one. */
  failedOver(fromPort: number, timeoutMs?: number): Promise<number>;
  stop(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});


async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`sentinel set: ${what} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function ask<T>(port: number, command: (c: Redis) => Promise<T>): Promise<T> {
  const c = new Redis(port, '127.0.0.1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  c.on('error', () => undefined);
  try {
    await c.connect();
    return await command(c);
  } finally {
    c.disconnect();
  }
}

function processNode(port: number, command: string, args: string[]): SentinelNode {
  let child: ChildProcess | undefined;
  const start = async () => {
    const proc = spawn(command, args, { stdio: 'ignore' });
    child = proc;
    started.add(proc);
    proc.once('exit', () => started.delete(proc));
    await until(`${command} on port ${port} to answer`, 10_000, async () => ((await ask(port, (c) => c.ping())) === 'PONG' ? true : undefined));
  };
  const node: SentinelNode = {
    port,
    alive: () => child !== undefined && child.exitCode === null && child.signalCode === null,
    kill: (signal = 'SIGKILL') =>
      new Promise<void>((resolve) => {
        if (!child || !node.alive()) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
    restart: start,
    pause: () => void child?.kill('SIGSTOP'),
    resume: () => void child?.kill('SIGCONT'),
    cutClients: () =>
      ask(port, async (c) => {
        const own = String(await c.call('CLIENT', 'ID'));
        const lines = String(await c.call('CLIENT', 'LIST', 'TYPE', 'normal')).split('\n');
        const ids = lines.filter((line) => line && !/ name=sentinel-/.test(line)).flatMap((line) => /\bid=(\d+)/.exec(line)?.[1] ?? []).filter((id) => id !== own);
        for (const id of ids) await c.call('CLIENT', 'KILL', 'ID', id).catch(() => undefined);
        return ids.length;
      }),
  };
  return Object.assign(node, { start });
}

/** Starts the set and waits until every sentinel knows the replicas and the other sentinels. */
export async function startSentinelSet(options: SentinelSetOptions = {}): Promise<SentinelSet> {
  const { replicas = 1, sentinels: sentinelCount = 3, downAfterMs = 1_000, failoverTimeoutMs = 3_000, name = 'jobfleet' } = options;
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-sentinel-'));
  // Each data node keeps an append-only file (its own, in the set's folder), as production sets must:
  // a node restarted without its data can be promoted by a later failover (a primary that looked down
  // for down-after-milliseconds on a loaded machine) and then replicate its emptiness over the set.
  // Redis' Sentinel documentation asks for persistence, or no automatic restarts. Seen here: the
  // failover test restarting its killed primary empty lost the whole store in 3 of 10 runs made two at
  // a time (the sentinels' logs: the new primary looked down 1 s after its promotion, likely stalled
  // by the full sync the empty node asked for, and the empty node was promoted in its place); with
  // the file, 0 of 8 (the node comes back with its data and resyncs in part).
  const dataArgs = (port: number) => ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--dbfilename', `dump-${port}.rdb`, '--save', '', '--appendonly', 'yes', '--appenddirname', `aof-${port}`, ...REDIS_SERVER_SETTINGS];
  const primaryPort = await freePort();
  const nodes: Array<SentinelNode & { start(): Promise<void> }> = [processNode(primaryPort, 'redis-server', dataArgs(primaryPort)) as SentinelNode & { start(): Promise<void> }];
  for (let i = 0; i < replicas; i++) {
    const port = await freePort();
    nodes.push(processNode(port, 'redis-server', [...dataArgs(port), '--replicaof', '127.0.0.1', String(primaryPort)]) as SentinelNode & { start(): Promise<void> });
  }
  for (const node of nodes) await node.start();
  const sentinels: Array<SentinelNode & { start(): Promise<void> }> = [];
  for (let i = 0; i < sentinelCount; i++) {
    const port = await freePort();
    const conf = join(dir, `sentinel-${port}.conf`);
    // Sentinels rewrite their configuration file (what they learn), so each has its own.
    writeFileSync(
      conf,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${dir}`,
        `sentinel monitor ${name} 127.0.0.1 ${primaryPort} ${Math.floor(sentinelCount / 2) + 1}`,
        `sentinel down-after-milliseconds ${name} ${downAfterMs}`,
        `sentinel failover-timeout ${name} ${failoverTimeoutMs}`,
        `sentinel parallel-syncs ${name} 1`,
        '',
      ].join('\n'),
    );
    sentinels.push(processNode(port, 'redis-server', [conf, '--sentinel']) as SentinelNode & { start(): Promise<void> });
  }
  for (const s of sentinels) await s.start();
  const sentinelPorts = sentinels.map((s) => s.port);
  const set: SentinelSet = {
    url: `redis+sentinel://${sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/${name}`,
    name,
    nodes,
    sentinels,
    primaryPort: async () => {
      for (const s of sentinels) {
        const addr = (await ask(s.port, (c) => c.call('SENTINEL', 'get-master-addr-by-name', name)).catch(() => undefined)) as string[] | undefined;
        if (addr?.[1]) return Number(addr[1]);
      }
      throw new Error('sentinel set: no sentinel names a primary');
    },
    failedOver: (fromPort, timeoutMs = 30_000) =>
      until(`a failover away from port ${fromPort}`, timeoutMs, async () => {
        const port = await set.primaryPort();
        if (port === fromPort) return undefined;
        const role = (await ask(port, (c) => c.call('ROLE'))) as unknown[];
        return role[0] === 'master' ? port : undefined;
      }),
    stop: async () => {
      for (const n of [...sentinels, ...nodes]) await n.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
  // Ready once every sentinel has discovered the replicas (from the primary's INFO) and the other sentinels (hello messages, every 2 s).
  await until('the sentinels to discover each other and the replicas', 30_000, async () => {
    for (const port of sentinelPorts) {
      const known = await ask(port, async (c) => [(await c.call('SENTINEL', 'replicas', name)) as unknown[], (await c.call('SENTINEL', 'sentinels', name)) as unknown[]]);
      if (known[0]?.length !== replicas || known[1]?.length !== sentinelCount - 1) return undefined;
    }
    return true;
  });
  // And once the replicas are in sync: a write acknowledged by WAIT 1 is then on a replica.
  await until('the replicas to sync', 10_000, async () => ((await ask(primaryPort, (c) => c.wait(replicas, 100))) >= replicas ? true : undefined));
  return set;
}
