export * from './backoff.js';
export * from './indexes.js';
export * from './labels.js';
export * from './pods.js';
export * from './sync.js';
export * from './time.js';
export * from './failure-policy.js';
export * from './success-policy.js';
