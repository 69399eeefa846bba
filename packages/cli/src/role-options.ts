/** Options shared by the commands that run jobfleet roles (up, api, worker, janitor). */
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import type { Logger, LogFormat, LogLevel } from '@jobfleet/controllers';
import { QUANTITY_FORMAT_MESSAGE, isLabelValue, isQualifiedName, tryParseQuantity, type Taint, type TaintEffect } from '@jobfleet/kube';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { globalOptions, readPem } from './context.js';
import { UsageError } from './errors.js';
import { nonNegativeInteger, portNumber } from './options.js';
import { redisSettings, redisWarning, type RedisFlags, type RedisSettings } from './redis-settings.js';
import { LOG_FORMAT_NAMES, LOG_LEVEL_NAMES, logSettingsFromEnv } from './settings.js';
import { DEFAULT_MAX_PODS, type TlsFiles } from './system.js';

export function nodeNameOption(): Option {
  return new Option('--node-name <name>', 'name of this worker node').env('JOBFLEET_NODE_NAME').default(hostname(), 'the host name');
}

/** --allow-privileged for the API (api, up: accept such Jobs) and the worker (worker, up: run such pods). */
export function allowPrivilegedOption(role: 'api' | 'worker' | 'up'): Option {
  const what = { api: 'accept Jobs with', worker: 'run', up: 'accept and run' }[role];
  return new Option(
    '--allow-privileged',
    `${what} privileged pods: privileged containers, added capabilities, hostNetwork/hostPID/hostIPC, hostPath volumes (also JOBFLEET_ALLOW_PRIVILEGED=true)`,
  );
}

/**
 * --allow-privileged, else JOBFLEET_ALLOW_PRIVILEGED ("true"/"1", "false"/"0" or unset; anything else
 * is a mistake worth stopping for: a typo must not open or close this door silently).
 */
export function allowPrivileged(flag: boolean | undefined, env: Record<string, string | undefined> = process.env): boolean {
  if (flag) return true;
  const raw = (env.JOBFLEET_ALLOW_PRIVILEGED ?? '').trim().toLowerCase();
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0' || raw === '') return false;
  throw new UsageError(`JOBFLEET_ALLOW_PRIVILEGED must be "true" or "false", got "${env.JOBFLEET_ALLOW_PRIVILEGED}"`);
}

/**
 * The Redis settings of a role command (files read), after printing the one warning line about a
 * Redis reachable from other hosts without a password. Undefined without a URL (`up`: embedded).
 */
export function roleRedis(flags: RedisFlags): RedisSettings | undefined {
  const settings = redisSettings(flags);
  const warning = settings && redisWarning(settings);
  if (warning) process.stderr.write(`${warning}\n`);
  return settings;
}

/** --node-ip: the address the worker reports as its pods' hostIP (the kubelet's --node-ip). */
export function nodeIpOption(): Option {
  return new Option('--node-ip <ip>', "this node's address, reported as its pods' status.hostIP and the Node's InternalIP (default: the address of the default route)")
    .env('JOBFLEET_NODE_IP')
    .argParser((value: string) => {
      if (isIP(value.trim()) === 0) throw new UsageError(`--node-ip must be an IPv4 or IPv6 address, got "${value}"`);
      return value.trim();
    });
}

/** --cronjob-poll-ms (api, janitor, up): overrides JOBFLEET_CRONJOB_POLL_MS. */
export function cronJobPollOption(): Option {
  return new Option('--cronjob-poll-ms <ms>', 'how often the CronJob controller checks its schedule, ms (default 1000; also JOBFLEET_CRONJOB_POLL_MS)').argParser((value: string) => {
    if (!/^\d+$/.test(value) || Number(value) <= 0) throw new InvalidArgumentError('must be a positive integer.');
    return Number(value);
  });
}

export function maxPodsOption(): Option {
  return new Option('--max-pods <n>', 'most pods this node runs at once').argParser(nonNegativeInteger).default(DEFAULT_MAX_PODS);
}

/** The Node a worker registers (worker, up): kubelet's --node-labels and --register-with-taints, and what it offers. */
export interface NodeFlags {
  capacity?: Record<string, string>;
  nodeLabels?: Record<string, string>;
  registerWithTaints?: Taint[];
}

