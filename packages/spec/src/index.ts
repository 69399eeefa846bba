export * from './types.js';
export * from './keys.js';
export * from './controller/index.js';
