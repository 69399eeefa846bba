import { createRequire } from 'node:module';
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { LABEL_ARCH, LABEL_OS, parseImageReference } from '@jobfleet/kube';

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
/** Default bound of one Docker Engine call that is not a stream (create, start, inspect, remove, …). */
export const DEFAULT_DOCKER_TIMEOUT_MS = 30_000;
/** A ping answers at once on a healthy engine: a slow one counts as not answering. */
const PING_TIMEOUT_MS = 5_000;
/** How often a container's state is polled while its wait request is open, to notice a silent engine. */
const WAIT_POLL_MS = 2_000;

/**
 * docker-modem (dockerode's HTTP layer) follows redirects with its own follower, which sends the
 * next request wherever the Location says, to any host, and throws from an event handler when that
 * fails (an uncaught exception that ends the process). The Docker Engine never redirects a valid
 * request: it answers 301 only for a path it had to clean (a name with `..`). With a limit of 0
 * the follower turns any redirect into an error of the original request instead of following it.
 */
function refuseRedirects(): void {
  const fromDockerode = createRequire(createRequire(import.meta.url).resolve('dockerode'));
  const follower = fromDockerode('docker-modem/lib/http.js') as { maxRedirects?: number };
  follower.maxRedirects = 0;
}
refuseRedirects();

export interface ContainerExit {
  exitCode: number;
  oomKilled: boolean;
  startedAt?: string;
  finishedAt?: string;
  error?: string;
  /** A reason that overrides the one derived from the exit code (ContainerStatusUnknown). */
  reason?: string;
  /**
   * SIGKILLed (137) under a memory limit while Docker never flagged OOMKilled. Docker on cgroup v2
   * loses the OOM event when the cgroup is removed before containerd reads memory.events (seen on
   * loaded hosts): unless jobfleet itself stopped the container, such an exit is an OOM kill.
   */
  killedUnderMemoryLimit?: boolean;
}

/** What Docker has recorded of a container: still running, exited (with how), or never started. */
export type ContainerRecord = { state: 'running' } | { state: 'created' } | { state: 'exited'; exit: ContainerExit };

export type OutputSink = (stream: 'stdout' | 'stderr', chunk: Buffer) => void;

export class ImageMissingError extends Error {
  constructor(readonly image: string, detail: string) {
    super(detail);
    this.name = 'ImageMissingError';
  }
}

/** The engine did not answer (connection refused or cut, or no answer within the call's timeout). */
export class DockerUnreachableError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DockerUnreachableError';
  }
}

/** A name that is not what jobfleet creates or Docker's reference grammar allows: never sent to Docker. */
export class UnsafeNameError extends Error {
  constructor(readonly kind: 'image' | 'container' | 'volume', readonly value: string) {
    super(`refusing to send the ${kind} name ${JSON.stringify(value.length > 300 ? `${value.slice(0, 300)}…` : value)} to the Docker Engine: not a valid ${kind} name`);
    this.name = 'UnsafeNameError';
  }
}

/** The engine answered with a redirect; jobfleet never follows one (see refuseRedirects). */
class DockerRedirectError extends Error {
  readonly statusCode = 300;
  constructor() {
    super('the Docker Engine answered with a redirect, which is never followed');
    this.name = 'DockerRedirectError';
  }
}

export function statusCode(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null && 'statusCode' in err ? Number((err as { statusCode: unknown }).statusCode) : undefined;
}

/** Docker's names for containers and volumes ([a-zA-Z0-9][a-zA-Z0-9_.-]+), which also covers container ids. */
const OBJECT_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/;

/**
 * The one check every name goes through before it becomes part of a Docker Engine API path or
 * query: images must match Docker's reference grammar, containers and volumes Docker's name rule.
 */