const CAPACITY_EXAMPLE = 'cpu=2,memory=4Gi,pods=20,nvidia.com/gpu=1';

/**
 * --capacity (JOBFLEET_CAPACITY): what the node advertises as its capacity, over what is detected
 * (the Docker Engine's CPUs and memory, nvidia-smi's GPUs). `pods` here wins over --max-pods.
 */
export function capacityOption(): Option {
  return new Option('--capacity <list>', `what this node offers, over what is detected: NAME=QUANTITY,… (e.g. ${CAPACITY_EXAMPLE}; pods= wins over --max-pods)`)
    .env('JOBFLEET_CAPACITY')
    .argParser((value: string, previous: Record<string, string> | undefined) => ({ ...previous, ...parseCapacity(value) }));
}

/** --node-labels (JOBFLEET_NODE_LABELS): the kubelet's flag, with its rules. */
export function nodeLabelsOption(): Option {
  return new Option('--node-labels <list>', "labels the node registers with: KEY=VALUE,… (not in the 'kubernetes.io' and 'k8s.io' namespaces, but for kubelet.kubernetes.io/ and node.kubernetes.io/ and a few well-known labels)")
    .env('JOBFLEET_NODE_LABELS')
    .argParser((value: string, previous: Record<string, string> | undefined) => ({ ...previous, ...parseNodeLabels(value) }));
}

/** --register-with-taints (JOBFLEET_REGISTER_WITH_TAINTS): the kubelet's flag and format; given twice, the last one counts (as the kubelet's). */
export function registerWithTaintsOption(): Option {
  return new Option('--register-with-taints <list>', 'taints the node registers with: KEY[=VALUE]:EFFECT,… (EFFECT NoSchedule, PreferNoSchedule or NoExecute)')
    .env('JOBFLEET_REGISTER_WITH_TAINTS')
    .argParser((value: string) => parseTaints(value));
}

/** The given node flags as worker options (each only when given). */
export function nodeRegistration(flags: NodeFlags): NodeFlags {
  return {
    ...(flags.capacity ? { capacity: flags.capacity } : {}),
    ...(flags.nodeLabels ? { nodeLabels: flags.nodeLabels } : {}),
    ...(flags.registerWithTaints ? { registerWithTaints: flags.registerWithTaints } : {}),
  };
}

/** The entries of a kubelet map flag (cliflag.MapStringString): comma-separated KEY=VALUE, trimmed, empty ones skipped. */
function mapEntries(text: string, flag: string, format: string): [string, string][] {
  const out: [string, string][] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const at = entry.indexOf('=');
    if (at < 0) throw new UsageError(`${flag}: malformed pair ${JSON.stringify(entry)}, expect string=string (${format})`);
    out.push([entry.slice(0, at).trim(), entry.slice(at + 1).trim()]);
  }
  return out;
}

/** Resource names a node offers without a domain prefix (the others are extended resources, DOMAIN/NAME). */
const NODE_RESOURCES = new Set(['cpu', 'memory', 'ephemeral-storage', 'pods']);

/**
 * --capacity's list → resource name → quantity. Each name is a resource name as Kubernetes checks
 * it (a qualified name; without a prefix, a standard one); each value a quantity, not negative, and
 * whole for pods and extended resources (nvidia.com/gpu). Repeated names: the last one counts.
 */
