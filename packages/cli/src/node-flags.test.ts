/**
 * The worker's node flags (worker, up): --capacity, --node-labels and --register-with-taints, parsed
 * as the kubelet parses its flags; then on the built binary (dist/bin.js, so build first): a bad
 * value, from the flag or its environment variable, is one error line and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { UsageError } from './errors.js';
import { capacityOption, isKubeletLabel, nodeLabelsOption, nodeRegistration, parseCapacity, parseNodeLabels, parseTaints, registerWithTaintsOption } from './role-options.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));

const NAME_PART_ERROR =
  "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_ERROR =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

/** The message of the UsageError `parse(text)` throws. */
function usageError(parse: () => unknown): string {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error('no error');
}

describe('--capacity', () => {
  it.each<{ text: string; want: Record<string, string> }>([
    { text: 'cpu=2,memory=4Gi,pods=20,nvidia.com/gpu=1', want: { cpu: '2', memory: '4Gi', pods: '20', 'nvidia.com/gpu': '1' } },
    { text: ' cpu = 500m , memory=1.5G ,', want: { cpu: '500m', memory: '1.5G' } },
    { text: 'ephemeral-storage=10Gi,hugepages-2Mi=1Gi', want: { 'ephemeral-storage': '10Gi', 'hugepages-2Mi': '1Gi' } },
    { text: 'example.com/dongle=3,pods=1k', want: { 'example.com/dongle': '3', pods: '1k' } },
    { text: 'cpu=1,cpu=4', want: { cpu: '4' } },
    { text: 'nvidia.com/gpu=0', want: { 'nvidia.com/gpu': '0' } },
    { text: '', want: {} },
  ])('$text', ({ text, want }) => expect(parseCapacity(text)).toStrictEqual(want));

  const flag = '--capacity (JOBFLEET_CAPACITY): ';
  it.each<{ name: string; text: string; message: string }>([
    { name: 'no =', text: 'cpu=2,memory', message: 'malformed pair "memory", expect string=string (NAME=QUANTITY,…, e.g. cpu=2,memory=4Gi,pods=20,nvidia.com/gpu=1)' },
    { name: 'not a quantity', text: 'cpu=two', message: `failed to parse quantity "two" for "cpu" resource: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'` },
    { name: 'no value', text: 'memory=', message: 'failed to parse quantity "" for "memory" resource' },
    { name: 'a bad suffix', text: 'memory=4GB', message: 'failed to parse quantity "4GB" for "memory" resource' },
    { name: 'negative', text: 'cpu=-1', message: 'resource quantity for "cpu" cannot be negative: -1' },
    { name: 'pods not whole', text: 'pods=1.5', message: 'resource quantity for "pods" must be an integer: 1.5' },
    { name: 'GPUs not whole', text: 'nvidia.com/gpu=500m', message: 'resource quantity for "nvidia.com/gpu" must be an integer: 500m' },
    { name: 'an unknown unprefixed name', text: 'gpu=1', message: 'invalid resource name "gpu": must be a standard resource type or fully qualified (cpu, memory, ephemeral-storage, pods, hugepages-<size>, or DOMAIN/NAME such as nvidia.com/gpu)' },
    { name: 'not a qualified name', text: 'nvidia.com/gpu!=1', message: `invalid resource name "nvidia.com/gpu!": ${NAME_PART_ERROR}` },
    { name: 'an empty name', text: '=1', message: 'invalid resource name "": name part must be non-empty' },
    { name: 'a bad prefix', text: 'Nvidia_com/gpu=1', message: 'invalid resource name "Nvidia_com/gpu": prefix part a lowercase RFC 1123 subdomain' },
  ])('$name: $text', ({ text, message }) => {
    const got = usageError(() => parseCapacity(text));
    expect(got.startsWith(flag)).toBe(true);
    expect(got).toContain(message);
  });
});