export function assertDockerName(kind: 'image' | 'container' | 'volume', value: unknown): string {
  const ok = typeof value === 'string' && (kind === 'image' ? parseImageReference(value) !== undefined : OBJECT_NAME.test(value));
  if (!ok) throw new UnsafeNameError(kind, String(value));
  return value;
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A timer that can be cleared: the wait loop must not leave one running per poll. */
function timer(ms: number): { done: Promise<'poll'>; clear: () => void } {
  let handle: NodeJS.Timeout | undefined;
  const done = new Promise<'poll'>((resolve) => (handle = setTimeout(() => resolve('poll'), ms)));
  return { done, clear: () => clearTimeout(handle) };
}

export interface DockerEngineOptions {
  /** Bound of each call that is not a stream (default 30 s); a stop gets its grace period on top. */
  timeoutMs?: number;
}

/**
 * The few Docker Engine calls the pod runner needs, with Docker's quirks handled in one place.
 * Every name is checked (assertDockerName) before it is put into a request, every call that is
 * not a stream has a deadline, and a failure is either an answer of the engine (an error with
 * its HTTP `statusCode`) or a DockerUnreachableError: the engine did not answer at all.
 */
export class DockerEngine {
  readonly docker: Docker;
  readonly timeoutMs: number;

  constructor(docker = new Docker(), opts: DockerEngineOptions = {}) {
    this.docker = docker;
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_DOCKER_TIMEOUT_MS;
  }

  /**
   * Runs one request with a deadline: the request is aborted at the deadline, and the promise
   * settles then whatever the request does (a dockerode call that ignores its signal included).
   */
  private async call<T>(what: string, fn: (signal: AbortSignal) => Promise<T>, timeoutMs = this.timeoutMs, controller = new AbortController()): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => {
        controller.abort();
        reject(new DockerUnreachableError(`${what}: the Docker Engine did not answer within ${timeoutMs} ms`));
      }, timeoutMs);
    });
    try {
      return await Promise.race([fn(controller.signal), deadline]);
    } catch (err) {
      if (err instanceof DockerUnreachableError || err instanceof UnsafeNameError || statusCode(err) !== undefined) throw err;
      if (/max redirects/i.test(errorText(err))) throw new DockerRedirectError();
      throw new DockerUnreachableError(`${what}: ${errorText(err)}`, { cause: err });
    } finally {
      clearTimeout(timer);
    }
  }

  private container(idOrName: string): Docker.Container {
    return this.docker.getContainer(assertDockerName('container', idOrName));
  }

  async ping(timeoutMs = PING_TIMEOUT_MS): Promise<boolean> {
    try {
      await this.call('ping', (abortSignal) => withSignal(this.docker, 'ping', abortSignal), Math.min(timeoutMs, this.timeoutMs));
      return true;
    } catch {
      return false;
    }
  }

  /** The Node labels of the host's platform (`kubernetes.io/os`, `kubernetes.io/arch`), those Docker reports. */
  async platformLabels(): Promise<Record<string, string>> {
    const info = (await this.call('info', (abortSignal) => withSignal(this.docker, 'info', abortSignal)).catch(() => ({}))) as { OSType?: unknown; Architecture?: unknown };
    const labels: Record<string, string> = {};
    if (typeof info.OSType === 'string' && info.OSType) labels[LABEL_OS] = info.OSType;
    if (typeof info.Architecture === 'string' && info.Architecture) labels[LABEL_ARCH] = kubernetesArch(info.Architecture);
    return labels;
  }

  /** The host's CPUs and memory (bytes), as the node's capacity. */
  async capacity(): Promise<{ cpu?: number; memory?: number }> {
    const info = (await this.call('info', (abortSignal) => withSignal(this.docker, 'info', abortSignal)).catch(() => ({}))) as { NCPU?: number; MemTotal?: number };
    return { cpu: info.NCPU, memory: info.MemTotal };
  }

  /** GET /images/{name}/json, dialled here because dockerode's image inspect takes no abort signal. */
  private inspectImage(image: string): Promise<Docker.ImageInspectInfo> {
    const name = assertDockerName('image', image);
    return this.call(`inspect image ${name}`, (abortSignal) =>
      new Promise<Docker.ImageInspectInfo>((resolve, reject) => {
        const options = { path: `/images/${name}/json`, method: 'GET', options: {}, abortSignal, statusCodes: { 200: true, 404: 'no such image', 500: 'server error' } };
        this.docker.modem.dial(options, (err: unknown, data: unknown) => (err ? reject(err) : resolve(data as Docker.ImageInspectInfo)));
      }),
    );
  }

  async hasImage(image: string): Promise<boolean> {
    return (await this.imageID(image)) !== undefined;
  }

  /**
   * The image's id as the kubelet reports it in a container status' imageID (dockershim and
   * cri-dockerd: `docker-pullable://<repo>@sha256:…` for an image with a registry digest, else
   * `docker://sha256:…`); undefined when the engine has no such image.
   */
  async imageID(image: string): Promise<string | undefined> {
    try {
      return kubeletImageID(await this.inspectImage(image));
    } catch (err) {
      if (statusCode(err) === 404) return undefined;
      throw err;
    }
  }

  /**
   * The addresses of a running container on its network (IPv4 first, then IPv6): the pod's IPs.
   * Empty for a container in another's or the host's namespace, or one that has exited already.
   */
  async addresses(id: string): Promise<string[]> {
    const info = await this.call(`inspect ${id}`, (abortSignal) => this.container(id).inspect({ abortSignal }));
    return containerAddresses(info.NetworkSettings);
  }

  /** The user an image's config runs its containers as (Docker's `Config.User`; "" means root). */
  async imageUser(image: string): Promise<string> {
    const info = await this.inspectImage(image);
    return typeof info.Config?.User === 'string' ? info.Config.User : '';
  }

  /** Pulls with a deadline, so an unreachable registry fails the pod instead of hanging it. */
  async pull(image: string, timeoutMs: number): Promise<void> {
    const name = assertDockerName('image', image);
    const controller = new AbortController();
    await this.call(
      `pull ${name}`,
      async (abortSignal) => {
        const stream = await this.docker.pull(name, { abortSignal });
        await new Promise<void>((resolve, reject) => {
          this.docker.modem.followProgress(stream, (err) => (err ? reject(err) : resolve()));
        });
      },
      timeoutMs,
      controller,
    );
  }

  /** Creates a container and returns its id; a leftover with the same name (from a crashed run of this node) is replaced. */
  async create(options: Docker.ContainerCreateOptions): Promise<string> {
    const name = assertDockerName('container', options.name);
    assertDockerName('image', options.Image);
    const create = () => this.call(`create container ${name}`, (abortSignal) => this.docker.createContainer({ ...options, abortSignal } as Docker.ContainerCreateOptions));
    let container: Docker.Container;
    try {
      container = await create();
    } catch (err) {
      if (statusCode(err) !== 409) throw err;
      await this.remove(name);
      container = await create();
    }
    return assertDockerName('container', container.id);
  }

  /**
   * Attaches to the container's output before it starts, so each run's output is read exactly
   * once. Resolves with the function that detaches (after the output has drained, 2 s at most).
   */
  async attach(id: string, sink: OutputSink): Promise<() => Promise<void>> {
    const container = this.container(id);
    const controller = new AbortController();
    const stream = (await this.call(`attach ${id}`, (abortSignal) => container.attach({ stream: true, stdout: true, stderr: true, logs: false, abortSignal }), this.timeoutMs, controller)) as NodeJS.ReadableStream;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    stdout.on('data', (chunk: Buffer) => sink('stdout', chunk));
    stderr.on('data', (chunk: Buffer) => sink('stderr', chunk));
    const ended = new Promise<void>((resolve) => {
      stream.on('end', resolve);
      stream.on('close', resolve);
      stream.on('error', () => resolve());
    });
    container.modem.demuxStream(stream, stdout, stderr);
    return async () => {
      const drained = timer(2_000);
      await Promise.race([ended, drained.done]).finally(drained.clear);
      controller.abort();
      (stream as unknown as { destroy?: () => void }).destroy?.();
    };
  }

  async start(id: string): Promise<void> {
    try {
      await this.call(`start ${id}`, (abortSignal) => this.container(id).start({ abortSignal }));
    } catch (err) {
      if (statusCode(err) !== 304) throw err; // 304: already started
    }
  }

  /** What Docker has recorded of the container; a 404 (it is gone) is thrown as Docker's error. */
  async inspect(id: string): Promise<ContainerRecord> {
    const info = await this.call(`inspect ${id}`, (abortSignal) => this.container(id).inspect({ abortSignal }));
    const state = info.State;
    if (state.Running || state.Paused || state.Restarting) return { state: 'running' };
    if (state.Status === 'created') return { state: 'created' };
    return { state: 'exited', exit: toExit(state) };
  }

  /**
   * Waits for the container to stop and reads how it ended. The wait is a long-lived request, so
   * the container is also inspected every WAIT_POLL_MS (each with its deadline): an engine that
   * stops answering is noticed within one poll and one timeout, and thrown as DockerUnreachableError
   * (the caller decides how long to wait for it). Docker may flag OOMKilled a moment after the
   * exit (the OOM event arrives separately), so a memory-limited container killed by SIGKILL is
   * inspected again, for up to OOM_FLAG_WAIT_MS (a loaded daemon was seen to take over 2 s).
   */
  async wait(id: string, pollMs = WAIT_POLL_MS): Promise<ContainerExit> {
    const container = this.container(id);
    const controller = new AbortController();
    try {
      let waiting = container.wait({ condition: 'not-running', abortSignal: controller.signal }).then(
        () => 'exited' as const,
        (err: unknown) => ({ err }),
      );
      for (;;) {
        const poll = timer(pollMs);
        const outcome = await Promise.race([waiting, poll.done]).finally(poll.clear);
        if (outcome === 'exited') break;
        // A poll, or the wait request failed: Docker's record decides (and throws if Docker is gone).
        if ((await this.inspect(id)).state !== 'running') break;
        if (outcome !== 'poll') {
          // The engine answers but the wait request was cut: open another one.
          waiting = container.wait({ condition: 'not-running', abortSignal: controller.signal }).then(
            () => 'exited' as const,
            (err: unknown) => ({ err }),
          );
          await delay(Math.min(pollMs, 500));
        }
      }
    } finally {
      controller.abort();
    }
    return this.exitOf(id);
  }

  private async exitOf(id: string): Promise<ContainerExit> {
    let info = await this.call(`inspect ${id}`, (abortSignal) => this.container(id).inspect({ abortSignal }));
    for (let i = 0; i < OOM_FLAG_WAIT_MS / 100 && info.State.ExitCode === 137 && !info.State.OOMKilled && info.HostConfig.Memory; i++) {
      await delay(100);
      info = await this.call(`inspect ${id}`, (abortSignal) => this.container(id).inspect({ abortSignal }));
    }
    const exit = toExit(info.State);
    return exit.exitCode === 137 && !exit.oomKilled && info.HostConfig.Memory ? { ...exit, killedUnderMemoryLimit: true } : exit;
  }

  async stop(id: string, graceSeconds: number): Promise<void> {
    const t = Math.max(0, Math.floor(graceSeconds));
    try {
      await this.call(`stop ${id}`, (abortSignal) => this.container(id).stop({ t, abortSignal }), t * 1000 + this.timeoutMs);
    } catch (err) {
      const code = statusCode(err);
      if (code !== 304 && code !== 404) throw err;
    }
  }

  async remove(nameOrId: string): Promise<void> {
    try {
      await this.call(`remove ${nameOrId}`, (abortSignal) => this.container(nameOrId).remove({ force: true, v: true, abortSignal }));
    } catch (err) {
      const code = statusCode(err);
      if (code !== 404 && code !== 409) throw err; // 409: removal already in progress
    }
  }

  async createVolume(name: string, labels: Record<string, string>): Promise<void> {
    const volume = assertDockerName('volume', name);
    await this.call(`create volume ${volume}`, (abortSignal) => this.docker.createVolume({ Name: volume, Labels: labels, abortSignal }));
  }

  async removeVolume(name: string): Promise<void> {
    const volume = assertDockerName('volume', name);
    try {
      await this.call(`remove volume ${volume}`, (abortSignal) => this.docker.getVolume(volume).remove({ force: true, abortSignal }));
    } catch (err) {
      if (statusCode(err) !== 404) throw err;
    }
  }

  async listManaged(filters: Record<string, string>): Promise<Docker.ContainerInfo[]> {
    const label = [`${LABELS.managed}=true`, ...Object.entries(filters).map(([k, v]) => `${k}=${v}`)];
    return this.call('list containers', (abortSignal) => this.docker.listContainers({ all: true, filters: { label }, abortSignal }));
  }

  async listManagedVolumes(filters: Record<string, string>): Promise<{ name: string; labels: Record<string, string> }[]> {
    const label = [`${LABELS.managed}=true`, ...Object.entries(filters).map(([k, v]) => `${k}=${v}`)];
    const { Volumes } = await this.call('list volumes', (abortSignal) => this.docker.listVolumes({ filters: { label }, abortSignal }));
    return (Volumes ?? []).map((v) => ({ name: v.Name, labels: v.Labels ?? {} }));
  }
}

