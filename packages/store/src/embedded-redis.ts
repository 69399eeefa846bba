import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, linkSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { Redis } from 'ioredis';
import { WANTED_HASH_VALUE_BYTES } from './redis-settings.js';

export interface EmbeddedRedis {
  url: string;
  port: number;
  /** The password the server requires (with `requirePassword`); send it with the URL's connections. */
  password?: string;
  /** Stops redis-server (SIGTERM, then SIGKILL after `stopTimeoutMs`) and releases the data folder. Idempotent. */
  stop(): Promise<void>;
}

export interface EmbeddedRedisOptions {
  /** Port to listen on; a free one when unset. */
  port?: number;
  /** Append-only file on (default): a restart loses no Job and no count. */
  persistence?: boolean;
  /**
   * Require a password (random, made once and kept in DIR/redis.conf, mode 0600, so that it never
   * appears on a command line): any local user can reach a loopback port, and whoever writes to
   * jobfleet's Redis runs containers on this Docker host.
   */
  requirePassword?: boolean;
  /** How long stop() waits for redis-server to exit after SIGTERM before it kills it (default 10 s). */
  stopTimeoutMs?: number;
}

/** The data folder is used by another live process; the message says which and what to do. */
export class DataDirLockedError extends Error {
  override readonly name = 'DataDirLockedError';
  constructor(readonly dataDir: string, readonly holderPid: number) {
    super(`the data folder ${dataDir} is in use by jobfleet process ${holderPid}, which runs a Redis on it: stop that process, or run this one in another folder`);
  }
}

/**
 * The settings jobfleet wants of every redis-server it starts (and the README asks of any other):
 * keys never evicted, and hashes with values up to 1 KiB kept as one compact listpack. A pod's hash
 * (its compressed body and status, ~300 B, its short log) is past Redis' default of 64 bytes per
 * value, which makes it a hash table: 840 B of Redis per finished pod instead of ~530 (MEMORY USAGE,
 * BENCHMARKS.md). The old name (Redis 6's hash-max-ziplist-value) is the one both 6 and 7 accept.
 */
export const REDIS_SERVER_SETTINGS: readonly string[] = ['--maxmemory-policy', 'noeviction', '--hash-max-ziplist-value', String(WANTED_HASH_VALUE_BYTES)];
const LOCK_FILE = 'jobfleet.lock';
const CONFIG_FILE = 'redis.conf';
const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** The last bytes of redis-server's stderr kept for a failed start's message. */
const STDERR_TAIL_BYTES = 4_096;

/**
 * redis-server must never outlive the process that started it, even one killed with SIGKILL. Linux's
 * PR_SET_PDEATHSIG cannot be set from Node, and `setpriv --pdeathsig` exists on Linux only, so
 * redis-server runs under this small POSIX sh watchdog instead. The watchdog's stdin is a pipe whose
 * only writer is this process: when this process ends, however it ends, the kernel closes the pipe,
 * `read` sees EOF, and the watchdog sends redis-server SIGTERM (a clean shutdown that flushes the
 * AOF). As redis-server's parent, the watchdog reaps it, so the pid it signals is never a reused one;
 * and it exits with redis-server, so a crash of the server is seen here as the watchdog's exit.
 * stop() is the same path: it closes the pipe.
 */
const WATCHDOG_SCRIPT = [
  '"$@" </dev/null &',
  'server=$!',
  'exec 3<&0 0</dev/null',
  '{ while read -r _ <&3; do :; done; kill -TERM "$server" 2>/dev/null; } &',
  'reader=$!',
  'wait "$server"',
  'code=$?',
  'kill "$reader" 2>/dev/null',
  'exit "$code"',
].join('\n');

/** What the shell answers for a command it cannot find. */
const EXIT_COMMAND_NOT_FOUND = 127;

/** A TCP port free on loopback now (the kernel's pick), for a server started next. */
export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

