/** containerCreateOptions and its helpers: command/args, env, resources, volumes, network, labels (pure). */
import { describe, expect, it } from 'vitest';
import type { Container, EnvVar, Pod } from '@jobfleet/kube';
import {
  containerCreateOptions,
  dockerName,
  expandVars,
  podLabels,
  quantity,
  resolveEnv,
  resolveFieldRef,
  resourceLimits,
  type ContainerPlacement,
} from './container-config.js';
import { LABELS } from './docker.js';
import { gpusPerContainer } from './gpu.js';

function newPod(containers: Container[] = [{ name: 'main', image: 'busybox' }], extra: { hostname?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: 'calc-2-bcdfg',
      namespace: 'team-a',
      uid: 'pod-uid-1',
      labels: { 'batch.kubernetes.io/job-completion-index': '2', app: 'calc' },
      annotations: { 'batch.kubernetes.io/job-completion-index': '2', note: 'hello' },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'calc', uid: 'job-uid-1', controller: true, blockOwnerDeletion: true }],
    },
    spec: { containers, restartPolicy: 'Never', nodeName: 'node-7', ...(extra.hostname ? { hostname: extra.hostname } : {}) },
    status: { phase: 'Pending', podIP: '10.0.0.5', hostIP: '192.168.1.2' },
  };
}

const placement = (extra: Partial<ContainerPlacement> = {}): ContainerPlacement => ({ nodeName: 'node-7', volumes: new Map(), ...extra });

describe('containerCreateOptions: command and args', () => {
  it.each<{ name: string; container: Partial<Container>; want: { Entrypoint?: string[]; Cmd?: string[] } }>([
    { name: 'neither: the image defaults', container: {}, want: {} },
    { name: 'command only: Entrypoint, and Cmd [] so the image CMD is dropped', container: { command: ['sh', '-c', 'echo hi'] }, want: { Entrypoint: ['sh', '-c', 'echo hi'], Cmd: [] } },
    { name: 'args only: Cmd, the image ENTRYPOINT stays', container: { args: ['--verbose', 'x'] }, want: { Cmd: ['--verbose', 'x'] } },
    { name: 'both', container: { command: ['python'], args: ['main.py'] }, want: { Entrypoint: ['python'], Cmd: ['main.py'] } },
    { name: 'empty args with command', container: { command: ['run'], args: [] }, want: { Entrypoint: ['run'], Cmd: [] } },
    {
      name: '$(VAR) expands in command and args, $$ escapes',
      container: { env: [{ name: 'GREETING', value: 'hi' }], command: ['echo', '$(GREETING)'], args: ['$$(GREETING)', '$(MISSING)', 'a$$b'] },
      want: { Entrypoint: ['echo', 'hi'], Cmd: ['$(GREETING)', '$(MISSING)', 'a$b'] },
    },
  ])('$name', ({ container, want }) => {
    const c: Container = { name: 'main', image: 'busybox', ...container };
    const opts = containerCreateOptions(newPod([c]), c, placement());
    expect(opts.Entrypoint).toStrictEqual(want.Entrypoint);
    expect(opts.Cmd).toStrictEqual(want.Cmd);
    expect('Entrypoint' in opts).toBe(want.Entrypoint !== undefined);
    expect('Cmd' in opts).toBe(want.Cmd !== undefined);
  });
});