export function parseCapacity(text: string): Record<string, string> {
  const flag = '--capacity (JOBFLEET_CAPACITY)';
  const capacity: Record<string, string> = {};
  for (const [name, value] of mapEntries(text, flag, `NAME=QUANTITY,…, e.g. ${CAPACITY_EXAMPLE}`)) {
    const nameErrors = isQualifiedName(name);
    if (nameErrors.length > 0) throw new UsageError(`${flag}: invalid resource name ${JSON.stringify(name)}: ${nameErrors.join('; ')}`);
    const prefixed = name.includes('/');
    if (!prefixed && !NODE_RESOURCES.has(name) && !/^hugepages-/.test(name)) {
      throw new UsageError(`${flag}: invalid resource name ${JSON.stringify(name)}: must be a standard resource type or fully qualified (cpu, memory, ephemeral-storage, pods, hugepages-<size>, or DOMAIN/NAME such as nvidia.com/gpu)`);
    }
    const quantity = tryParseQuantity(value);
    if (quantity === undefined) throw new UsageError(`${flag}: failed to parse quantity ${JSON.stringify(value)} for ${JSON.stringify(name)} resource: ${QUANTITY_FORMAT_MESSAGE}`);
    if (quantity < 0) throw new UsageError(`${flag}: resource quantity for ${JSON.stringify(name)} cannot be negative: ${value}`);
    const extended = prefixed && !name.includes('kubernetes.io/');
    if ((name === 'pods' || extended) && !Number.isInteger(quantity)) throw new UsageError(`${flag}: resource quantity for ${JSON.stringify(name)} must be an integer: ${value}`);
    capacity[name] = value;
  }
  return capacity;
}

/**
 * The label keys a kubelet may set on its own Node (k8s.io/kubelet well_known_labels.go:
 * kubeletLabels, kubeletLabelNamespaces), as sorted lists, as its message prints them.
 */
export const KUBELET_LABELS: readonly string[] = [
  'beta.kubernetes.io/arch',
  'beta.kubernetes.io/instance-type',
  'beta.kubernetes.io/os',
  'failure-domain.beta.kubernetes.io/region',
  'failure-domain.beta.kubernetes.io/zone',
  'kubernetes.io/arch',
  'kubernetes.io/hostname',
  'kubernetes.io/os',
  'node.kubernetes.io/instance-type',
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
];
export const KUBELET_LABEL_NAMESPACES: readonly string[] = ['kubelet.kubernetes.io', 'node.kubernetes.io'];

const labelNamespace = (key: string): string => (key.includes('/') ? key.slice(0, key.indexOf('/')) : '');
const inNamespace = (namespace: string, domain: string): boolean => namespace === domain || namespace.endsWith(`.${domain}`);

/** IsKubeletLabel: one of the allowed keys, or in (a subdomain of) an allowed namespace. */
export function isKubeletLabel(key: string): boolean {
  const namespace = labelNamespace(key);
  return KUBELET_LABELS.includes(key) || KUBELET_LABEL_NAMESPACES.some((allowed) => inNamespace(namespace, allowed));
}

function isKubernetesLabel(key: string): boolean {
  const namespace = labelNamespace(key);
  return inNamespace(namespace, 'kubernetes.io') || inNamespace(namespace, 'k8s.io');
}

/**
 * --node-labels's list → labels, refused as the kubelet refuses them (ValidateKubeletFlags): keys
 * in the kubernetes.io and k8s.io namespaces but for the kubelet's own; keys and values that are
 * not valid label keys and values. Repeated keys: the last one counts.
 */
export function parseNodeLabels(text: string): Record<string, string> {
  const flag = '--node-labels (JOBFLEET_NODE_LABELS)';
  const labels: Record<string, string> = {};
  for (const [key, value] of mapEntries(text, flag, 'KEY=VALUE,…')) labels[key] = value;
  const unknown = Object.keys(labels).filter((key) => isKubernetesLabel(key) && !isKubeletLabel(key)).sort();
  if (unknown.length > 0) {
    throw new UsageError(
      `${flag}: unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [${unknown.join(' ')}]; ` +
        `--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (${KUBELET_LABEL_NAMESPACES.join(', ')}) or be in the specifically allowed set (${KUBELET_LABELS.join(', ')})`,
    );
  }
  const invalid = new Map<string, string[]>();
  const note = (what: string, errors: string[]) => {
    if (errors.length > 0) invalid.set(what, [...(invalid.get(what) ?? []), ...errors]);
  };
  for (const [key, value] of Object.entries(labels)) {
    note(key, isQualifiedName(key));
    note(value, isLabelValue(value));
  }
  if (invalid.size > 0) throw new UsageError(`${flag}: invalid node labels: ${[...invalid].map(([what, errors]) => `'${what}' - ${errors.join(', ')}`).join('; ')}`);
  return labels;
}

