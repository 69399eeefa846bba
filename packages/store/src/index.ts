export { startEmbeddedRedis, type EmbeddedRedis } from './embedded-redis.js';
export * from './store.js';
export * from './queues.js';
export * from './controller.js';
export * from './jobs.js';
export * from './cluster.js';
export * from './node-monitor.js';
export * from './job-updates.js';
export * from './namespaces.js';