describe('--node-labels', () => {
  it.each<{ text: string; want: Record<string, string> }>([
    { text: 'disk=ssd,zone=a', want: { disk: 'ssd', zone: 'a' } },
    { text: ' team = ml ,, ', want: { team: 'ml' } },
    { text: 'empty=', want: { empty: '' } },
    { text: 'a=1,a=2', want: { a: '2' } },
    { text: 'example.com/pool=gpu', want: { 'example.com/pool': 'gpu' } },
    { text: 'node.kubernetes.io/pool=gpu,kubelet.kubernetes.io/x=y,sub.node.kubernetes.io/z=1', want: { 'node.kubernetes.io/pool': 'gpu', 'kubelet.kubernetes.io/x': 'y', 'sub.node.kubernetes.io/z': '1' } },
    { text: 'topology.kubernetes.io/zone=eu-1a,kubernetes.io/hostname=h1,beta.kubernetes.io/os=linux', want: { 'topology.kubernetes.io/zone': 'eu-1a', 'kubernetes.io/hostname': 'h1', 'beta.kubernetes.io/os': 'linux' } },
    { text: 'kubernetes.iox/a=b,k8s.io.example.com/c=d', want: { 'kubernetes.iox/a': 'b', 'k8s.io.example.com/c': 'd' } },
  ])('$text', ({ text, want }) => expect(parseNodeLabels(text)).toStrictEqual(want));

  const allowed =
    "--node-labels in the 'kubernetes.io' namespace must begin with an allowed prefix (kubelet.kubernetes.io, node.kubernetes.io) or be in the specifically allowed set (beta.kubernetes.io/arch, beta.kubernetes.io/instance-type, beta.kubernetes.io/os, failure-domain.beta.kubernetes.io/region, failure-domain.beta.kubernetes.io/zone, kubernetes.io/arch, kubernetes.io/hostname, kubernetes.io/os, node.kubernetes.io/instance-type, topology.kubernetes.io/region, topology.kubernetes.io/zone)";
  it.each<{ name: string; text: string; message: string }>([
    { name: 'no =', text: 'disk', message: 'malformed pair "disk", expect string=string (KEY=VALUE,…)' },
    {
      name: 'a node role (kubernetes.io, not the kubelet\'s)',
      text: 'node-role.kubernetes.io/worker=,disk=ssd',
      message: `unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker]; ${allowed}`,
    },
    {
      name: 'several, sorted: kubernetes.io, k8s.io and their subdomains',
      text: 'x.k8s.io/b=1,kubernetes.io/a=1,k8s.io/c=1,app.kubernetes.io/name=x',
      message: `unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [app.kubernetes.io/name k8s.io/c kubernetes.io/a x.k8s.io/b]; ${allowed}`,
    },
    { name: 'a bad key', text: 'bad key=1', message: `invalid node labels: 'bad key' - ${NAME_PART_ERROR}` },
    { name: 'a bad value', text: 'disk=s s d', message: `invalid node labels: 's s d' - ${LABEL_VALUE_ERROR}` },
    { name: 'a second = goes to the value (as the kubelet splits), which then is not a label value', text: 'a=b=c', message: `invalid node labels: 'b=c' - ${LABEL_VALUE_ERROR}` },
    { name: 'a value too long', text: `disk=${'a'.repeat(64)}`, message: `invalid node labels: '${'a'.repeat(64)}' - must be no more than 63 characters` },
    { name: 'a bad key and a bad value', text: '-k=-v', message: `invalid node labels: '-k' - ${NAME_PART_ERROR}; '-v' - ${LABEL_VALUE_ERROR}` },
  ])('$name: $text', ({ text, message }) => {
    expect(usageError(() => parseNodeLabels(text))).toBe(`--node-labels (JOBFLEET_NODE_LABELS): ${message}`);
  });

  it.each<[string, boolean]>([
    ['kubernetes.io/hostname', true],
    ['node.kubernetes.io/instance-type', true],
    ['node.kubernetes.io/anything', true],
    ['a.kubelet.kubernetes.io/x', true],
    ['node-role.kubernetes.io/worker', false],
    ['kubernetes.io/role', false],
    ['disk', false],
  ])('isKubeletLabel(%j) = %s', (key, want) => expect(isKubeletLabel(key)).toBe(want));
});

