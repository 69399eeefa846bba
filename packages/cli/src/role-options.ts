/** Options shared by the commands that run jobfleet roles (up, api, worker, janitor). */
import { hostname } from 'node:os';
import { Option, type Command } from 'commander';
import { globalOptions, readPem } from './context.js';
import { UsageError } from './errors.js';
import { nonNegativeInteger, portNumber } from './options.js';
import { DEFAULT_MAX_PODS, DEFAULT_REDIS_URL, type TlsFiles } from './system.js';

/** --redis-url for the single roles: REDIS_URL, else redis://127.0.0.1:6379. (`up` has no default: it embeds Redis.) */
export function redisUrlOption(): Option {
  return new Option('--redis-url <url>', 'Redis URL').env('REDIS_URL').default(DEFAULT_REDIS_URL);
}

export function nodeNameOption(): Option {
  return new Option('--node-name <name>', 'name of this worker node').env('JOBFLEET_NODE_NAME').default(hostname(), 'the host name');
}

/** --allow-privileged for the API (api, up). */
export function allowPrivilegedOption(): Option {
  return new Option(
    '--allow-privileged',
    'accept Jobs with privileged pods: privileged containers, added capabilities, hostNetwork/hostPID/hostIPC, hostPath volumes (also JOBFLEET_ALLOW_PRIVILEGED=true)',
  );
}

export function maxPodsOption(): Option {
  return new Option('--max-pods <n>', 'most pods this node runs at once').argParser(nonNegativeInteger).default(DEFAULT_MAX_PODS);
}

/** Where and how the API listens (api and up). */
export interface ListenOptions {
  port: number;
  host: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
}

/** --port, --host, and --tls-cert-file with --tls-private-key-file (kube-apiserver's names) to serve https. */
export function addListenOptions(command: Command): Command {
  return command
    .option('--port <port>', 'API listen port', portNumber, 8080)
    .option('--host <host>', 'API listen address', '127.0.0.1')
    .addOption(new Option('--tls-cert-file <file>', 'serve https with this PEM certificate (chain)').env('JOBFLEET_TLS_CERT_FILE'))
    .addOption(new Option('--tls-private-key-file <file>', 'the PEM private key of --tls-cert-file').env('JOBFLEET_TLS_KEY_FILE'));
}

/**
 * The API's token (global --token) and TLS files, read. One TLS file without the other is a usage
 * error; a token without TLS gets a warning, since kubectl (client-go) sends tokens only over https.
 */
export function apiSecurity({ tlsCertFile, tlsPrivateKeyFile }: ListenOptions, command: Command): { token?: string; tls?: TlsFiles } {
  const { token } = globalOptions(command);
  if (Boolean(tlsCertFile) !== Boolean(tlsPrivateKeyFile)) {
    throw new UsageError('--tls-cert-file and --tls-private-key-file go together (JOBFLEET_TLS_CERT_FILE, JOBFLEET_TLS_KEY_FILE)');
  }
  const tls = tlsCertFile && tlsPrivateKeyFile ? { cert: readPem(tlsCertFile, '--tls-cert-file'), key: readPem(tlsPrivateKeyFile, '--tls-private-key-file') } : undefined;
  if (token && !tls) process.stderr.write('warning: --token without --tls-cert-file/--tls-private-key-file: kubectl will not send the token over http\n');
  return { ...(token ? { token } : {}), ...(tls ? { tls } : {}) };
}
