export {
  startWorker,
  WorkerNode,
  DEFAULT_MAX_PODS,
  nodeLeaseMs,
  type PodRuntime,
  type RunningPodLike,
  type WorkerNodeOptions,
  type WorkerNodeOptions as WorkerOptions,
} from './worker-node.js';
export { PodLogWriter } from './log-writer.js';
export { derivePodStatus } from './pod-status.js';
export type { StatusReporter } from './pod-runner.js';
export { KubeletEventRecorder, type KubeletEvent } from './kubelet-events.js';
export type { WorkerNode as RunningWorker } from './worker-node.js';
export { DEFAULT_DOCKER_TIMEOUT_MS, DockerEngine, DockerUnreachableError, LABELS, UnsafeNameError, assertDockerName } from './docker.js';
export { DEFAULT_DOCKER_OUTAGE_MS } from './pod-runner.js';
export { admitPod, type Refusal } from './pod-admission.js';
export { DEFAULT_POD_LOG_MAX_BYTES } from './log-writer.js';
export { DETECT_GPUS_TIMEOUT_MS, GpuAllocator, containerGpuCount, detectGpus, gpusPerContainer, podGpuCount, type DetectGpusOptions } from './gpu.js';
