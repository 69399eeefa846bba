export * from './backoff.js';
export * from './indexes.js';
export * from './labels.js';
export * from './pods.js';
export * from './sync.js';
export * from './time.js';
