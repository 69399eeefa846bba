import { PassThrough } from 'node:stream';
import Docker from 'dockerode';

/** Labels on every container and volume jobfleet creates: they map a container back to its pod. */
export const LABELS = {
  managed: 'io.jobfleet.managed',
  node: 'io.jobfleet.node',
  namespace: 'io.jobfleet.namespace',
  pod: 'io.jobfleet.pod',
  podUid: 'io.jobfleet.pod-uid',
  job: 'io.jobfleet.job',
  jobUid: 'io.jobfleet.job-uid',
  container: 'io.jobfleet.container',
} as const;

const OOM_FLAG_WAIT_MS = 5_000;

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
}

export type OutputSink = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

export class ImageMissingError extends Error {
  constructor(readonly image: string, detail: string) {
    super(detail);
    this.name = 'ImageMissingError';
  }
}

function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}

/** The few Docker Engine calls the pod runner needs, with Docker's quirks handled in one place. */
export class DockerEngine {
  readonly docker: Docker;

  constructor(docker = new Docker()) {
    this.docker = docker;
  }

  async ping(): Promise<boolean> {
    try {
      await this.docker.ping();
      return true;
    } catch {
      return false;
    }
  }

  /** The host's CPUs and memory (bytes), as the node's capacity. */
  async capacity(): Promise<{ cpu?: number; memory?: number }> {
    const info = (await this.docker.info().catch(() => ({}))) as { NCPU?: number; MemTotal?: number };
    return { cpu: info.NCPU, memory: info.MemTotal };
  }

  async hasImage(image: string): Promise<boolean> {
    try {
      await this.docker.getImage(image).inspect();
      return true;
    } catch (err) {
      if (statusCode(err) === 404) return false;
      throw err;
    }
  }

  /** The user an image's config runs its containers as (Docker's `Config.User`; "" means root). */
  async imageUser(image: string): Promise<string> {
    const info = await this.docker.getImage(image).inspect();
    return info.Config?.User ?? '';
  }

  /** Pulls with a deadline, so an unreachable registry fails the pod instead of hanging it. */
  async pull(image: string, timeoutMs: number): Promise<void> {
    const signal = AbortSignal.timeout(timeoutMs);
    const stream = await this.docker.pull(image, { abortSignal: signal });
    await new Promise<void>((resolve, reject) => {
      this.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()));
    });
  }

  /** Creates a container; a leftover with the same name (from a crashed run of this node) is replaced. */
  async create(options: Docker.ContainerCreateOptions): Promise<Docker.Container> {
    try {
      return await this.docker.createContainer(options);
    } catch (err) {
      if (statusCode(err) !== 409 || !options.name) throw err;
      await this.remove(options.name);
      return this.docker.createContainer(options);
    }
  }

  /** Attaches to the container's output before it starts, so each run's output is read exactly once. */
  async attach(container: Docker.Container, sink: OutputSink): Promise<() => Promise<void>> {
    const stream = await container.attach({ stream: true, stdout: true, stderr: true, logs: false });
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (chunk: Buffer) => sink('stdout', chunk));
    stderr.on('data', (chunk: Buffer) => sink('stderr', chunk));
    container.modem.demuxStream(stream, stdout, stderr);
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    return async () => {
      await Promise.race([ended, new Promise((r) => setTimeout(r, 2_000))]);
      (stream as unknown as { destroy?: () => void }).destroy?.();
    };
  }

  async start(container: Docker.Container): Promise<void> {
    try {
      await container.start();
    } catch (err) {
      if (statusCode(err) !== 304) throw err; // 304: already started
    }
  }

  /**
   * Waits for the container to stop and reads how it ended. Docker may flag OOMKilled a moment
   * after the exit (the OOM event arrives separately), so a memory-limited container killed by
   * SIGKILL is inspected again, for up to OOM_FLAG_WAIT_MS (a loaded daemon was seen to take over
   * 2 s), before it is called a plain error.
   */
  async wait(container: Docker.Container): Promise<ContainerExit> {
    await container.wait({ condition: 'not-running' });
    let info = await container.inspect();
    for (let i = 0; i < OOM_FLAG_WAIT_MS / 100 && info.State.ExitCode === 137 && !info.State.OOMKilled && info.HostConfig.Memory; i++) {
      await new Promise((r) => setTimeout(r, 100));
      info = await container.inspect();
    }
    return {
      exitCode: info.State.ExitCode,
      oomKilled: info.State.OOMKilled,
      startedAt: info.State.StartedAt,
      finishedAt: info.State.FinishedAt,
      error: info.State.Error || undefined,
    };
  }

  async stop(container: Docker.Container, graceSeconds: number): Promise<void> {
    try {
      await container.stop({ t: Math.max(0, Math.floor(graceSeconds)) });
    } catch (err) {
      const code = statusCode(err);
      if (code !== 304 && code !== 404) throw err;
    }
  }

  async remove(nameOrId: string): Promise<void> {
    try {
      await this.docker.getContainer(nameOrId).remove({ force: true, v: true });
    } catch (err) {
      const code = statusCode(err);
      if (code !== 404 && code !== 409) throw err; // 409: removal already in progress
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    await this.docker.createVolume({ Name: name, Labels: labels });
  }

  async removeVolume(name: string): Promise<void> {
    try {
      await this.docker.getVolume(name).remove({ force: true });
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  async listManaged(filters: Record<string, string>): Promise<Docker.ContainerInfo[]> {
    const label = [`${LABELS.managed}=true`, ...Object.entries(filters).map(([k, v]) => `${k}=${v}`)];
    return this.docker.listContainers({ all: true, filters: { label } });
  }

  async listManagedVolumes(filters: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
    const label = [`${LABELS.managed}=true`, ...Object.entries(filters).map(([k, v]) => `${k}=${v}`)];
    const { Volumes } = await this.docker.listVolumes({ filters: { label } });
    return (Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }
}

export function dockerErrorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const json = (err as { json?: { message?: string } }).json;
    if (json?.message) return json.message;
  }
  return err instanceof Error ? err.message : String(err);
}
