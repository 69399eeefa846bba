import { clip, type Logger } from '@jobfleet/controllers';
import { exponentialBackoff, isSidecar, k8sTime, type Container, type ContainerStatus, type Delays, type Pod, type PodStatus } from '@jobfleet/kube';
import type { NewLogChunk } from '@jobfleet/store';
import { containerCreateOptions, infraCreateOptions, podLabels, verifyRunAsNonRoot, type ContainerPlacement } from './container-config.js';
import { DockerEngine, DockerUnreachableError, UnsafeNameError, dockerErrorMessage, statusCode, type ContainerExit } from './docker.js';
import { gpusPerContainer } from './gpu.js';
import type { PodLogWriter } from './log-writer.js';
import { backOffMessage, goDuration, kubeletPodName, type KubeletEvent } from './kubelet-events.js';
import { CONTAINER_STATUS_UNKNOWN, derivePodStatus, runningStatus, terminatedState, terminatedStatus, unknownExit, waitingStatus } from './pod-status.js';

export interface PodRunnerOptions {
  engine: DockerEngine;
  nodeName: string;
  delays: Delays;
  /** Image of the container that holds a multi-container pod's shared network namespace. */
  pauseImage: string;
  /** Pull missing images (with this timeout) instead of failing the pod at once. */
  pullTimeoutMs?: number;
  /**
   * How long the pod waits for an engine that stopped answering (counted from the first call it
   * did not answer) before it fails with ContainerStatusUnknown. Default DEFAULT_DOCKER_OUTAGE_MS.
   */
  dockerOutageMs?: number;
  /** Where the pod's Warning events are also logged (default: nowhere). */
  logger?: Logger;
  /**
   * The NVIDIA GPU ids the pod was assigned (each container gets its share: gpusPerContainer). Set
   * on a node that hands out GPUs, [] for a pod given none (its containers are then fenced off the
   * GPUs); unset on a node without GPUs.
   */
  gpuDevices?: readonly string[];
}

/** Default of PodRunnerOptions.dockerOutageMs: as long as Kubernetes leaves the pods of an unresponsive node (5 min). */
export const DEFAULT_DOCKER_OUTAGE_MS = 300_000;
/** Retry delays while the engine does not answer: doubling from 250 ms up to 5 s. */
const OUTAGE_RETRY_BASE_MS = 250;
const OUTAGE_RETRY_MAX_MS = 5_000;

/**
 * Publishes a new pod status, with the kubelet's events about what happened since the last one
 * (written with it); resolves false when the pod is gone (its Job was deleted). `lastOutput` (at
 * the pod's end): what its log still needs, archived in the same request before the status
 * (PodLogWriter.takeLast).
 */
export type StatusReporter = (status: PodStatus, events?: readonly KubeletEvent[], lastOutput?: NewLogChunk[]) => Promise<boolean>;

interface StopRequest {
  reason: string;
  graceSeconds: number;
  /** When the grace period ends (ms): native sidecars, stopped last, get what is left of it. */
  deadline: number;
}

/** How a container's run is told to stop: the grace period to give it, or undefined while it may run. */
type StopCheck = () => number | undefined;

interface Failure {
  reason: string;
  message: string;
}

/** The engine did not answer for the whole outage budget: the containers' fate is unknown. */
class DockerLostError extends Error {
  constructor(ms: number, cause: unknown) {
    super(`the Docker Engine did not answer for ${Math.round(ms / 1000)} s (${cause instanceof Error ? cause.message : String(cause)})`);
    this.name = 'DockerLostError';
  }
}

/** The runner was abandoned (its worker shuts down or lost its node name): it must do nothing more. */
class AbandonedError extends Error {
  constructor() {
    super('the pod runner was abandoned');
    this.name = 'AbandonedError';
  }
}

/**
 * Runs one pod on this node as the kubelet would: emptyDir volumes, an infra container for a shared
 * network namespace when the pod has several containers, init containers in order, then the app
 * containers together; restartPolicy OnFailure restarts a failed container in place after the
 * kubelet's growing delay. Native sidecars (init containers with restartPolicy Always) start in
 * their turn (the next init container once the sidecar has started), run alongside the app
 * containers, are restarted whenever they exit (with the same back-off), and are stopped in reverse
 * order once the app containers are done (SIGTERM, then SIGKILL when the pod's grace period is
 * spent). `stop()` kills the pod (deletion, deadline, node drain): the app containers first, then
 * the sidecars.
 *
 * What the kubelet records as events (Pulled, Created, Started, Killing, BackOff, Failed) goes
 * with the next status report, so that it is written in the same commit.
 *
 * Whatever goes wrong while preparing or running the pod ends this pod (Failed, with a reason), never
 * the worker. When the engine stops answering, the runner keeps the pod and retries until the engine
 * answers again (then it reads what the containers did meanwhile), for up to `dockerOutageMs`; past
 * that the pod fails with ContainerStatusUnknown and its containers are left, labelled, for the
 * worker's sweep.
 */
