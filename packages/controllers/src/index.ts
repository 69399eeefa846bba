export * from './controller.js';
export * from './cluster.js';
export * from './jobs.js';
export * from './job-updates.js';
export * from './pod-updates.js';
export * from './namespaces.js';
export * from './node-monitor.js';
export * from './ttl.js';
