/**
 * `run`'s log streaming: follows each pod of the Job once, as soon as its container has started, and
 * writes its lines, prefixed with `[pod-name] ` when asked (the Job runs several pods).
 */
import type { JobfleetClient } from '@jobfleet/client';
import type { Pod } from '@jobfleet/kube';
import { errorMessage } from './errors.js';

export interface LogSink {
  writeLine(line: string): void;
  warn(message: string): void;
}

export interface PodLogFollowerOptions {
  /** Prefix every line with `[pod-name] `. */
  prefix: boolean;
  /** How often the pod list is refreshed while the Job runs. */
  refreshIntervalMs?: number;
  /** How many times a pod whose log is not available yet is tried again. */
  maxAttempts?: number;
}

export class PodLogFollower {
  private readonly streams = new Map<string, Promise<void>>();
  private readonly attempts = new Map<string, number>();
  private readonly abort = new AbortController();
  private refreshing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: JobfleetClient,
    private readonly listPods: (signal: AbortSignal) => Promise<Pod[]>,
    private readonly sink: LogSink,
    private readonly options: PodLogFollowerOptions,
  ) {}

  /** Starts refreshing the pod list periodically. */
  start(): void {
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.options.refreshIntervalMs ?? 1000);
  }

  /** Lists the pods now and follows the new ones; concurrent calls share one listing. */
  refresh(): Promise<void> {
    this.refreshing ??= this.listPods(this.abort.signal)
      .then((pods) => this.follow(pods))
      .finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  /**
   * Follows every pod whose container has started, once per run: a container restarted in place
   * (OnFailure) has a log per run, and a follow ends with its run, as with the kubelet.
   */
  follow(pods: readonly Pod[]): void {
    for (const pod of pods) {
      const name = pod.metadata.name;
      const container = pod.spec.containers[0]?.name;
      if (!name || !containerStarted(pod)) continue;
      const key = `${name}#${logRun(pod, container)}`;
      if (this.streams.has(key)) continue;
      this.streams.set(key, this.stream(key, name, container));
    }
  }

  /** Final pass once the Job finished: follow the last pods, wait for their logs to end (at most timeoutMs). */
  async finish(timeoutMs: number): Promise<void> {
    this.stopRefreshing();
    await this.refresh().catch((error: unknown) => this.sink.warn(`cannot list the Job's pods: ${errorMessage(error)}`));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([Promise.all(this.streams.values()), deadline]);
    clearTimeout(timer);
    this.stop();
  }

  /** Stops everything (streams included). */
  stop(): void {
    this.stopRefreshing();
    this.abort.abort();
  }

  private stopRefreshing(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  private async stream(key: string, podName: string, container: string | undefined): Promise<void> {
    let delivered = false;
    try {
      const lines = this.client.streamLogs(podName, { follow: true, signal: this.abort.signal, ...(container ? { container } : {}) });
      for await (const line of lines) {
        delivered = true;
        this.sink.writeLine(this.format(podName, line));
      }
    } catch (error) {
      if (this.abort.signal.aborted) return;
      if (!delivered && this.retryLater(key)) return;
      this.sink.warn(`cannot stream the logs of pod/${podName}: ${errorMessage(error)}`);
    }
  }

  /** A log that is not available yet (e.g. container still being created) is tried again at the next refresh. */
  private retryLater(key: string): boolean {
    const attempts = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempts);
    if (attempts >= (this.options.maxAttempts ?? 5)) return false;
    this.streams.delete(key);
    return true;
  }

  private format(podName: string, line: string): string {
    return this.options.prefix ? `[${podName}] ${line}` : line;
  }
}

/** The run of the container the API serves the log of now: the current one, or while it waits to restart, the last. */
export function logRun(pod: Pod, container: string | undefined): number {
  const s = (pod.status.containerStatuses ?? []).find((c) => c.name === container);
  const restarts = s?.restartCount ?? 0;
  if (s?.state.running || s?.state.terminated || !s?.lastState?.terminated || restarts < 1) return restarts;
  return restarts - 1;
}

/** A pod's log exists once a container is running or has terminated. */
export function containerStarted(pod: Pod): boolean {
  if (pod.status.phase === 'Running' || pod.status.phase === 'Succeeded' || pod.status.phase === 'Failed') return true;
  return (pod.status.containerStatuses ?? []).some((s) => s.state.running !== undefined || s.state.terminated !== undefined);
}