describe('containerCreateOptions: environment', () => {
  it('resolves values, $(VAR) references to earlier variables, $$ escapes and fieldRefs, in order', () => {
    const env: EnvVar[] = [
      { name: 'A', value: 'x' },
      { name: 'B', value: '$(A)-y' },
      { name: 'C', value: '$$(A)' },
      { name: 'D', value: '$(UNDEFINED)' },
      { name: 'E', value: '$(LATER)' },
      { name: 'LATER', value: 'l' },
      { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.labels['batch.kubernetes.io/job-completion-index']" } } },
      { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
      { name: 'NOTE', valueFrom: { fieldRef: { fieldPath: "metadata.annotations['note']" } } },
      { name: 'NOPE', valueFrom: { fieldRef: { fieldPath: "metadata.labels['absent']" } } },
      { name: 'MONEY', value: 'a$$b$c' },
      { name: 'EMPTY' },
      { name: 'MIX', value: '$(POD)/$(JOB_COMPLETION_INDEX)' },
    ];
    const c: Container = { name: 'main', image: 'busybox', env };
    expect(containerCreateOptions(newPod([c]), c, placement()).Env).toStrictEqual([
      'A=x',
      'B=x-y',
      'C=$(A)',
      'D=$(UNDEFINED)',
      'E=$(LATER)',
      'LATER=l',
      'JOB_COMPLETION_INDEX=2',
      'POD=calc-2-bcdfg',
      'NOTE=hello',
      'NOPE=',
      'MONEY=a$b$c',
      'EMPTY=',
      'MIX=calc-2-bcdfg/2',
    ]);
  });

  it('no env: an empty list', () => {
    const c: Container = { name: 'main', image: 'busybox' };
    expect(containerCreateOptions(newPod([c]), c, placement()).Env).toStrictEqual([]);
  });

  it('a later definition of the same name wins', () => {
    expect([...resolveEnv(newPod(), [{ name: 'A', value: '1' }, { name: 'A', value: '$(A)2' }])]).toStrictEqual([['A', '12']]);
  });
});

describe('expandVars', () => {
  const vars = new Map([
    ['A', 'x'],
    ['with.dot-dash_', 'v'],
  ]);
  it.each([
    ['plain', 'plain'],
    ['$(A)', 'x'],
    ['$(A)$(A)', 'xx'],
    ['pre-$(A)-post', 'pre-x-post'],
    ['$$(A)', '$(A)'],
    ['$$$(A)', '$x'],
    ['$$', '$'],
    ['$', '$'],
    ['$(B)', '$(B)'],
    ['$(A', '$(A'],
    ['$A', '$A'],
    ['$(with.dot-dash_)', 'v'],
    ['$()', '$()'],
  ])('%s → %s', (text, want) => expect(expandVars(text, vars)).toBe(want));
});

describe('resolveFieldRef', () => {
  const pod = newPod();
  it.each<[string, string | undefined]>([
    ["metadata.labels['batch.kubernetes.io/job-completion-index']", '2'],
    ["metadata.labels['app']", 'calc'],
    ["metadata.annotations['note']", 'hello'],
    ["metadata.labels['missing']", undefined],
    ['metadata.name', 'calc-2-bcdfg'],
    ['metadata.namespace', 'team-a'],
    ['metadata.uid', 'pod-uid-1'],
    ['spec.nodeName', 'node-7'],
    ['spec.serviceAccountName', 'default'],
    ['status.podIP', '10.0.0.5'],
    ['status.hostIP', '192.168.1.2'],
    ['status.phase', undefined],
  ])('%s → %s', (path, want) => expect(resolveFieldRef(pod, path)).toBe(want));
});

describe('resource limits', () => {
  it.each<{ name: string; limits?: Record<string, string | number>; want: { Memory?: number; MemorySwap?: number; NanoCpus?: number } }>([
    { name: 'none', want: {} },
    { name: 'memory 64Mi: Memory and MemorySwap equal (no swap)', limits: { memory: '64Mi' }, want: { Memory: 64 * 1024 * 1024, MemorySwap: 64 * 1024 * 1024 } },
    { name: 'memory 1G (decimal)', limits: { memory: '1G' }, want: { Memory: 1e9, MemorySwap: 1e9 } },
    { name: 'memory 128974848 (bytes)', limits: { memory: '128974848' }, want: { Memory: 128974848, MemorySwap: 128974848 } },
    { name: 'memory 129e6', limits: { memory: '129e6' }, want: { Memory: 129e6, MemorySwap: 129e6 } },
    { name: 'memory 1.5Gi', limits: { memory: '1.5Gi' }, want: { Memory: 1.5 * 2 ** 30, MemorySwap: 1.5 * 2 ** 30 } },
    { name: 'cpu 500m: 5e8 nano CPUs', limits: { cpu: '500m' }, want: { NanoCpus: 5e8 } },
    { name: 'cpu 250m', limits: { cpu: '250m' }, want: { NanoCpus: 2.5e8 } },
    { name: 'cpu "2"', limits: { cpu: '2' }, want: { NanoCpus: 2e9 } },
    { name: 'cpu 0.1', limits: { cpu: '0.1' }, want: { NanoCpus: 1e8 } },
    { name: 'cpu as a number', limits: { cpu: 1 }, want: { NanoCpus: 1e9 } },
    { name: 'both', limits: { cpu: '1500m', memory: '256Mi' }, want: { NanoCpus: 1.5e9, Memory: 256 * 2 ** 20, MemorySwap: 256 * 2 ** 20 } },
  ])('$name', ({ limits, want }) => {
    const c: Container = { name: 'main', image: 'busybox', ...(limits ? { resources: { limits } } : {}) };
    expect(resourceLimits(c)).toStrictEqual(want);
    const host = containerCreateOptions(newPod([c]), c, placement()).HostConfig;
    expect(host?.Memory).toBe(want.Memory);
    expect(host?.MemorySwap).toBe(want.MemorySwap);
    expect(host?.NanoCpus).toBe(want.NanoCpus);
  });

  it('requests alone set no limit', () => {
    const c: Container = { name: 'main', image: 'busybox', resources: { requests: { cpu: '1', memory: '1Gi' } } };
    expect(resourceLimits(c)).toStrictEqual({});
  });

  it.each(['abc', '5Q', '1..2x', '-1Gi', ''])('quantity(%j) throws', (q) => {
    expect(() => quantity(q)).toThrow(/invalid quantity/);
  });

  it.each<[string | number, number]>([
    ['1Ki', 1024],
    ['1k', 1000],
    ['2Mi', 2 * 2 ** 20],
    ['3M', 3e6],
    ['1Ti', 2 ** 40],
    ['100m', 0.1],
    [' 7 ', 7],
    [42, 42],
  ])('quantity(%j) = %d', (q, want) => expect(quantity(q)).toBeCloseTo(want, 9));
});

describe('containerCreateOptions: placement, volumes and labels', () => {
  const c: Container = {
    name: 'main',
    image: 'busybox:1.36',
    workingDir: '/work',
    volumeMounts: [
      { name: 'data', mountPath: '/data' },
      { name: 'data', mountPath: '/readonly', readOnly: true },
      { name: 'cache', mountPath: '/cache', readOnly: false },
    ],
  };
  const volumes = new Map([
    ['data', 'jf_team-a_calc-2-bcdfg_data'],
    ['cache', 'jf_team-a_calc-2-bcdfg_cache'],
  ]);

  it('volume mounts become Binds, read-only ones with :ro', () => {
    const opts = containerCreateOptions(newPod([c]), c, placement({ volumes }));
    expect(opts.HostConfig?.Binds).toStrictEqual([
      'jf_team-a_calc-2-bcdfg_data:/data',
      'jf_team-a_calc-2-bcdfg_data:/readonly:ro',
      'jf_team-a_calc-2-bcdfg_cache:/cache',
    ]);
  });

  it('name, image, working dir, no restart, no tty, attached output', () => {
    const opts = containerCreateOptions(newPod([c]), c, placement({ volumes }));
    expect(opts).toMatchObject({
      name: 'jf_team-a_calc-2-bcdfg_main',
      Image: 'busybox:1.36',
      WorkingDir: '/work',
      Tty: false,
      AttachStdout: true,
      AttachStderr: true,
      HostConfig: { RestartPolicy: { Name: 'no' } },
    });
    expect(dockerName(newPod(), 'side')).toBe('jf_team-a_calc-2-bcdfg_side');
  });

  it('without a network mode: own hostname (pod hostname, else pod name), no NetworkMode', () => {
    const plain = containerCreateOptions(newPod([c]), c, placement());
    expect(plain.Hostname).toBe('calc-2-bcdfg');
    expect(plain.HostConfig && 'NetworkMode' in plain.HostConfig).toBe(false);
    const withHostname = containerCreateOptions(newPod([c], { hostname: 'calc-2' }), c, placement());
    expect(withHostname.Hostname).toBe('calc-2');
  });

  it('a hostname longer than 63 characters is cut', () => {
    const pod = newPod([c]);
    pod.metadata.name = 'x'.repeat(70);
    expect(containerCreateOptions(pod, c, placement()).Hostname).toBe('x'.repeat(63));
  });

  it('sharing the pod network: NetworkMode set, no Hostname (Docker refuses both)', () => {
    const opts = containerCreateOptions(newPod([c], { hostname: 'calc-2' }), c, placement({ networkMode: 'container:abc123' }));
    expect(opts.HostConfig?.NetworkMode).toBe('container:abc123');
    expect('Hostname' in opts).toBe(false);
  });

  it('labels map the container back to its node, pod and Job', () => {
    const opts = containerCreateOptions(newPod([c]), c, placement());
    expect(opts.Labels).toStrictEqual({
      'io.jobfleet.managed': 'true',
      'io.jobfleet.node': 'node-7',
      'io.jobfleet.namespace': 'team-a',
      'io.jobfleet.pod': 'calc-2-bcdfg',
      'io.jobfleet.pod-uid': 'pod-uid-1',
      'io.jobfleet.job': 'calc',
      'io.jobfleet.job-uid': 'job-uid-1',
      'io.jobfleet.container': 'main',
    });
    expect(Object.keys(podLabels(newPod(), 'n')).sort()).toStrictEqual(
      [LABELS.managed, LABELS.node, LABELS.namespace, LABELS.pod, LABELS.podUid, LABELS.job, LABELS.jobUid].sort(),
    );
  });

  it('a pod without an owner gets empty Job labels', () => {
    const pod = newPod([c]);
    delete pod.metadata.ownerReferences;
    expect(podLabels(pod, 'n')).toMatchObject({ [LABELS.job]: '', [LABELS.jobUid]: '' });
  });
});

describe('containerCreateOptions: NVIDIA GPUs', () => {
  const request = { Driver: 'nvidia', DeviceIDs: ['1', '3'], Capabilities: [['gpu']] };
  it.each<{ name: string; env?: EnvVar[]; gpus?: Record<string, string[]>; wantEnv: string[]; wantRequests?: unknown[] }>([
    { name: 'a node without GPUs, a container that does not mention them: nothing', wantEnv: ['A=1'] },
    {
      name: 'given devices: a device request of the nvidia driver, NVIDIA_VISIBLE_DEVICES naming them, compute,utility',
      gpus: { main: ['1', '3'] },
      wantEnv: ['A=1', 'NVIDIA_VISIBLE_DEVICES=1,3', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility'],
      wantRequests: [request],
    },
    {
      name: 'the container\'s own NVIDIA_DRIVER_CAPABILITIES is kept',
      env: [{ name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'compute,utility,video' }],
      gpus: { main: ['1', '3'] },
      wantEnv: ['A=1', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility,video', 'NVIDIA_VISIBLE_DEVICES=1,3'],
      wantRequests: [request],
    },
    {
      name: 'the container\'s own NVIDIA_VISIBLE_DEVICES cannot widen its devices',
      env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }],
      gpus: { main: ['1', '3'] },
      wantEnv: ['A=1', 'NVIDIA_VISIBLE_DEVICES=1,3', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility'],
      wantRequests: [request],
    },
    {
      name: 'a GPU node, a container given none (another container of the pod has some): fenced off with void',
      gpus: { other: ['0'] },
      wantEnv: ['A=1', 'NVIDIA_VISIBLE_DEVICES=void'],
    },
    { name: 'a GPU node, a pod given none: void (overrides the image\'s ENV too)', gpus: {}, wantEnv: ['A=1', 'NVIDIA_VISIBLE_DEVICES=void'] },
    { name: 'a GPU node, an empty share: void', gpus: { main: [] }, wantEnv: ['A=1', 'NVIDIA_VISIBLE_DEVICES=void'] },
    {
      name: 'a node without GPUs, a container that asks for all by env: void',
      env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: 'all' }, { name: 'NVIDIA_DRIVER_CAPABILITIES', value: 'all' }],
      wantEnv: ['A=1', 'NVIDIA_VISIBLE_DEVICES=void', 'NVIDIA_DRIVER_CAPABILITIES=all'],
    },
    {
      name: 'a GPU node, a container without GPUs that asks for one by env: void',
      env: [{ name: 'NVIDIA_VISIBLE_DEVICES', value: '0' }],
      gpus: {},
      wantEnv: ['A=1', 'NVIDIA_VISIBLE_DEVICES=void'],
    },
  ])('$name', ({ env = [], gpus, wantEnv, wantRequests }) => {
    const c: Container = { name: 'main', image: 'cuda', env: [{ name: 'A', value: '1' }, ...env] };
    const opts = containerCreateOptions(newPod([c]), c, placement(gpus ? { gpus: new Map(Object.entries(gpus)) } : {}));
    expect(opts.Env).toStrictEqual(wantEnv);
    expect(opts.HostConfig?.DeviceRequests).toStrictEqual(wantRequests);
    expect('DeviceRequests' in (opts.HostConfig ?? {})).toBe(wantRequests !== undefined);
  });

  it('the rest of the body is as without GPUs', () => {
    const c: Container = { name: 'main', image: 'cuda', resources: { limits: { memory: '1Gi', 'nvidia.com/gpu': 1 } } };
    const { Env, HostConfig, ...rest } = containerCreateOptions(newPod([c]), c, placement({ gpus: new Map([['main', ['0']]]) }));
    const { Env: plainEnv, HostConfig: plainHost, ...plainRest } = containerCreateOptions(newPod([c]), c, placement());
    expect(rest).toStrictEqual(plainRest);
    const { DeviceRequests, ...host } = HostConfig ?? {};
    expect(host).toStrictEqual(plainHost);
    expect(DeviceRequests).toStrictEqual([{ Driver: 'nvidia', DeviceIDs: ['0'], Capabilities: [['gpu']] }]);
    expect(plainEnv).toStrictEqual([]);
    expect(Env).toStrictEqual(['NVIDIA_VISIBLE_DEVICES=0', 'NVIDIA_DRIVER_CAPABILITIES=compute,utility']);
  });

  it('a pod\'s devices go to its containers by their own limits (gpusPerContainer)', () => {
    const a: Container = { name: 'a', image: 'cuda', resources: { limits: { 'nvidia.com/gpu': 2 } } };
    const b: Container = { name: 'b', image: 'busybox' };
    const d: Container = { name: 'd', image: 'cuda', resources: { limits: { 'nvidia.com/gpu': '1' } } };
    const pod = newPod([a, b, d]);
    const shares = placement({ gpus: gpusPerContainer(pod, ['0', '1', '2']) });
    const body = (c: Container) => containerCreateOptions(pod, c, shares);
    expect(body(a).HostConfig?.DeviceRequests).toStrictEqual([{ Driver: 'nvidia', DeviceIDs: ['0', '1'], Capabilities: [['gpu']] }]);
    expect(body(a).Env).toContain('NVIDIA_VISIBLE_DEVICES=0,1');
    expect(body(b).HostConfig?.DeviceRequests).toBeUndefined();
    expect(body(b).Env).toStrictEqual(['NVIDIA_VISIBLE_DEVICES=void']);
    expect(body(d).HostConfig?.DeviceRequests).toStrictEqual([{ Driver: 'nvidia', DeviceIDs: ['2'], Capabilities: [['gpu']] }]);
    expect(body(d).Env).toContain('NVIDIA_VISIBLE_DEVICES=2');
  });
});
