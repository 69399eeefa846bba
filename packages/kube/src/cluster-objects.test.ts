import { describe, expect, it } from 'vitest';
import { nodeFromHeartbeat, nodeLabels, nodeSelectorMatches } from './cluster-objects.js';

describe('nodeSelectorMatches', () => {
  const labels = nodeLabels('node-1', { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64' });
  it.each<{ name: string; selector: Record<string, string> | undefined; want: boolean }>([
    { name: 'no selector', selector: undefined, want: true },
    { name: 'an empty selector', selector: {}, want: true },
    { name: 'the hostname', selector: { 'kubernetes.io/hostname': 'node-1' }, want: true },
    { name: 'another hostname', selector: { 'kubernetes.io/hostname': 'node-2' }, want: false },
    { name: 'every label matches', selector: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux' }, want: true },
    { name: 'one of two labels differs', selector: { 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/arch': 'arm64' }, want: false },
    { name: 'a label the node does not have', selector: { disk: 'ssd' }, want: false },
    { name: 'an empty value for a label the node does not have', selector: { disk: '' }, want: false },
    { name: 'a key of Object.prototype', selector: { constructor: '' }, want: false },
  ])('$name: $want', ({ selector, want }) => {
    expect(nodeSelectorMatches(selector, labels)).toBe(want);
  });
});

describe('nodeFromHeartbeat', () => {
  const hb = { name: 'node-1', capacity: { pods: 10 }, heartbeat: 1_000, docker: true };
  it('labels the Node with its name, then the OS and architecture its worker reported, also in nodeInfo', () => {
    const node = nodeFromHeartbeat({ ...hb, labels: { 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' } }, 1_000, 10_000);
    expect(node.metadata.labels).toStrictEqual({ 'kubernetes.io/hostname': 'node-1', 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'arm64' });
    expect(node.status.nodeInfo).toMatchObject({ operatingSystem: 'linux', architecture: 'arm64' });
  });
  it('leaves nodeInfo empty without them, or when a record holds something else', () => {
    expect(nodeFromHeartbeat(hb, 1_000, 10_000).status.nodeInfo).toMatchObject({ operatingSystem: '', architecture: '' });
    const odd = nodeFromHeartbeat({ ...hb, labels: { 'kubernetes.io/os': 7 } as unknown as Record<string, string> }, 1_000, 10_000);
    expect(odd.status.nodeInfo.operatingSystem).toBe('');
  });
});
