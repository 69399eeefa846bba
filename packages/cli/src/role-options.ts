/** Options shared by the commands that run jobfleet roles (up, api, worker, janitor). */
import { hostname } from 'node:os';
import { Option } from 'commander';
import { nonNegativeInteger } from './options.js';
import { DEFAULT_MAX_PODS, DEFAULT_REDIS_URL } from './system.js';

/** --redis-url for the single roles: REDIS_URL, else redis://127.0.0.1:6379. (`up` has no default: it embeds Redis.) */
export function redisUrlOption(): Option {
  return new Option('--redis-url <url>', 'Redis URL').env('REDIS_URL').default(DEFAULT_REDIS_URL);
}

export function nodeNameOption(): Option {
  return new Option('--node-name <name>', 'name of this worker node').env('JOBFLEET_NODE_NAME').default(hostname(), 'the host name');
}

export function maxPodsOption(): Option {
  return new Option('--max-pods <n>', 'most pods this node runs at once').argParser(nonNegativeInteger).default(DEFAULT_MAX_PODS);
}
