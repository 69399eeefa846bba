/**
 * Worker nodes as separate OS processes for the hostile tests of the worker: each with its own
 * environment (a Docker socket of the test's choosing), its stderr captured, and its exit observed
 * (a worker must refuse to start, or stop by itself, in some of them). Plus what the tests share:
 * a unix-socket proxy to the Docker Engine that can be cut or frozen (a boundary fake of an engine
 * outage), and direct writes of Jobs into Redis, bypassing the API (as a second API server, or
 * anyone with access to Redis, could write them).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import type { Job, Pod } from '@jobfleet/kube';
import { Cluster, createJob } from '@jobfleet/controllers';
import { DockerEngine, LABELS } from '@jobfleet/worker';

const started = new Set<ChildProcess>();
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

export interface WorkerProcess {
  child: ChildProcess;
  nodeName: string;
  stderr(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Spawns `startWorker(options)` in a new Node process with `env` added to this one's (read as the CLI
 * reads it: `roleOptionsFromEnv`). Resolves once
 * it started; with `expectFailure`, once it exited (its stderr holds the one line it wrote:
 * `error: <message>`) or, failing that, started after all.
 */
export async function spawnWorker(options: Record<string, unknown> & { nodeName: string }, env: Record<string, string> = {}, expectFailure = false): Promise<WorkerProcess> {
  const script = [
    `const m = await import('@jobfleet/worker');`,
    // The settings from the environment, as the CLI reads them for the worker (the library reads none).
    `const cli = await import('@jobfleet/cli');`,
    `let running;`,
    `try {`,
    `  running = await m.startWorker({ ...cli.roleOptionsFromEnv('worker'), ...${JSON.stringify(options)} });`,
    `}`,
    `catch (err) { process.stderr.write('error: ' + err.message + '\\n'); process.exit(1); }`,
    `process.on('SIGTERM', async () => { await running.close(); process.exit(0); });`,
    `console.log('ready');`,
  ].join('\n');
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('../..', import.meta.url), stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  started.add(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
    process.stderr.write(`[${options.nodeName}] ${d.toString()}`);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
    void exited.then((code) => reject(new Error(`worker ${options.nodeName} exited with ${code} before it was ready: ${stderr.trim()}`)));
  });
  const proc: WorkerProcess = {
    child,
    nodeName: options.nodeName,
    stderr: () => stderr,
    exited,
    alive: () => child.exitCode === null && child.signalCode === null,
    kill: async (signal = 'SIGKILL') => {
      if (proc.alive()) child.kill(signal);
      await exited;
    },
  };
  if (expectFailure) await Promise.race([exited, ready.catch(() => undefined)]);
  else await ready;
  return proc;
}

/** Stores a Job straight into Redis and runs its first sync: no API, so no validation. */
export async function writeJobToRedis(cluster: Cluster, job: Job, ns = 'default'): Promise<Job> {
  return createJob(cluster.store, cluster.controller, job, ns);
}

/** The pods of a Job, read from Redis. */
export async function podsOf(cluster: Cluster, job: Job): Promise<Pod[]> {
  const names = await cluster.store.podNamesOfJob(job.metadata.uid ?? '');
  return (await cluster.store.getPods(job.metadata.namespace ?? 'default', names)).map((p) => p.pod);
}

export function shellJob(name: string, script: string, spec: Record<string, unknown> = {}, podSpec: Record<string, unknown> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      backoffLimit: 0,
      ...spec,
      template: { spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: 1, containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', script] }], ...podSpec } },
    },
  } as Job;
}

/** jobfleet's containers of a node on this Docker host (the tests' node names are unique). */
export async function containersOf(nodeName: string): Promise<{ Id: string; State: string }[]> {
  return new DockerEngine().listManaged({ [LABELS.node]: nodeName });
}

/** Removes what a test's nodes left on the Docker host. */
export async function removeContainersOf(nodeName: string): Promise<void> {
  const engine = new DockerEngine();
  await Promise.all((await engine.listManaged({ [LABELS.node]: nodeName })).map((c) => engine.remove(c.Id).catch(() => undefined)));
  await Promise.all((await engine.listManagedVolumes({ [LABELS.node]: nodeName })).map((v) => engine.removeVolume(v.name).catch(() => undefined)));
}

export interface DockerProxy {
  /** DOCKER_HOST for a process that should talk to the engine through the proxy. */
  dockerHost: string;
  socketPath: string;
  /** Connections dropped and refused (the engine is gone). */
  cut(): Promise<void>;
  /** Connections kept open, nothing forwarded either way, new ones accepted and left unanswered (a hung engine). */
  freeze(): void;
  /** Back to forwarding (connections held while frozen are dropped). */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/** A unix-socket proxy to /var/run/docker.sock that the test can cut, freeze and restore. */
export async function dockerProxy(): Promise<DockerProxy> {
  const socketPath = join(mkdtempSync(join(tmpdir(), 'jobfleet-docker-')), 'docker.sock');
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let frozen = false;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = createServer((client) => {
        sockets.add(client);
        client.on('error', () => client.destroy()).on('close', () => sockets.delete(client));
        if (frozen) return; // accepted, never answered
        const upstream = connect('/var/run/docker.sock');
        sockets.add(upstream);
        client.pipe(upstream).pipe(client);
        const drop = () => {
          client.destroy();
          upstream.destroy();
        };
        client.on('close', drop);
        upstream.on('error', drop).on('close', drop);
      });
      server.listen(socketPath, resolve);
    });
  const dropAll = () => {
    for (const s of sockets) s.destroy();
    sockets.clear();
  };
  const cut = () =>
    new Promise<void>((resolve) => {
      dropAll();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return {
    dockerHost: `unix://${socketPath}`,
    socketPath,
    cut,
    freeze: () => {
      frozen = true;
      for (const s of sockets) {
        s.unpipe();
        s.pause();
      }
    },
    restore: async () => {
      if (frozen) {
        frozen = false;
        dropAll();
      }
      if (!server) await listen();
    },
    close: cut,
  };
}