export class PodRunner {
  /** Container name → Docker id, of the containers created so far. */
  private readonly containers = new Map<string, string>();
  /** Containers whose current run has started and not ended. */
  private readonly runningNow = new Set<string>();
  /** Container name → the imageID the kubelet reports for it. */
  private readonly imageIDs = new Map<string, string>();
  /** Container name → how its image came to be on the node, for the first Pulled event. */
  private readonly pullNotes = new Map<string, string>();
  private readonly volumes: string[] = [];
  private infra?: string;
  /** The pod's addresses (its network namespace's), once known. */
  private podIPs?: string[];
  private prepared = false;
  private stopRequest?: StopRequest;
  /** Set once the app containers are done (or the pod stops): native sidecars end. */
  private sidecarsStopping = false;
  private sidecarsDeadline?: number;
  /** Sidecar name → its run loop (ends when the sidecar has ended for good). */
  private readonly sidecars = new Map<string, Promise<void>>();
  private sidecarError?: unknown;
  private readonly stopWaiters: (() => void)[] = [];
  private initStatuses: ContainerStatus[];
  private mainStatuses: ContainerStatus[];
  private events: KubeletEvent[] = [];
  /** When the engine stopped answering (ms), while it does not. */
  private outageSince?: number;
  private abandoned = false;
  private finalPublished = false;
  private wakeAbandoned: () => void = () => undefined;
  private readonly abandonedSignal = new Promise<undefined>((resolve) => (this.wakeAbandoned = () => resolve(undefined)));

  constructor(
    private readonly pod: Pod,
    private readonly opts: PodRunnerOptions,
    private readonly report: StatusReporter,
    private readonly logs: PodLogWriter,
  ) {
    this.initStatuses = (pod.spec.initContainers ?? []).map((c) => waitingStatus(c, 'PodInitializing'));
    this.mainStatuses = pod.spec.containers.map((c) => waitingStatus(c, pod.spec.initContainers?.length ? 'PodInitializing' : 'ContainerCreating'));
  }

  /** Why the pod was stopped, if it was. */
  get stopReason(): string | undefined {
    return this.stopRequest?.reason;
  }

  /**
   * Stops the pod: SIGTERM to every running container but the native sidecars, SIGKILL after
   * `graceSeconds`; the sidecars follow once the others have ended, within what is left of the
   * grace period (all at once when it is 0).
   */
  stop(reason: string, graceSeconds: number): void {
    if (this.stopRequest) {
      this.shortenStop(graceSeconds);
      return;
    }
    this.stopRequest = { reason, graceSeconds, deadline: Date.now() + graceSeconds * 1000 };
    if (graceSeconds <= 0) this.sidecarsStopping = true;
    for (const wake of this.stopWaiters.splice(0)) wake();
    let killing = false;
    for (const [name, id] of this.containers) {
      const c = this.spec(name);
      if (c && isSidecar(c) && graceSeconds > 0) continue;
      if (c && this.runningNow.has(name)) {
        this.event(c, 'Normal', 'Killing', `Stopping container ${name}`);
        killing = true;
      }
      void this.opts.engine.stop(id, graceSeconds).catch(() => undefined);
    }
    // Recorded now, as the kubelet does when it starts killing: the pod (being deleted) may be gone once its containers are.
    if (killing) void this.publish(false).catch(() => undefined);
  }

  /**
   * A later stop with a shorter grace (a second DELETE with a smaller gracePeriodSeconds, as the
   * kubelet honours): the containers still running get the new, earlier deadline.
   */
  private shortenStop(graceSeconds: number): void {
    const request = this.stopRequest;
    const deadline = Date.now() + graceSeconds * 1000;
    if (!request || deadline >= request.deadline) return;
    request.deadline = deadline;
    request.graceSeconds = graceSeconds;
    if (this.sidecarsDeadline !== undefined) this.sidecarsDeadline = Math.min(this.sidecarsDeadline, deadline);
    for (const [name, id] of this.containers) {
      if (this.runningNow.has(name)) void this.opts.engine.stop(id, graceSeconds).catch(() => undefined);
    }
  }