/** ping and info take an abort signal (dockerode passes it on); their typings leave it out. */
function withSignal(docker: Docker, method: 'ping' | 'info', abortSignal: AbortSignal): Promise<unknown> {
  return (docker[method] as (this: Docker, opts: { abortSignal: AbortSignal }) => Promise<unknown>).call(docker, { abortSignal });
}

function toExit(state: Docker.ContainerInspectInfo['State']): ContainerExit {
  return {
    exitCode: state.ExitCode,
    oomKilled: state.OOMKilled,
    startedAt: state.StartedAt,
    finishedAt: state.FinishedAt,
    error: state.Error || undefined,
  };
}

/** `docker-pullable://<first repo digest>`, else `docker://<id>` (dockershim's toPullableImageID). */
export function kubeletImageID(info: { Id?: unknown; RepoDigests?: unknown }): string {
  const digests = Array.isArray(info.RepoDigests) ? info.RepoDigests.filter((d): d is string => typeof d === 'string' && d.length > 0) : [];
  if (digests[0]) return `docker-pullable://${digests[0]}`;
  return typeof info.Id === 'string' && info.Id ? `docker://${info.Id}` : '';
}

/** The IPv4 then IPv6 addresses of a container's networks (Docker's NetworkSettings), without duplicates. */
export function containerAddresses(settings: unknown): string[] {
  const out: string[] = [];
  const add = (ip: unknown) => {
    if (typeof ip === 'string' && ip !== '' && !out.includes(ip)) out.push(ip);
  };
  if (typeof settings !== 'object' || settings === null) return out;
  const s = settings as { IPAddress?: unknown; GlobalIPv6Address?: unknown; Networks?: unknown };
  const networks = typeof s.Networks === 'object' && s.Networks !== null ? Object.values(s.Networks as Record<string, unknown>) : [];
  const nets = networks.filter((n): n is { IPAddress?: unknown; GlobalIPv6Address?: unknown } => typeof n === 'object' && n !== null);
  add(s.IPAddress);
  for (const n of nets) add(n.IPAddress);
  add(s.GlobalIPv6Address);
  for (const n of nets) add(n.GlobalIPv6Address);
  return out;
}

export function dockerErrorMessage(err: unknown): string {
  if (typeof err === 'object' && err !== null) {
    const json = (err as { json?: { message?: string } }).json;
    if (json?.message) return json.message;
  }
  return err instanceof Error ? err.message : String(err);
}

/** Docker's architecture (`uname -m`) as Go's GOARCH, which the kubelet's `kubernetes.io/arch` label uses. */
export function kubernetesArch(machine: string): string {
  const arches: Record<string, string> = { x86_64: 'amd64', amd64: 'amd64', aarch64: 'arm64', arm64: 'arm64', armv7l: 'arm', armv6l: 'arm', i386: '386', i686: '386' };
  return Object.hasOwn(arches, machine) ? (arches[machine] ?? machine) : machine;
}
