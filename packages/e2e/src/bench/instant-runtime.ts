/**
 * BENCHMARK ONLY. A pod runtime that "runs" every pod instantly, for measuring jobfleet's control
 * plane (API, Job controller, task queue, status reports, log writes) without Docker in the way.
 * It is never a default anywhere: only the benchmarks pass it as `WorkerNodeOptions.runtime`.
 *
 * Given a pod it reports Running, writes one short log line through the worker's PodLogWriter,
 * then reports Succeeded (every container terminated, exit code 0, reason Completed), exactly the
 * sequence of Redis writes a real pod of one quick container causes.
 */
import { k8sTime, type ContainerStatus, type PodStatus } from '@jobfleet/kube';
import { derivePodStatus, type PodRuntime, type RunningPodLike } from '@jobfleet/worker';

export const BENCH_LOG_LINE = 'ok\n';

export const instantRuntime: PodRuntime = (pod, report, logs): RunningPodLike => {
  let stopReason: string | undefined;
  const startTime = pod.status.startTime ?? k8sTime(Date.now());
  const containerID = (name: string) => `instant://${pod.metadata.uid ?? ''}/${name}`;
  return {
    get stopReason() {
      return stopReason;
    },
    stop(reason: string) {
      stopReason ??= reason;
    },
    async run(): Promise<PodStatus> {
      const startedAt = k8sTime(Date.now());
      const running: ContainerStatus[] = pod.spec.containers.map((c) => ({
        name: c.name,
        image: c.image,
        containerID: containerID(c.name),
        ready: true,
        started: true,
        restartCount: 0,
        state: { running: { startedAt } },
      }));
      await report(derivePodStatus(pod, { startTime, containerStatuses: running }, Date.now(), false));
      for (const c of pod.spec.containers) logs.write(c.name, 'stdout', Buffer.from(BENCH_LOG_LINE));
      // As the pod runner does: the log's last output goes with the final status, archived before it in the same request.
      const lastOutput = await logs.takeLast();
      const finishedAt = k8sTime(Date.now());
      const terminated: ContainerStatus[] = running.map((s) => ({
        ...s,
        ready: false,
        started: false,
        state: { terminated: { exitCode: 0, reason: 'Completed', startedAt, finishedAt, containerID: s.containerID } },
      }));
      const done = derivePodStatus(pod, { startTime, containerStatuses: terminated }, Date.now(), true);
      await report(done, [], lastOutput);
      return done;
    },
  };
};
