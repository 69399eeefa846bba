import type Docker from 'dockerode';
import { exponentialBackoff, k8sTime, type Container, type ContainerStatus, type Delays, type Pod, type PodStatus } from '@jobfleet/spec';
import { containerCreateOptions, infraCreateOptions, podLabels, verifyRunAsNonRoot, type ContainerPlacement } from './container-config.js';
import { DockerEngine, dockerErrorMessage, type ContainerExit } from './docker.js';
import type { PodLogWriter } from './log-writer.js';
import { derivePodStatus, runningStatus, terminatedState, terminatedStatus, waitingStatus } from './pod-status.js';

export interface PodRunnerOptions {
  engine: DockerEngine;
  nodeName: string;
  delays: Delays;
  /** Image of the container that holds a multi-container pod's shared network namespace. */
  pauseImage: string;
  /** Pull missing images (with this timeout) instead of failing the pod at once. */
  pullTimeoutMs?: number;
}

/** Publishes a new pod status; resolves false when the pod is gone (its Job was deleted). */
export type StatusReporter = (status: PodStatus) => Promise<boolean>;

interface StopRequest {
  reason: string;
  graceSeconds: number;
}

/**
 * Runs one pod on this node as the kubelet would: emptyDir volumes, an infra container for a shared
 * network namespace when the pod has several containers, init containers in order, then the app
 * containers together; restartPolicy OnFailure restarts a failed container in place after the
 * kubelet's growing delay. `stop()` kills it (deletion, deadline, node drain).
 */
export class PodRunner {
  private readonly containers = new Map<string, Docker.Container>();
  private readonly volumes: string[] = [];
  private infra?: Docker.Container;
  private stopRequest?: StopRequest;
  private readonly stopWaiters: (() => void)[] = [];
  private initStatuses: ContainerStatus[];
  private mainStatuses: ContainerStatus[];

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

  stop(reason: string, graceSeconds: number): void {
    if (this.stopRequest) return;
    this.stopRequest = { reason, graceSeconds };
    for (const wake of this.stopWaiters.splice(0)) wake();
    for (const container of this.containers.values()) void this.opts.engine.stop(container, graceSeconds).catch(() => undefined);
  }

  /**
   * Runs the pod to its end, removes what it created, then reports its final status: a pod is
   * only ever seen finished once its containers are gone, so its replacement never overlaps it.
   */
  async run(): Promise<PodStatus> {
    const deadline = this.startDeadlineTimer();
    let failure: { reason: string; message: string } | undefined;
    try {
      failure = await this.prepare();
      if (!failure) await this.runContainers();
      if (!failure && this.stopRequest) failure = { reason: this.stopRequest.reason, message: 'Pod was stopped' };
    } catch (err) {
      // The engine failed under the pod (it went away, or refused a call): the pod cannot go on.
      this.stop('RunContainerError', 0);
      failure = { reason: 'RunContainerError', message: `the Docker Engine failed: ${dockerErrorMessage(err)}` };
    } finally {
      clearTimeout(deadline);
      await this.cleanup(); // the containers end first, so no output comes after the archive
      await this.logs.finish();
    }
    return this.publish(true, failure);
  }

  private async runContainers(): Promise<void> {
    if (await this.runInitContainers()) {
      await Promise.all(this.pod.spec.containers.map((c) => this.runContainer(c, (s) => this.setStatus(c, s))));
    } else {
      this.mainStatuses = this.mainStatuses.map((s) => ({ ...s, state: { terminated: { exitCode: 1, reason: 'Error', message: 'Init container failed' } } }));
    }
  }

  private startDeadlineTimer(): NodeJS.Timeout | undefined {
    const seconds = this.pod.spec.activeDeadlineSeconds;
    if (seconds === undefined) return undefined;
    return setTimeout(() => this.stop('DeadlineExceeded', 0), seconds * 1000);
  }

  /** Images and volumes; returns a failure (reason, message) when the pod cannot start. */
  private async prepare(): Promise<{ reason: string; message: string } | undefined> {
    const all = [...(this.pod.spec.initContainers ?? []), ...this.pod.spec.containers];
    for (const c of all) {
      const missing = await this.ensureImage(c);
      if (missing) {
        this.setStatus(c, waitingStatus(c, missing.reason, 0, missing.message));
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
        return failure;
      }
    }
    const labels = podLabels(this.pod, this.opts.nodeName);
    const placement: ContainerPlacement = { nodeName: this.opts.nodeName, volumes: new Map(), imageUsers };
    for (const v of this.pod.spec.volumes ?? []) {
      if (v.hostPath) continue; // a bind mount of the host's path, made with the container
      const name = `jf_${this.pod.metadata.uid}_${v.name}`;
      await this.opts.engine.createVolume(name, labels);
      this.volumes.push(name);
      placement.volumes.set(v.name, name);
    }
    if (all.length > 1) placement.networkMode = await this.startInfra(labels);
    this.placement = placement;
    await this.publish(false);
    return undefined;
  }

  private placement: ContainerPlacement = { nodeName: '', volumes: new Map() };
  private readonly startTime = k8sTime(Date.now());

  private async ensureImage(c: Container): Promise<{ reason: string; message: string } | undefined> {
    if (await this.opts.engine.hasImage(c.image)) return undefined;
    const pullTimeout = this.opts.pullTimeoutMs;
    if (c.imagePullPolicy === 'Never' || pullTimeout === undefined) {
      return {
        reason: 'ErrImageNeverPull',
        message: `Container image "${c.image}" is not present on node ${this.opts.nodeName} and this node does not pull images (see JOBFLEET_PULL_TIMEOUT_MS)`,
      };
    }
    try {
      await this.opts.engine.pull(c.image, pullTimeout);
      return undefined;
    } catch (err) {
      return { reason: 'ErrImagePull', message: `Failed to pull image "${c.image}": ${dockerErrorMessage(err)}` };
    }
  }

