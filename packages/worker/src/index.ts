export {
  startWorker,
  WorkerNode,
  DEFAULT_MAX_PODS,
  type PodRuntime,
  type RunningPodLike,
  type WorkerNodeOptions,
  type WorkerNodeOptions as WorkerOptions,
} from './worker-node.js';
export { PodLogWriter } from './log-writer.js';
export { derivePodStatus } from './pod-status.js';
export type { StatusReporter } from './pod-runner.js';
export type { WorkerNode as RunningWorker } from './worker-node.js';
export { DockerEngine, LABELS } from './docker.js';
export { DEFAULT_POD_LOG_MAX_BYTES } from './log-writer.js';
