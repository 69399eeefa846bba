import { describe, expect, it } from 'vitest';
import type { PodSpec } from '@jobfleet/kube';
import { podRequests } from '@jobfleet/kube';
import { NodeResources, nodeCapacity, type NodeCapacityInput } from './node-resources.js';

const spec = (requests: Record<string, string>, extra: Partial<PodSpec> = {}): PodSpec => ({
  containers: [{ name: 'c', image: 'busybox', resources: { requests, limits: requests['nvidia.com/gpu'] ? { 'nvidia.com/gpu': requests['nvidia.com/gpu'] } : {} } }],
  ...extra,
});

function reserve(node: NodeResources, key: string, s: PodSpec) {
  const r = node.reserve(key, s, podRequests(s));
  if (r === 'held') throw new Error(`${key} is held`);
  if (r.token) tokens.set(key, r.token);
  return r;
}
const tokens = new Map<string, string>();
const release = (node: NodeResources, key: string) => node.release(key, tokens.get(key));

describe('nodeCapacity: what the node advertises', () => {
  it.each<{ name: string; input: Omit<NodeCapacityInput, 'maxPods'>; capacity: Record<string, string>; gpus: string[] }>([
    { name: 'detected only', input: { host: { cpu: 2, memory: 4_000_000_000 }, gpuDevices: [] }, capacity: { pods: '110', cpu: '2', memory: '4000000000' }, gpus: [] },
    { name: '--capacity over detected', input: { host: { cpu: 2, memory: 4_000_000_000 }, gpuDevices: [], overrides: { cpu: '1', memory: '1Gi', pods: '20' } }, capacity: { pods: '20', cpu: '1', memory: '1Gi' }, gpus: [] },
    { name: 'GPUs detected', input: { host: {}, gpuDevices: ['0', '1'] }, capacity: { pods: '110', 'nvidia.com/gpu': '2' }, gpus: ['0', '1'] },
    { name: 'fewer GPUs declared than detected', input: { host: {}, gpuDevices: ['0', '1', '2'], overrides: { 'nvidia.com/gpu': '1' } }, capacity: { pods: '110', 'nvidia.com/gpu': '1' }, gpus: ['0'] },
    { name: 'GPUs declared without nvidia-smi', input: { host: {}, gpuDevices: [], overrides: { 'nvidia.com/gpu': '2' } }, capacity: { pods: '110', 'nvidia.com/gpu': '2' }, gpus: ['0', '1'] },
  ])('$name', ({ input, capacity, gpus }) => {
    const out = nodeCapacity({ maxPods: 110, ...input });
    expect(out.capacity).toEqual(capacity);
    expect(out.gpuDevices).toEqual(gpus);
  });
});

