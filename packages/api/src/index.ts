export { startApi, buildServer, type ApiOptions, type RunningApi } from './server.js';
export { parseLabelSelector, parseFieldSelector, matches } from './selectors.js';
export { decodeObject, decodeWatchEvents, encodeObject, encodeWatchEvent } from './protobuf/envelope.js';
export { loadDefinitions, type Definitions, type Schema as OpenApiSchema } from './openapi.js';
