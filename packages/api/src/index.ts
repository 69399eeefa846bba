export { startApi, buildServer, type ApiOptions, type RunningApi } from './server.js';
export { parseLabelSelector, parseFieldSelector, matches } from './selectors.js';