async function waitForPing(url: string, password: string | undefined, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server exited with ${child.exitCode ?? child.signalCode}`);
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, ...(password ? { password } : {}) });
    client.on('error', () => undefined); // not listening yet: the loop tries again
    try {
      await client.connect();
      await client.ping();
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
  throw new Error(`redis-server did not answer within ${timeoutMs} ms`);
}

/** Whether a process with this pid exists (EPERM: it does, as another user's). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pid a lock file names, or undefined when it is gone or unreadable (a crash while writing it). */
function lockHolder(file: string): number | undefined {
  try {
    const pid = (JSON.parse(readFileSync(file, 'utf8')) as { pid?: unknown }).pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One data folder serves one Redis: takes DIR/jobfleet.lock for this process and returns its release.
 * A lock whose process is gone (killed, host restarted) is taken over; a live holder (this process
 * too) is a DataDirLockedError.
 */
export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, LOCK_FILE);
  const content = JSON.stringify({ pid: process.pid });
  for (let attempt = 0; attempt < 5; attempt++) {
    try {
      writeFileSync(file, content, { flag: 'wx', mode: 0o600 });
      return () => {
        if (lockHolder(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = lockHolder(file);
    if (holder !== undefined && isAlive(holder)) throw new DataDirLockedError(dataDir, holder);
    // A stale lock. Moving it aside is atomic: of several processes taking it over at once, one moves
    // it; one that moved a fresh lock instead (taken meanwhile by another) puts it back and yields.
    const aside = `${file}.stale-${process.pid}`;
    try {
      renameSync(file, aside);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw error;
    }
    const moved = lockHolder(aside);
    if (moved !== holder && moved !== undefined && isAlive(moved)) {
      try {
        linkSync(aside, file);
      } catch {
        // another process holds a newer lock already
      }
      rmSync(aside, { force: true });
      throw new DataDirLockedError(dataDir, moved);
    }
    rmSync(aside, { force: true });
  }
  throw new Error(`cannot take the lock ${file}: it keeps changing`);
}

/** The password kept in DIR/redis.conf (made on first use, mode 0600), and the file's path. */
function passwordConfig(dataDir: string): { file: string; password: string } {
  const file = join(dataDir, CONFIG_FILE);
  const existing = existsSync(file) ? /^requirepass\s+"?([0-9a-f]{32,})"?\s*$/m.exec(readFileSync(file, 'utf8'))?.[1] : undefined;
  const password = existing ?? randomBytes(24).toString('hex');
  if (!existing) writeFileSync(file, `# written by jobfleet: the password of its embedded Redis\nrequirepass ${password}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return { file, password };
}

/** Waits for the child's exit, at most timeoutMs; whether it exited. */
function exited(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((done) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      done(false);
    }, timeoutMs);
    const onExit = () => {
      clearTimeout(timer);
      done(true);
    };
    child.once('exit', onExit);
  });
}

/** Kills the watchdog's whole process group (the watchdog and redis-server). */
function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/**
 * Starts a private redis-server on loopback with its data under `dir`, with the settings jobfleet
 * requires (REDIS_SERVER_SETTINGS, appendonly yes). It runs in its own session and process group
 * (a terminal's Ctrl-C goes to jobfleet alone, which stops it last), under a watchdog that stops it
 * when this process ends, and `dir` is locked for it (see lockDataDir). Needs the `redis-server`
 * binary (Debian package redis-server; `npm run setup` installs it).
 */
export async function startEmbeddedRedis(dir: string, options: EmbeddedRedisOptions = {}): Promise<EmbeddedRedis> {
  const dataDir = resolve(dir);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const unlock = lockDataDir(dataDir);
  let child: ChildProcess | undefined;
  try {
    const port = options.port ?? (await freePort());
    const config = options.requirePassword ? passwordConfig(dataDir) : undefined;
    if (config) chmodSync(dataDir, 0o700); // the data (and the password) are for this user alone
    const args = [...(config ? [config.file] : []), '--port', String(port), '--bind', '127.0.0.1', '--dir', dataDir, ...REDIS_SERVER_SETTINGS, '--save', ''];
    args.push('--appendonly', options.persistence === false ? 'no' : 'yes', '--protected-mode', 'yes', '--loglevel', 'warning');
    const started = spawn('/bin/sh', ['-c', WATCHDOG_SCRIPT, 'jobfleet-redis-watchdog', 'redis-server', ...args], { detached: true, stdio: ['pipe', 'ignore', 'pipe'] });
    child = started;
    let stderr = '';
    started.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES)));
    started.stdin?.on('error', () => undefined); // the watchdog gone: nothing left to tell
    const failed = new Promise<never>((_, reject) => started.once('error', (err) => reject(new Error(`cannot start redis-server (${err.message})`))));
    const url = `redis://127.0.0.1:${port}`;
    try {
      await Promise.race([waitForPing(url, config?.password, started, 10_000), failed]);
    } catch (error) {
      await exited(started, 200);
      if (started.exitCode === EXIT_COMMAND_NOT_FOUND) throw new Error('cannot start redis-server: it is not installed (npm run setup installs it) or not on PATH; or set REDIS_URL');
      const detail = stderr.trim().split('\n').at(-1);
      throw new Error(`${(error as Error).message}${detail ? `: ${detail}` : ''}`, { cause: error });
    }
    const stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    let stopping: Promise<void> | undefined;
    return {
      url,
      port,
      ...(config ? { password: config.password } : {}),
      stop: () =>
        (stopping ??= (async () => {
          started.stdin?.destroy(); // EOF: the watchdog sends redis-server SIGTERM
          if (!(await exited(started, stopTimeoutMs))) {
            killGroup(started);
            await exited(started, 2_000);
          }
          unlock();
        })()),
    };
  } catch (error) {
    if (child) {
      killGroup(child);
      await exited(child, 2_000);
    }
    unlock();
    throw error;
  }
}

/** An embedded redis-server with throwaway data (a temporary folder, no AOF), gone with `stop()`: for tests. */
export async function startScratchRedis(): Promise<EmbeddedRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-redis-'));
  const redis = await startEmbeddedRedis(dir, { persistence: false });
  return {
    ...redis,
    stop: async () => {
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