const TAINT_EFFECTS: readonly TaintEffect[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const TAINT_FORMAT = 'KEY[=VALUE]:EFFECT,…, EFFECT one of NoSchedule, PreferNoSchedule, NoExecute';

/**
 * --register-with-taints's list → taints, as the kubelet parses it (pkg/util/taints ParseTaints,
 * with its messages): KEY[=VALUE]:EFFECT, each key and effect once. Entries are trimmed and empty
 * ones skipped; a removal (`KEY:EFFECT-`, which the kubelet parses and then ignores) is refused.
 */
export function parseTaints(text: string): Taint[] {
  const flag = '--register-with-taints (JOBFLEET_REGISTER_WITH_TAINTS)';
  const fail = (message: string, hint = true) => new UsageError(`${flag}: ${message}${hint ? ` (${TAINT_FORMAT})` : ''}`);
  const taints: Taint[] = [];
  for (const raw of text.split(',')) {
    const spec = raw.trim();
    if (spec === '') continue;
    if (spec.endsWith('-')) throw fail(`invalid taint spec: ${spec}, a trailing '-' removes a taint: --register-with-taints only adds`);
    const parts = spec.split(':');
    if (parts.length !== 2) throw fail(`invalid taint spec: ${spec}`);
    const [keyValue = '', effect = ''] = parts;
    if (!TAINT_EFFECTS.includes(effect as TaintEffect)) throw fail(`invalid taint effect: ${effect}, unsupported taint effect`);
    const kv = keyValue.split('=');
    if (kv.length > 2) throw fail(`invalid taint spec: ${spec}`);
    const [key = '', value] = kv;
    const valueErrors = value === undefined ? [] : isLabelValue(value);
    if (valueErrors.length > 0) throw fail(`invalid taint spec: ${spec}, ${valueErrors.join('; ')}`);
    const keyErrors = isQualifiedName(key);
    if (keyErrors.length > 0) throw fail(`invalid taint spec: ${spec}, ${keyErrors.join('; ')}`);
    if (taints.some((t) => t.key === key && t.effect === effect)) throw fail(`duplicated taints with the same key and effect: {${key} ${value ?? ''} ${effect} <nil>}`, false);
    taints.push({ key, ...(value ? { value } : {}), effect: effect as TaintEffect });
  }
  return taints;
}

/**
 * --metrics-port (worker, janitor, up), or JOBFLEET_METRICS_PORT; unset, the role serves no metrics
 * (the API serves its own at /metrics). Read by these commands only: `run`'s embedded roles and
 * `up`'s janitor serve none whatever the environment says.
 */
export function metricsPortOption(): Option {
  return new Option('--metrics-port <port>', 'serve Prometheus metrics at /metrics on this port (default: none)').env('JOBFLEET_METRICS_PORT').argParser(portNumber);
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

/** --log-level and --log-format (up, api, worker, janitor). */
export interface LogFlags {
  logLevel?: LogLevel;
  logFormat?: LogFormat;
}

export function addLogOptions(command: Command): Command {
  return command
    .addOption(new Option('--log-level <level>', 'least severe log lines written to stderr (default info; also JOBFLEET_LOG_LEVEL)').choices(LOG_LEVEL_NAMES))
    .addOption(new Option('--log-format <format>', 'json: a JSON object a line; text: for people (default text on a terminal, json otherwise; also JOBFLEET_LOG_FORMAT)').choices(LOG_FORMAT_NAMES));
}

/** The process's logger, on stderr (stdout is the commands' own output): the flags, else the environment, else info and the terminal's format. */
export async function roleLogger(flags: LogFlags, env: Record<string, string | undefined> = process.env): Promise<Logger> {
  let fromEnv: ReturnType<typeof logSettingsFromEnv>;
  try {
    fromEnv = logSettingsFromEnv(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const { createLogger, defaultLogFormat } = await import('@jobfleet/controllers');
  return createLogger({ level: flags.logLevel ?? fromEnv.level ?? 'info', format: flags.logFormat ?? fromEnv.format ?? defaultLogFormat(process.stderr) });
}