  /**
   * Gives up on the pod at once: run() resolves undefined, and the runner reports nothing more and
   * removes nothing. Its pod stays as last reported, on this node, and its containers stay labelled
   * with the node's name: the next worker of this name reads what they did (or the node monitor
   * ends the pod if none comes).
   */
  abandon(): void {
    this.abandoned = true;
    for (const wake of this.stopWaiters.splice(0)) wake();
    this.wakeAbandoned();
  }

  /**
   * Runs the pod to its end, removes what it created, then reports its final status: a pod is
   * only ever seen finished once its containers are gone, so its replacement never overlaps it.
   * Resolves undefined when the runner was abandoned.
   */
  async run(): Promise<PodStatus | undefined> {
    const work = this.runToEnd();
    work.catch(() => undefined); // past an abandon nobody awaits it
    return Promise.race([work, this.abandonedSignal]);
  }

  private async runToEnd(): Promise<PodStatus | undefined> {
    const deadline = this.startDeadlineTimer();
    let failure: Failure | undefined;
    let lastOutput: NewLogChunk[] | undefined;
    try {
      failure = await this.prepare();
      if (!failure) await this.runContainers();
      // A stop decides the end only of a pod whose containers did not all succeed: the recorded exits decide, as in the kubelet.
      if (!failure && this.stopRequest && !this.allSucceeded()) failure = { reason: this.stopRequest.reason, message: 'Pod was stopped' };
    } catch (err) {
      if (this.abandoned) return undefined;
      failure = this.failureOf(err);
      if (failure.reason !== CONTAINER_STATUS_UNKNOWN.reason) this.event(undefined, 'Warning', 'Failed', `Error: ${failure.message}`);
      this.stop(failure.reason, 0);
    } finally {
      clearTimeout(deadline);
      if (!this.abandoned) {
        await this.cleanup(this.outageSince !== undefined); // the containers end first, so no output comes after the archive
        lastOutput = await this.logs.takeLast();
      }
    }
    if (this.abandoned) return undefined;
    // The log is archived with the final status, in the same request and before it.
    return this.publish(true, failure, lastOutput);
  }