describe('--register-with-taints', () => {
  it.each<{ text: string; want: unknown[] }>([
    { text: 'dedicated=gpu:NoSchedule', want: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
    { text: 'maint:NoExecute,example.com/slow=yes:PreferNoSchedule', want: [{ key: 'maint', effect: 'NoExecute' }, { key: 'example.com/slow', value: 'yes', effect: 'PreferNoSchedule' }] },
    { text: 'a=:NoSchedule', want: [{ key: 'a', effect: 'NoSchedule' }] },
    { text: 'a:NoSchedule,a:NoExecute', want: [{ key: 'a', effect: 'NoSchedule' }, { key: 'a', effect: 'NoExecute' }] },
    { text: ' a:NoSchedule , ', want: [{ key: 'a', effect: 'NoSchedule' }] },
    { text: '', want: [] },
  ])('$text', ({ text, want }) => expect(parseTaints(text)).toStrictEqual(want));

  const format = ' (KEY[=VALUE]:EFFECT,…, EFFECT one of NoSchedule, PreferNoSchedule, NoExecute)';
  it.each<{ name: string; text: string; message: string }>([
    { name: 'no effect', text: 'dedicated=gpu', message: `invalid taint spec: dedicated=gpu${format}` },
    { name: 'a key alone', text: 'dedicated', message: `invalid taint spec: dedicated${format}` },
    { name: 'two effects', text: 'a=b:NoSchedule:NoSchedule', message: `invalid taint spec: a=b:NoSchedule:NoSchedule${format}` },
    { name: 'two values', text: 'a=b=c:NoSchedule', message: `invalid taint spec: a=b=c:NoSchedule${format}` },
    { name: 'an unknown effect', text: 'a=b:NoExcute', message: `invalid taint effect: NoExcute, unsupported taint effect${format}` },
    { name: 'an empty effect', text: 'a=b:', message: `invalid taint effect: , unsupported taint effect${format}` },
    { name: 'an empty key', text: '=value:NoSchedule', message: `invalid taint spec: =value:NoSchedule, name part must be non-empty; ${NAME_PART_ERROR}${format}` },
    { name: 'a bad key', text: '@=value:NoSchedule', message: `invalid taint spec: @=value:NoSchedule, ${NAME_PART_ERROR}${format}` },
    { name: 'a bad value', text: 'key=@:NoSchedule', message: `invalid taint spec: key=@:NoSchedule, ${LABEL_VALUE_ERROR}${format}` },
    { name: 'a removal', text: 'a:NoSchedule-', message: `invalid taint spec: a:NoSchedule-, a trailing '-' removes a taint: --register-with-taints only adds${format}` },
    { name: 'the same key and effect twice', text: 'key=value:NoSchedule,key=other:NoSchedule', message: 'duplicated taints with the same key and effect: {key other NoSchedule <nil>}' },
  ])('$name: $text', ({ text, message }) => {
    expect(usageError(() => parseTaints(text))).toBe(`--register-with-taints (JOBFLEET_REGISTER_WITH_TAINTS): ${message}`);
  });
});

describe('the options', () => {
  const parse = (args: string[], env: Record<string, string> = {}) => {
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      const command = new Command().exitOverride().addOption(capacityOption()).addOption(nodeLabelsOption()).addOption(registerWithTaintsOption());
      command.parse(args, { from: 'user' });
      return command.opts();
    } finally {
      for (const key of Object.keys(env)) {
        if (saved[key] === undefined) delete process.env[key];
        else process.env[key] = saved[key];
      }
    }
  };

  it('unset: no fields', () => {
    expect(nodeRegistration(parse([]))).toStrictEqual({});
  });

  it('maps given twice merge, as the kubelet\'s; taints given twice: the last', () => {
    const options = parse(['--capacity', 'cpu=1,pods=3', '--capacity', 'cpu=2', '--node-labels', 'a=1', '--node-labels', 'b=2', '--register-with-taints', 'x:NoSchedule', '--register-with-taints', 'y:NoExecute']);
    expect(nodeRegistration(options)).toStrictEqual({
      capacity: { cpu: '2', pods: '3' },
      nodeLabels: { a: '1', b: '2' },
      registerWithTaints: [{ key: 'y', effect: 'NoExecute' }],
    });
  });

  it('from the environment', () => {
    const options = parse([], { JOBFLEET_CAPACITY: 'nvidia.com/gpu=2', JOBFLEET_NODE_LABELS: 'pool=gpu', JOBFLEET_REGISTER_WITH_TAINTS: 'gpu=true:NoSchedule' });
    expect(nodeRegistration(options)).toStrictEqual({ capacity: { 'nvidia.com/gpu': '2' }, nodeLabels: { pool: 'gpu' }, registerWithTaints: [{ key: 'gpu', value: 'true', effect: 'NoSchedule' }] });
  });

  it('the flag over the environment', () => {
    expect(nodeRegistration(parse(['--capacity', 'cpu=1'], { JOBFLEET_CAPACITY: 'cpu=8' }))).toStrictEqual({ capacity: { cpu: '1' } });
  });
});

