export { startWorker, WorkerNode, DEFAULT_MAX_PODS, type WorkerNodeOptions, type WorkerNodeOptions as WorkerOptions } from './worker-node.js';
export type { WorkerNode as RunningWorker } from './worker-node.js';
export { DockerEngine, LABELS } from './docker.js';
export { DEFAULT_POD_LOG_MAX_BYTES } from './log-writer.js';