  /** The users the images run as, for the containers whose securityContext needs them (runAsNonRoot, runAsGroup alone). */
  private async imageUsers(containers: readonly Container[]): Promise<Map<string, string>> {
    const podSc = this.pod.spec.securityContext;
    const users = new Map<string, string>();
    for (const c of containers) {
      const sc = c.securityContext;
      const needsUser = (sc?.runAsUser ?? podSc?.runAsUser) === undefined && ((sc?.runAsNonRoot ?? podSc?.runAsNonRoot) === true || (sc?.runAsGroup ?? podSc?.runAsGroup) !== undefined);
      if (needsUser && !users.has(c.image)) users.set(c.image, await this.opts.engine.imageUser(c.image));
    }
    return users;
  }

  private async startInfra(labels: Record<string, string>): Promise<string> {
    const infra = await this.opts.engine.create(infraCreateOptions(this.pod, labels, this.opts.pauseImage));
    this.infra = infra;
    await this.opts.engine.start(infra);
    return `container:${infra.id}`;
  }

  private async runInitContainers(): Promise<boolean> {
    for (const c of this.pod.spec.initContainers ?? []) {
      if (this.stopRequest) return false;
      const ok = await this.runContainer(c, (s) => this.setInitStatus(c, s));
      if (!ok) return false;
    }
    return true;
  }

  /** One container, restarted in place under OnFailure. Resolves true when it exited 0. */
  private async runContainer(c: Container, setStatus: (s: ContainerStatus) => void): Promise<boolean> {
    let container: Docker.Container;
    try {
      container = await this.opts.engine.create(containerCreateOptions(this.pod, c, this.placement));
    } catch (err) {
      setStatus(terminatedStatus(c, { exitCode: 128, oomKilled: false, error: dockerErrorMessage(err) }, '', 0, { stoppedBy: 'ContainerCannotRun' }));
      return false;
    }
    this.containers.set(c.name, container);
    let restartCount = 0;
    let lastState: ContainerStatus['lastState'];
    for (;;) {
      if (this.stopRequest) return false;
      const exit = await this.runOnce(c, container, restartCount, lastState, setStatus);
      if (exit.exitCode === 0 && !exit.oomKilled) {
        setStatus(terminatedStatus(c, exit, container.id, restartCount, { lastState }));
        await this.publish(false);
        return true;
      }
      if (this.pod.spec.restartPolicy !== 'OnFailure' || this.stopRequest) {
        setStatus(terminatedStatus(c, exit, container.id, restartCount, { lastState }));
        await this.publish(false);
        return false;
      }
      restartCount++;
      lastState = terminatedState(exit, container.id);
      setStatus({ ...waitingStatus(c, 'CrashLoopBackOff', restartCount, `back-off restarting failed container ${c.name}`), lastState });
      if (!(await this.publish(false))) return false;
      const d = this.opts.delays;
      await this.sleepUnlessStopped(exponentialBackoff(restartCount, d.containerRestartBackoffBaseMs, d.containerRestartBackoffMaxMs));
    }
  }

  private async runOnce(
    c: Container,
    container: Docker.Container,
    restartCount: number,
    lastState: ContainerStatus['lastState'],
    setStatus: (s: ContainerStatus) => void,
  ): Promise<ContainerExit> {
    const detach = await this.opts.engine.attach(container, (stream, chunk) => this.logs.write(c.name, stream, chunk));
    try {
      await this.opts.engine.start(container);
    } catch (err) {
      await detach();
      return { exitCode: 128, oomKilled: false, error: dockerErrorMessage(err) };
    }
    // The start call has returned: the container runs now (its exact StartedAt comes with the exit).
    setStatus(runningStatus(c, container.id, new Date().toISOString(), restartCount, lastState));
    await this.publish(false);
    if (this.stopRequest) await this.opts.engine.stop(container, this.stopRequest.graceSeconds);
    const exit = await this.opts.engine.wait(container);
    await detach();
    return exit;
  }

  private setStatus(c: Container, s: ContainerStatus): void {
    this.mainStatuses = this.mainStatuses.map((old) => (old.name === c.name ? s : old));
  }

  private setInitStatus(c: Container, s: ContainerStatus): void {
    this.initStatuses = this.initStatuses.map((old) => (old.name === c.name ? s : old));
  }

  private async publish(finished: boolean, failure?: { reason: string; message: string }): Promise<PodStatus> {
    const base = {
      startTime: this.pod.status.startTime ?? this.startTime,
      ...(this.initStatuses.length ? { initContainerStatuses: this.initStatuses } : {}),
      containerStatuses: this.mainStatuses,
      ...(failure ? { reason: failure.reason, message: failure.message } : {}),
    };
    const status = derivePodStatus(this.pod, base, Date.now(), finished);
    if (finished && failure) status.phase = 'Failed';
    const alive = await this.report(status);
    if (!alive) this.stop('Deleted', this.pod.spec.terminationGracePeriodSeconds ?? 30);
    return status;
  }

  private sleepUnlessStopped(ms: number): Promise<void> {
    if (this.stopRequest || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.stopWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private async cleanup(): Promise<void> {
    const engine = this.opts.engine;
    const ids = [...this.containers.values()].map((c) => c.id);
    if (this.infra) ids.push(this.infra.id);
    await Promise.all(ids.map((id) => engine.remove(id).catch(() => undefined)));
    await Promise.all(this.volumes.map((v) => engine.removeVolume(v).catch(() => undefined)));
  }
}