  /** How a failure that stopped the pod is reported. */
  private failureOf(err: unknown): Failure {
    if (err instanceof DockerLostError && this.containers.size === 0 && !this.infra) return { reason: 'RunContainerError', message: err.message }; // nothing ran yet
    if (err instanceof DockerLostError) {
      const now = Date.now();
      const unknown = (s: ContainerStatus): ContainerStatus =>
        s.state.running ? { ...s, ready: false, started: false, state: terminatedState(unknownExit(now), s.containerID?.replace(/^docker:\/\//, '') ?? '') } : s;
      this.initStatuses = this.initStatuses.map(unknown);
      this.mainStatuses = this.mainStatuses.map(unknown);
      return { reason: CONTAINER_STATUS_UNKNOWN.reason, message: `${CONTAINER_STATUS_UNKNOWN.message}: ${err.message}` };
    }
    if (err instanceof UnsafeNameError) return { reason: err.kind === 'image' ? 'InvalidImageName' : 'CreateContainerConfigError', message: err.message };
    if (statusCode(err) !== undefined || err instanceof DockerUnreachableError) return { reason: 'RunContainerError', message: `the Docker Engine failed: ${dockerErrorMessage(err)}` };
    return { reason: 'RunContainerError', message: `the pod could not be run: ${err instanceof Error ? err.message : String(err)}` };
  }

  private allSucceeded(): boolean {
    return this.mainStatuses.length > 0 && this.mainStatuses.every((s) => s.state.terminated?.exitCode === 0);
  }

  /**
   * One Docker call; while the engine does not answer (connection refused or cut, or no answer in
   * time) it is retried with a growing delay, for up to the outage budget. Calls must be safe to
   * repeat (create replaces a namesake, start and stop accept a container already in that state).
   */
  private async withEngine<T>(call: () => Promise<T>): Promise<T> {
    for (;;) {
      if (this.abandoned) throw new AbandonedError();
      try {
        const result = await call();
        this.outageSince = undefined;
        return result;
      } catch (err) {
        if (!(err instanceof DockerUnreachableError)) throw err;
        await this.awaitEngine(err);
      }
    }
  }

  /** Waits until the engine answers a ping again; throws DockerLostError once the outage budget is spent. */
  private async awaitEngine(cause: unknown): Promise<void> {
    const budget = this.opts.dockerOutageMs ?? DEFAULT_DOCKER_OUTAGE_MS;
    this.outageSince ??= Date.now();
    for (let attempt = 1; ; attempt++) {
      if (this.abandoned) throw new AbandonedError();
      const left = this.outageSince + budget - Date.now();
      if (left <= 0) throw new DockerLostError(budget, cause);
      await this.sleepUnlessAbandoned(Math.min(left, exponentialBackoff(attempt, OUTAGE_RETRY_BASE_MS, OUTAGE_RETRY_MAX_MS)));
      if (!this.abandoned && (await this.opts.engine.ping())) return;
    }
  }

  /**
   * Init containers in order, then the app containers together; then the native sidecars are
   * stopped. After a failed init container the app containers stay waiting, as in Kubernetes.
   */
  private async runContainers(): Promise<void> {
    if (await this.runInitContainers()) {
      // Every container's loop ends before the pod does (an outage ends them all at the same time).
      const results = await Promise.allSettled(this.pod.spec.containers.map((c) => this.runContainer(c, (s) => this.setStatus(c, s))));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    await this.stopSidecars();
  }

  private startDeadlineTimer(): NodeJS.Timeout | undefined {
    const seconds = this.pod.spec.activeDeadlineSeconds;
    if (seconds === undefined) return undefined;
    return setTimeout(() => this.stop('DeadlineExceeded', 0), seconds * 1000);
  }

  /** Images and volumes; returns a failure (reason, message) when the pod cannot start. */
  private async prepare(): Promise<Failure | undefined> {
    const all = [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers];
    for (const c of all) {
      const missing = await this.ensureImage(c);
      if (missing) {
        this.setStatus(c, waitingStatus(c, missing.reason, 0, missing.message));
        this.setInitStatus(c, waitingStatus(c, missing.reason, 0, missing.message));
        this.event(c, 'Warning', 'Failed', `Error: ${missing.reason}`);
        return missing;
      }
    }
    const imageUsers = await this.imageUsers(all);
    for (const c of all) {
      const refused = verifyRunAsNonRoot(this.pod, c, imageUsers.get(c.image) ?? '');
      if (refused) {
        const failure = { reason: 'CreateContainerConfigError', message: refused };
        this.setStatus(c, waitingStatus(c, failure.reason, 0, failure.message));
        this.setInitStatus(c, waitingStatus(c, failure.reason, 0, failure.message));
        this.event(c, 'Warning', 'Failed', `Error: ${refused}`);
        return failure;
      }
    }
    const labels = podLabels(this.pod, this.opts.nodeName);
    const gpus = this.opts.gpuDevices && gpusPerContainer(this.pod, this.opts.gpuDevices);
    const placement: ContainerPlacement = { nodeName: this.opts.nodeName, volumes: new Map(), imageUsers, ...(gpus ? { gpus } : {}) };
    for (const v of this.pod.spec.volumes ?? []) {
      if (v.hostPath) continue; // a bind mount of the host's path, made with the container
      const name = `jf_${this.pod.metadata.uid}_${v.name}`;
      this.volumes.push(name);
      await this.withEngine(() => this.opts.engine.createVolume(name, labels));
      placement.volumes.set(v.name, name);
    }
    if (all.length > 1) placement.networkMode = await this.startInfra(labels);
    this.placement = placement;
    this.prepared = true;
    // Reported beside the containers' creation, not before it (a report on every pod's path to its
    // start); reports keep their order, and one that finds the pod gone stops it.
    void this.publish(false).catch(() => undefined);
    return undefined;
  }

  private placement: ContainerPlacement = { nodeName: '', volumes: new Map() };
  private readonly startTime = k8sTime(Date.now());

  /** The image must be on the node (pulled when the node pulls); records its imageID. */
  private async ensureImage(c: Container): Promise<Failure | undefined> {
    const present = await this.withEngine(() => this.opts.engine.imageID(c.image));
    if (present !== undefined) {
      this.imageIDs.set(c.name, present);
      return undefined;
    }
    const pullTimeout = this.opts.pullTimeoutMs;
    if (c.imagePullPolicy === 'Never' || pullTimeout === undefined) {
      // What to do about it, in the message every client shows (describe, get events, run's error line).
      const message =
        c.imagePullPolicy === 'Never'
          ? `Container image "${c.image}" is not present on node ${this.opts.nodeName} with pull policy of Never; build or load it on that node (docker build -t ${c.image} …, docker load -i FILE)`
          : `Container image "${c.image}" is not present on node ${this.opts.nodeName} and this node does not pull images; build or load it on that node (docker build -t ${c.image} …, docker load -i FILE), or set JOBFLEET_PULL_TIMEOUT_MS on the worker to let it pull`;
      this.event(c, 'Warning', 'ErrImageNeverPull', message);
      return { reason: 'ErrImageNeverPull', message };
    }
    this.event(c, 'Normal', 'Pulling', `Pulling image "${c.image}"`);
    const began = Date.now();
    try {
      await this.opts.engine.pull(c.image, pullTimeout);
      const took = goDuration(Date.now() - began);
      this.pullNotes.set(c.name, `Successfully pulled image "${c.image}" in ${took} (${took} including waiting)`);
      this.imageIDs.set(c.name, (await this.withEngine(() => this.opts.engine.imageID(c.image))) ?? '');
      return undefined;
    } catch (err) {
      const message = `Failed to pull image "${c.image}": ${dockerErrorMessage(err)}`;
      this.event(c, 'Warning', 'Failed', message);
      return { reason: 'ErrImagePull', message };
    }
  }

  /** The users the images run as, for the containers whose securityContext needs them (runAsNonRoot, runAsGroup alone). */
  private async imageUsers(containers: readonly Container[]): Promise<Map<string, string>> {
    const podSc = this.pod.spec.securityContext;
    const users = new Map<string, string>();
    for (const c of containers) {
      const sc = c.securityContext;
      const needsUser = (sc?.runAsUser ?? podSc?.runAsUser) === undefined && ((sc?.runAsNonRoot ?? podSc?.runAsNonRoot) === true || (sc?.runAsGroup ?? podSc?.runAsGroup) !== undefined);
      if (needsUser && !users.has(c.image)) users.set(c.image, await this.withEngine(() => this.opts.engine.imageUser(c.image)));
    }
    return users;
  }

  private async startInfra(labels: Record<string, string>): Promise<string> {
    const options = infraCreateOptions(this.pod, labels, this.opts.pauseImage);
    const infra = await this.withEngine(() => this.opts.engine.create(options));
    this.infra = infra;
    await this.withEngine(() => this.opts.engine.start(infra));
    // The infra container holds the pod's network namespace: its address is the pod's.
    if (this.pod.spec.hostNetwork !== true) this.podIPs = await this.opts.engine.addresses(infra).catch(() => []);
    return `container:${infra}`;
  }

  /** Regular init containers run to completion in order; a sidecar lets the next one start once it has started. */
  private async runInitContainers(): Promise<boolean> {
    for (const c of this.pod.spec.initContainers ?? []) {
      if (this.stopRequest) return false;
      const ok = isSidecar(c) ? await this.startSidecar(c) : await this.runContainer(c, (s) => this.setInitStatus(c, s));
      if (!ok) return false;
    }
    return true;
  }

  /** Creates a container; undefined (its status saying why) when Docker refuses its configuration. */
  private async createContainer(c: Container, setStatus: (s: ContainerStatus) => void): Promise<string | undefined> {
    try {
      const options = containerCreateOptions(this.pod, c, this.placement);
      const id = await this.withEngine(() => this.opts.engine.create(options));
      this.containers.set(c.name, id);
      return id;
    } catch (err) {
      if (err instanceof DockerLostError || err instanceof AbandonedError || err instanceof UnsafeNameError) throw err;
      const message = dockerErrorMessage(err);
      this.event(c, 'Warning', 'Failed', `Error: ${message}`);
      setStatus(this.withImage(c, terminatedStatus(c, { exitCode: 128, oomKilled: false, error: message }, '', 0, { stoppedBy: 'ContainerCannotRun' })));
      return undefined;
    }
  }

  /** One container, restarted in place under OnFailure. Resolves true when it exited 0. */
  private async runContainer(c: Container, setStatus: (s: ContainerStatus) => void): Promise<boolean> {
    const id = await this.createContainer(c, setStatus);
    if (id === undefined) return false;
    let restartCount = 0;
    let lastState: ContainerStatus['lastState'];
    const stopCheck: StopCheck = () => this.stopRequest?.graceSeconds;
    for (;;) {
      if (this.stopRequest) return false;
      const exit = await this.runOnce(c, id, restartCount, lastState, setStatus, stopCheck);
      if (exit.exitCode === 0 && !exit.oomKilled) {
        setStatus(this.withImage(c, terminatedStatus(c, exit, id, restartCount, { lastState })));
        if (!this.lastToEnd(c)) await this.publish(false);
        return true;
      }
      if (this.pod.spec.restartPolicy !== 'OnFailure' || this.stopRequest || exit.reason) {
        setStatus(this.withImage(c, terminatedStatus(c, exit, id, restartCount, { lastState })));
        if (!this.lastToEnd(c)) await this.publish(false);
        return false;
      }
      restartCount++;
      lastState = terminatedState(exit, id);
      if (!(await this.backOff(c, id, restartCount, lastState, setStatus))) return false;
    }
  }

  /**
   * Whether `c`, which has just ended for good, ends the pod: every other app container has ended
   * and there is no native sidecar to stop. Its terminated status then goes with the pod's final
   * one, a removal (~6 ms) later, as the kubelet reports the two together, instead of in a report of
   * its own on the pod's path to its end (and to its Job's next pod).
   */
  private lastToEnd(c: Container): boolean {
    return this.mainStatuses.every((s) => s.name === c.name || s.state.terminated !== undefined) && !(this.pod.spec.initContainers ?? []).some(isSidecar);
  }

  /** Waits the kubelet's back-off before a container's next run (CrashLoopBackOff); false when the pod is gone. */
  private async backOff(c: Container, id: string, restartCount: number, lastState: ContainerStatus['lastState'], setStatus: (s: ContainerStatus) => void): Promise<boolean> {
    const d = this.opts.delays;
    const delay = exponentialBackoff(restartCount, d.containerRestartBackoffBaseMs, d.containerRestartBackoffMaxMs);
    const waiting = waitingStatus(c, 'CrashLoopBackOff', restartCount, backOffMessage(delay, c.name, this.pod));
    setStatus(this.withImage(c, { ...waiting, containerID: `docker://${id}`, lastState: lastState ?? {} }));
    this.event(c, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${kubeletPodName(this.pod)}`);
    if (!(await this.publish(false))) return false;
    await this.sleepUnlessStopped(delay, isSidecar(c));
    return true;
  }

  /** Starts a native sidecar's run loop; resolves true once it has started, false when it never will. */
  private startSidecar(c: Container): Promise<boolean> {
    let signal: (started: boolean) => void = () => undefined;
    const started = new Promise<boolean>((resolve) => (signal = resolve));
    const loop = this.runSidecar(c, () => signal(true)).then(
      () => signal(false),
      (err: unknown) => {
        this.sidecarError ??= err;
        signal(false);
      },
    );
    this.sidecars.set(c.name, loop);
    return started;
  }

  /** A native sidecar: restarted whenever it exits (Always), with the kubelet's back-off, until the pod no longer needs it. */
  private async runSidecar(c: Container, onStarted: () => void): Promise<void> {
    const setStatus = (s: ContainerStatus) => this.setInitStatus(c, s);
    const id = await this.createContainer(c, setStatus);
    if (id === undefined) return;
    let restartCount = 0;
    let lastState: ContainerStatus['lastState'];
    const ending = () => this.sidecarsStopping || this.stopRequest !== undefined || this.abandoned;
    const stopCheck: StopCheck = () => (this.sidecarsStopping ? this.sidecarGraceSeconds() : undefined);
    while (!ending()) {
      const exit = await this.runOnce(c, id, restartCount, lastState, setStatus, stopCheck, onStarted);
      if (ending()) {
        setStatus(this.withImage(c, terminatedStatus(c, exit, id, restartCount, { lastState })));
        await this.publish(false);
        return;
      }
      restartCount++;
      lastState = terminatedState(exit, id);
      if (!(await this.backOff(c, id, restartCount, lastState, setStatus))) return;
    }
  }

  /** What is left of the grace period for the sidecars, in whole seconds (the pod's whole period when nothing stopped it). */
  private sidecarGraceSeconds(): number {
    this.sidecarsDeadline ??= this.stopRequest?.deadline ?? Date.now() + (this.pod.spec.terminationGracePeriodSeconds ?? 30) * 1000;
    return Math.max(0, Math.floor((this.sidecarsDeadline - Date.now()) / 1000));
  }

  /**
   * The app containers are done: the native sidecars are stopped in reverse order, each once the
   * one after it has ended, sharing the pod's grace period (the kubelet's termination ordering).
   */
  private async stopSidecars(): Promise<void> {
    this.sidecarsStopping = true;
    for (const wake of this.stopWaiters.splice(0)) wake(); // sidecars waiting out a back-off end there
    const sidecars = (this.pod.spec.initContainers ?? []).filter(isSidecar).reverse();
    for (const c of sidecars) {
      const loop = this.sidecars.get(c.name);
      if (!loop) continue;
      const id = this.containers.get(c.name);
      if (id !== undefined && this.runningNow.has(c.name)) {
        this.event(c, 'Normal', 'Killing', `Stopping container ${c.name}`);
        await this.opts.engine.stop(id, this.sidecarGraceSeconds()).catch(() => undefined);
      }
      await loop;
    }
    if (this.sidecarError !== undefined) throw this.sidecarError;
  }

  /**
   * One run of a created container: attach, start, wait for its exit. When the engine stops
   * answering mid-run, waits for it (up to the outage budget) and carries on from what Docker
   * recorded: the exit, if the container ended meanwhile, else a new attach and wait.
   */
  private async runOnce(
    c: Container,
    id: string,
    restartCount: number,
    lastState: ContainerStatus['lastState'],
    setStatus: (s: ContainerStatus) => void,
    stopCheck: StopCheck,
    onStarted?: () => void,
  ): Promise<ContainerExit> {
    const engine = this.opts.engine;
    // Each run's output is its own: `logs --previous` reads the run before the current one.
    const sink = (stream: 'stdout' | 'stderr', chunk: Buffer) => this.logs.write(c.name, stream, chunk, restartCount);
    let detach = await this.withEngine(() => engine.attach(id, sink));
    this.event(c, 'Normal', 'Pulled', this.pullNotes.get(c.name) ?? `Container image "${c.image}" already present on machine`);
    this.pullNotes.delete(c.name);
    this.event(c, 'Normal', 'Created', `Created container: ${c.name}`);
    try {
      await this.withEngine(() => engine.start(id));
    } catch (err) {
      await detach();
      if (statusCode(err) === undefined) throw err;
      this.event(c, 'Warning', 'Failed', `Error: ${dockerErrorMessage(err)}`);
      return { exitCode: 128, oomKilled: false, error: dockerErrorMessage(err) };
    }
    this.runningNow.add(c.name);
    this.event(c, 'Normal', 'Started', `Started container ${c.name}`);
    // The start call has returned: the container runs now (its exact StartedAt comes with the exit).
    const startedAt = new Date().toISOString();
    // The Running status is made and reported beside the wait for the exit, not before it: a short
    // container has often exited by then, and an inspect (~30 ms) and a report were on its path.
    // It is set and reported before the exit's status (awaited below).
    const running = (async () => {
      // A pod whose only container is in its own network namespace: its address is the pod's (read once; a container that is gone already has none).
      if (this.podIPs === undefined && !this.infra && this.pod.spec.hostNetwork !== true) this.podIPs = await engine.addresses(id).catch(() => []);
      setStatus(this.withImage(c, runningStatus(c, id, startedAt, restartCount, lastState)));
      await this.publish(false);
      onStarted?.();
    })();
    running.catch(() => undefined); // awaited below; handled meanwhile
    try {
      for (;;) {
        const grace = stopCheck();
        if (grace !== undefined) await engine.stop(id, grace).catch(() => undefined);
        try {
          const exit = await engine.wait(id);
          this.outageSince = undefined;
          await detach();
          // jobfleet's own SIGKILL after the grace period is no OOM kill, whatever the memory limit.
          if (exit.killedUnderMemoryLimit && stopCheck() !== undefined) return { ...exit, killedUnderMemoryLimit: false };
          return exit;
        } catch (err) {
          await detach();
          // Removed behind the runner's back (it cannot be told what the container did).
          if (statusCode(err) === 404) return unknownExit(Date.now());
          if (!(err instanceof DockerUnreachableError)) throw err;
          await this.awaitEngine(err);
          // The engine answers again. Output written while it did not is not in the log.
          const record = await this.withEngine(() => engine.inspect(id)).catch((e: unknown) => {
            if (statusCode(e) === 404) return undefined;
            throw e;
          });
          if (!record) return unknownExit(Date.now());
          if (record.state === 'running') detach = await this.withEngine(() => engine.attach(id, sink));
          else detach = async () => undefined;
        }
      }
    } finally {
      await running;
      this.runningNow.delete(c.name);
    }
  }

  private spec(name: string): Container | undefined {
    return [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers].find((c) => c.name === name);
  }

  /** A status with the container's imageID, as the kubelet reports it once the image is known. */
  private withImage(c: Container, s: ContainerStatus): ContainerStatus {
    return { ...s, imageID: this.imageIDs.get(c.name) ?? s.imageID ?? '' };
  }

  /** Records one of the kubelet's events about the pod (or one of its containers); it goes with the next status report. */
  private event(c: Container | undefined, type: KubeletEvent['type'], reason: string, message: string): void {
    const field = c ? `spec.${this.pod.spec.containers.includes(c) ? 'containers' : 'initContainers'}{${c.name}}` : undefined;
    this.events.push({ type, reason, message, at: Date.now(), ...(field ? { fieldPath: field } : {}) });
    // What users must act on is in the node's log too; a crash-looping container's BackOff only at debug (it repeats).
    if (type === 'Warning' && this.opts.logger) {
      const fields = { pod: `${this.pod.metadata.namespace ?? 'default'}/${clip(this.pod.metadata.name ?? '', 253)}`, node: this.opts.nodeName, ...(c ? { container: clip(c.name, 253), image: clip(c.image, 512) } : {}), reason, message: clip(message) };
      // "Error: ErrImageNeverPull" and the like repeat the event just before, which said what happened.
      if (reason === 'BackOff' || /^Error: [A-Za-z]+$/.test(message)) this.opts.logger.debug(fields, `pod event ${reason}`);
      else this.opts.logger.warn(fields, `pod event ${reason}: ${clip(message)}`);
    }
  }

  private setStatus(c: Container, s: ContainerStatus): void {
    this.mainStatuses = this.mainStatuses.map((old) => (old.name === c.name ? s : old));
  }

  private setInitStatus(c: Container, s: ContainerStatus): void {
    this.initStatuses = this.initStatuses.map((old) => (old.name === c.name ? s : old));
  }

  /** Reports the pod's status; reports go one at a time, each with the statuses of its turn, so none overtakes a later one. */
  private publish(finished: boolean, failure?: Failure, lastOutput?: NewLogChunk[]): Promise<PodStatus> {
    const next = this.publishing.then(() => this.publishNow(finished, failure, lastOutput));
    this.publishing = next.catch(() => undefined);
    return next;
  }

  private publishing: Promise<unknown> = Promise.resolve();

  private async publishNow(finished: boolean, failure?: Failure, lastOutput?: NewLogChunk[]): Promise<PodStatus> {
    const ips = this.podIPs ?? [];
    const base = {
      startTime: this.pod.status.startTime ?? this.startTime,
      ...(ips[0] ? { podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : {}),
      ...(this.initStatuses.length ? { initContainerStatuses: this.initStatuses } : {}),
      containerStatuses: this.mainStatuses,
      ...(failure ? { reason: failure.reason, message: failure.message } : {}),
    };
    const status = derivePodStatus(this.pod, base, Date.now(), finished, { sandboxReady: this.prepared && !finished });
    if (finished && failure) status.phase = 'Failed';
    // Nothing is reported after the end, or by an abandoned runner (its pod is someone else's now).
    if (this.abandoned || this.finalPublished) return status;
    if (finished) this.finalPublished = true;
    const events = this.events;
    this.events = [];
    // A log follower stops at a terminated container: what it printed must be in the log before a
    // status says so (the final status carries its last output itself).
    if (!finished) await this.logs.flush();
    const alive = await this.report(status, events, lastOutput);
    if (!alive) this.stop('Deleted', this.pod.spec.terminationGracePeriodSeconds ?? 30);
    return status;
  }

  /** Sleeps unless the pod stops (a sidecar's sleep also ends once the sidecars are being stopped). */
  private sleepUnlessStopped(ms: number, sidecar = false): Promise<void> {
    if (this.stopRequest || this.abandoned || (sidecar && this.sidecarsStopping) || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.stopWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async sleepUnlessAbandoned(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.abandonedSignal]);
    clearTimeout(timer);
  }

  /**
   * Removes the pod's containers and volumes, one attempt each. What cannot be removed (the engine
   * is gone) stays, labelled with the node's name, for the worker's sweep of orphans.
   */
  private async cleanup(engineLost: boolean): Promise<void> {
    this.sidecarsStopping = true;
    for (const wake of this.stopWaiters.splice(0)) wake();
    if (engineLost) return;
    const engine = this.opts.engine;
    const ids = [...this.containers.values()];
    if (this.infra) ids.push(this.infra);
    await Promise.all(ids.map((id) => engine.remove(id).catch(() => undefined)));
    await Promise.all(this.volumes.map((v) => engine.removeVolume(v).catch(() => undefined)));
    // Sidecar loops end once their containers are gone (a removed container's wait ends).
    await Promise.allSettled(this.sidecars.values());
  }
}