describe('jobfleet worker and up: a bad node flag is one error line, exit 2', () => {
  const run = (args: string[], env: Record<string, string> = {}) =>
    spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, JOBFLEET_SERVER: undefined, JOBFLEET_TOKEN: undefined, ...env } });

  it.each<{ name: string; args: string[]; env?: Record<string, string>; message: string }>([
    { name: 'worker --capacity', args: ['worker', '--capacity', 'cpu=lots'], message: 'error: --capacity (JOBFLEET_CAPACITY): failed to parse quantity "lots" for "cpu" resource' },
    { name: 'up --capacity', args: ['up', '--capacity', 'gpu=1'], message: 'error: --capacity (JOBFLEET_CAPACITY): invalid resource name "gpu"' },
    { name: 'JOBFLEET_CAPACITY', args: ['worker'], env: { JOBFLEET_CAPACITY: 'pods' }, message: 'error: --capacity (JOBFLEET_CAPACITY): malformed pair "pods"' },
    { name: 'worker --node-labels', args: ['worker', '--node-labels', 'node-role.kubernetes.io/worker='], message: "error: --node-labels (JOBFLEET_NODE_LABELS): unknown 'kubernetes.io' or 'k8s.io' labels specified with --node-labels: [node-role.kubernetes.io/worker]; " },
    { name: 'JOBFLEET_NODE_LABELS', args: ['up'], env: { JOBFLEET_NODE_LABELS: 'a=b c' }, message: "error: --node-labels (JOBFLEET_NODE_LABELS): invalid node labels: 'b c' - " },
    { name: 'worker --register-with-taints', args: ['worker', '--register-with-taints', 'gpu=true'], message: 'error: --register-with-taints (JOBFLEET_REGISTER_WITH_TAINTS): invalid taint spec: gpu=true (KEY[=VALUE]:EFFECT' },
    { name: 'JOBFLEET_REGISTER_WITH_TAINTS', args: ['up'], env: { JOBFLEET_REGISTER_WITH_TAINTS: 'gpu:NoScheduled' }, message: 'error: --register-with-taints (JOBFLEET_REGISTER_WITH_TAINTS): invalid taint effect: NoScheduled, unsupported taint effect' },
  ])('$name', ({ args, env, message }) => {
    const { status, stdout, stderr } = run(args, env);
    expect(status).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });
});
