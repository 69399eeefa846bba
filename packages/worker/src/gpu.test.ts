/** GPUs: nvidia-smi detection (a fake nvidia-smi on PATH), the allocator and each container's share (pure). */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Container, Pod } from '@jobfleet/kube';
import { GpuAllocator, containerGpuCount, detectGpus, gpusPerContainer, parseGpuIndexes, podGpuCount } from './gpu.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** A PATH holding only a fake nvidia-smi running this shell script (or none). */
function fakePath(script?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-gpu-'));
  dirs.push(dir);
  if (script !== undefined) {
    const file = join(dir, 'nvidia-smi');
    writeFileSync(file, `#!/bin/sh\n${script}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

describe('detectGpus', () => {
  it.each<{ name: string; script?: string; want: string[] }>([
    { name: 'no nvidia-smi on PATH', want: [] },
    { name: 'two GPUs', script: 'printf "0\\n1\\n"', want: ['0', '1'] },
    { name: 'CRLF and blank lines', script: 'printf "0\\r\\n\\n1\\r\\n2\\r\\n"', want: ['0', '1', '2'] },
    { name: 'no GPU: nvidia-smi fails (exit 6, "No devices were found")', script: 'echo "No devices were found"; exit 6', want: [] },
    { name: 'a failing driver', script: 'echo "NVIDIA-SMI has failed because it couldn\'t communicate with the NVIDIA driver" >&2; exit 9', want: [] },
    { name: 'output that is not indexes', script: 'echo "index"; echo 0', want: [] },
    { name: 'no output', script: 'exit 0', want: [] },
  ])('$name → $want', async ({ script, want }) => {
    expect(await detectGpus({ env: { PATH: fakePath(script) } })).toStrictEqual(want);
  });

  it('asks nvidia-smi for the indexes as CSV without a header', async () => {
    const script = '[ "$1" = "--query-gpu=index" ] && [ "$2" = "--format=csv,noheader" ] && [ $# -eq 2 ] && echo 0 || exit 1';
    expect(await detectGpus({ env: { PATH: fakePath(script) } })).toStrictEqual(['0']);
  });

  it('an nvidia-smi that hangs counts as none, after the timeout', async () => {
    const started = Date.now();
    expect(await detectGpus({ env: { PATH: fakePath('exec sleep 30') }, timeoutMs: 200 })).toStrictEqual([]);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('output beyond the bound counts as none', async () => {
    expect(await detectGpus({ env: { PATH: fakePath('yes 0 | head -c 200000') } })).toStrictEqual([]);
  });

  it('a non-executable nvidia-smi is not run', async () => {
    const dir = fakePath('echo 0');
    chmodSync(join(dir, 'nvidia-smi'), 0o644);
    expect(await detectGpus({ env: { PATH: dir } })).toStrictEqual([]);
  });

  it('looks through every PATH entry', async () => {
    expect(await detectGpus({ env: { PATH: ['', fakePath(), fakePath('echo 3')].join(':') } })).toStrictEqual(['3']);
  });
});

describe('parseGpuIndexes', () => {
  it.each<[string, string[]]>([
    ['0\n1\n', ['0', '1']],
    ['', []],
    ['0\n0\n', ['0']],
    ['0\nGPU-1234\n', []],
    ['-1\n', []],
  ])('%j → %j', (output, want) => expect(parseGpuIndexes(output)).toStrictEqual(want));
});

describe('GpuAllocator', () => {
  type Step = [op: 'allocate', pod: string, count: number, want: string[] | undefined] | [op: 'release', pod: string] | [op: 'free', want: number] | [op: 'assigned', pod: string, want: string[] | undefined];
  it.each<{ name: string; devices: string[]; steps: Step[] }>([
    { name: 'the lowest free devices first', devices: ['0', '1', '2'], steps: [['allocate', 'a', 2, ['0', '1']], ['free', 1], ['allocate', 'b', 1, ['2']], ['free', 0]] },
    { name: 'fewer free than asked: undefined, nothing held', devices: ['0', '1'], steps: [['allocate', 'a', 1, ['0']], ['allocate', 'b', 2, undefined], ['free', 1], ['assigned', 'b', undefined]] },
    { name: 'idempotent: the same pod gets its same devices', devices: ['0', '1', '2'], steps: [['allocate', 'a', 1, ['0']], ['allocate', 'b', 1, ['1']], ['allocate', 'a', 1, ['0']], ['free', 1]] },
    { name: 'the same pod with another count: refused, keeps its devices', devices: ['0', '1', '2'], steps: [['allocate', 'a', 1, ['0']], ['allocate', 'a', 2, undefined], ['assigned', 'a', ['0']], ['free', 2]] },
    { name: 'release frees the devices for another pod', devices: ['0', '1'], steps: [['allocate', 'a', 2, ['0', '1']], ['allocate', 'b', 1, undefined], ['release', 'a'], ['free', 2], ['allocate', 'b', 1, ['0']], ['assigned', 'a', undefined]] },
    { name: 'a freed device in the middle is reused', devices: ['0', '1', '2'], steps: [['allocate', 'a', 1, ['0']], ['allocate', 'b', 1, ['1']], ['allocate', 'c', 1, ['2']], ['release', 'b'], ['allocate', 'd', 1, ['1']]] },
    { name: 'count 0: [] and nothing held', devices: ['0'], steps: [['allocate', 'a', 0, []], ['assigned', 'a', undefined], ['free', 1]] },
    { name: 'no devices', devices: [], steps: [['free', 0], ['allocate', 'a', 1, undefined], ['allocate', 'b', 0, []]] },
    { name: 'releasing a pod that holds none', devices: ['0'], steps: [['release', 'x'], ['free', 1]] },
    { name: 'duplicate ids count once', devices: ['0', '0', '1'], steps: [['free', 2], ['allocate', 'a', 2, ['0', '1']], ['free', 0]] },
    { name: 'ids in the order given', devices: ['3', '1'], steps: [['allocate', 'a', 1, ['3']], ['assigned', 'a', ['3']]] },
  ])('$name', ({ devices, steps }) => {
    const gpus = new GpuAllocator(devices);
    for (const step of steps) {
      if (step[0] === 'allocate') expect(gpus.allocate(step[1], step[2]), JSON.stringify(step)).toStrictEqual(step[3]);
      else if (step[0] === 'release') gpus.release(step[1]);
      else if (step[0] === 'free') expect(gpus.free(), JSON.stringify(step)).toBe(step[1]);
      else expect(gpus.assigned(step[1]), JSON.stringify(step)).toStrictEqual(step[2]);
    }
  });

  it('never gives one device to two pods', () => {
    const gpus = new GpuAllocator(['0', '1', '2', '3']);
    const holders = new Map<string, string>();
    for (let i = 0; i < 200; i++) {
      const pod = `p${i % 7}`;
      if (i % 3 === 0) {
        gpus.release(pod);
        for (const [d, p] of holders) if (p === pod) holders.delete(d);
        continue;
      }
      const got = gpus.allocate(pod, (i % 2) + 1);
      for (const d of got ?? []) {
        const holder = holders.get(d);
        expect(holder === undefined || holder === pod).toBe(true);
        holders.set(d, pod);
      }
      expect(gpus.free()).toBe(4 - holders.size);
    }
  });

  it.each([-1, 1.5, Number.NaN])('a count of %s throws', (count) => {
    expect(() => new GpuAllocator(['0']).allocate('a', count)).toThrow('a GPU count must be a non-negative integer');
  });
});

const gpu = (name: string, count?: number | string, extra: Partial<Container> = {}): Container => ({
  name,
  image: 'cuda',
  ...(count === undefined ? {} : { resources: { limits: { 'nvidia.com/gpu': count } } }),
  ...extra,
});
const sidecar = (name: string, count?: number): Container => gpu(name, count, { restartPolicy: 'Always' });

function pod(containers: Container[], initContainers?: Container[]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'u' },
    spec: { containers, ...(initContainers ? { initContainers } : {}), restartPolicy: 'Never' },
    status: { phase: 'Pending' },
  };
}

describe('containerGpuCount', () => {
  it.each<{ name: string; container: Container; want: number }>([
    { name: 'no resources', container: gpu('a'), want: 0 },
    { name: 'a number limit', container: gpu('a', 2), want: 2 },
    { name: 'a string limit', container: gpu('a', '3'), want: 3 },
    { name: 'a request alone', container: gpu('a', undefined, { resources: { requests: { 'nvidia.com/gpu': '1' } } }), want: 1 },
    { name: 'the limit over the request', container: gpu('a', undefined, { resources: { limits: { 'nvidia.com/gpu': 2 }, requests: { 'nvidia.com/gpu': 2 } } }), want: 2 },
    { name: 'other resources only', container: gpu('a', undefined, { resources: { limits: { cpu: '1' } } }), want: 0 },
  ])('$name → $want', ({ container, want }) => expect(containerGpuCount(container)).toBe(want));

  it.each(['500m', '-1', 'lots'])('%j throws', (count) => {
    expect(() => containerGpuCount(gpu('a', count))).toThrow(`container a: nvidia.com/gpu must be a non-negative integer, got "${count}"`);
  });
});

describe('podGpuCount and gpusPerContainer', () => {
  it.each<{ name: string; pod: Pod; devices: string[]; count: number; want: Record<string, string[]> }>([
    { name: 'no GPUs', pod: pod([gpu('main')]), devices: [], count: 0, want: {} },
    { name: 'one container', pod: pod([gpu('main', 2)]), devices: ['4', '5'], count: 2, want: { main: ['4', '5'] } },
    { name: 'each container its own devices, by its own count', pod: pod([gpu('a', 1), gpu('b'), gpu('c', 2)]), devices: ['0', '1', '2'], count: 3, want: { a: ['0'], c: ['1', '2'] } },
    { name: 'more devices than asked: the first ones', pod: pod([gpu('a', 1)]), devices: ['0', '1'], count: 1, want: { a: ['0'] } },
    { name: 'an init container gives its devices back to the app containers', pod: pod([gpu('app', 1)], [gpu('init', 2)]), devices: ['0', '1'], count: 2, want: { init: ['0', '1'], app: ['0'] } },
    { name: 'init containers reuse each other\'s', pod: pod([gpu('app')], [gpu('i1', 1), gpu('i2', 1)]), devices: ['0'], count: 1, want: { i1: ['0'], i2: ['0'] } },
    { name: 'a sidecar keeps its devices', pod: pod([gpu('app', 1)], [sidecar('side', 1)]), devices: ['0', '1'], count: 2, want: { side: ['0'], app: ['1'] } },
    { name: 'an init container after a sidecar: not the sidecar\'s', pod: pod([gpu('app', 1)], [sidecar('side', 1), gpu('init', 2)]), devices: ['0', '1', '2'], count: 3, want: { side: ['0'], init: ['1', '2'], app: ['1'] } },
    { name: 'an init container before a sidecar may share with it (never at once)', pod: pod([gpu('app')], [gpu('init', 1), sidecar('side', 1)]), devices: ['0'], count: 1, want: { init: ['0'], side: ['0'] } },
  ])('$name', ({ pod: p, devices, count, want }) => {
    expect(podGpuCount(p)).toBe(count);
    expect(Object.fromEntries(gpusPerContainer(p, devices))).toStrictEqual(want);
  });

  it('no two containers that run together share a device', () => {
    const p = pod([gpu('a', 2), gpu('b', 1)], [sidecar('s', 1), gpu('i', 3)]);
    const shares = gpusPerContainer(p, ['0', '1', '2', '3']);
    const together = ['s', 'a', 'b'].flatMap((name) => shares.get(name) ?? []);
    expect(new Set(together).size).toBe(together.length);
    expect(podGpuCount(p)).toBe(4);
  });

  it('too few devices for the pod throws', () => {
    expect(() => gpusPerContainer(pod([gpu('a', 1), gpu('b', 1)]), ['0'])).toThrow('the pod needs 2 nvidia.com/gpu but was given 1 (0)');
    expect(() => gpusPerContainer(pod([gpu('a', 1)]), [])).toThrow('the pod needs 1 nvidia.com/gpu but was given 0 (none)');
  });
});