describe('NodeResources: a node never hands out more than it has', () => {
  const node = () => new NodeResources('n', { cpu: '1', memory: '1Gi', pods: '3' }, []);

  it('reserves until the CPU is gone, then refuses with Insufficient cpu (not unresolvable: it fits an emptier node)', () => {
    const n = node();
    expect(reserve(n, 'a', spec({ cpu: '400m' })).reasons).toEqual([]);
    expect(reserve(n, 'b', spec({ cpu: '400m' })).reasons).toEqual([]);
    const third = reserve(n, 'c', spec({ cpu: '400m' }));
    expect(third).toMatchObject({ reasons: ['Insufficient cpu'], unresolvable: false });
    expect(n.requested()).toEqual({ cpu: 800 });
    expect(n.room()).toBe(0); // takes nothing for a moment
    release(n, 'a');
    expect(n.room()).toBe(Number.POSITIVE_INFINITY); // a pod ended: look again
    expect(reserve(n, 'c', spec({ cpu: '400m' })).reasons).toEqual([]);
  });

  it('counts pods against the pods capacity (Too many pods)', () => {
    const n = node();
    for (const k of ['a', 'b', 'c']) expect(reserve(n, k, spec({})).reasons).toEqual([]);
    expect(reserve(n, 'd', spec({})).reasons).toEqual(['Too many pods']);
  });

  it('a pod bigger than the node is unresolvable here', () => {
    expect(reserve(node(), 'big', spec({ cpu: '2' }))).toMatchObject({ reasons: ['Insufficient cpu'], unresolvable: true });
    expect(reserve(node(), 'mem', spec({ memory: '2Gi' }))).toMatchObject({ reasons: ['Insufficient memory'], unresolvable: true });
  });

  it("a pod held already is 'held' (its entry came twice): only the reservation's own token lets it go", () => {
    const n = node();
    reserve(n, 'a', spec({ cpu: '500m' }));
    const first = tokens.get('a');
    expect(n.reserve('a', spec({ cpu: '500m' }), podRequests(spec({ cpu: '500m' })))).toBe('held');
    expect(n.requested().cpu).toBe(500);
    // The second claim's failure lets go of nothing: it held nothing.
    n.release('a', undefined);
    n.release('a', 'r-someone-else');
    n.release('zzz', first);
    expect(n.requested().cpu).toBe(500);
    n.release('a', first);
    expect(n.requested()).toEqual({});
    n.release('a', first); // twice: nothing more
    expect(n.requested()).toEqual({});
  });

  it('a pod that cannot be read is taken asking for nothing (for admission to refuse it), within the pods bound', () => {
    const n = node();
    const r = n.reserve('bad', { containers: [] }, {}, true);
    expect(r).toMatchObject({ reasons: [] });
    expect(n.view().podCount).toBe(1);
  });

  it('follows labels, taints and cordon set on the node', () => {
    const n = node();
    n.follow({ labels: { zone: 'a' }, taints: [{ key: 'dedicated', value: 'x', effect: 'NoSchedule' }] }, { 'kubernetes.io/os': 'linux' });
    expect(n.labels()).toEqual({ zone: 'a', 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': 'n' });
    expect(reserve(n, 'a', spec({}, { nodeSelector: { zone: 'a' } }))).toMatchObject({ reasons: ['node(s) had untolerated taint {dedicated: x}'], unresolvable: true });
    expect(reserve(n, 'b', spec({}, { nodeSelector: { zone: 'a' }, tolerations: [{ key: 'dedicated', operator: 'Exists' }] })).reasons).toEqual([]);
    expect(reserve(n, 'c', spec({}, { nodeSelector: { zone: 'b' }, tolerations: [{ operator: 'Exists' }] })).reasons).toEqual(["node(s) didn't match Pod's node affinity/selector"]);
    n.follow({ unschedulable: true }, {});
    expect(reserve(n, 'd', spec({})).reasons).toEqual(['node(s) were unschedulable']);
    // The cordon taint tolerated: kubectl drain's DaemonSet pods, or any pod that tolerates everything.
    expect(reserve(n, 'e', spec({}, { tolerations: [{ operator: 'Exists' }] })).reasons).toEqual([]);
  });

  it('gives each GPU pod its own devices, never one device to two pods, and takes them back', () => {
    const n = new NodeResources('g', { cpu: '4', memory: '4Gi', pods: '10', 'nvidia.com/gpu': '2' }, ['0', '1']);
    expect(n.hasGpus).toBe(true);
    const a = reserve(n, 'a', spec({ 'nvidia.com/gpu': '1' }));
    const b = reserve(n, 'b', spec({ 'nvidia.com/gpu': '1' }));
    expect(new Set([...(a.gpus ?? []), ...(b.gpus ?? [])])).toEqual(new Set(['0', '1']));
    expect(reserve(n, 'c', spec({ 'nvidia.com/gpu': '1' })).reasons).toEqual(['Insufficient nvidia.com/gpu']);
    release(n, 'a');
    expect(reserve(n, 'c', spec({ 'nvidia.com/gpu': '1' })).gpus).toEqual(a.gpus);
    expect(reserve(new NodeResources('cpu-only', { cpu: '4', pods: '10' }, []), 'g', spec({ 'nvidia.com/gpu': '1' }))).toMatchObject({ reasons: ['Insufficient nvidia.com/gpu'], unresolvable: true });
  });
});
