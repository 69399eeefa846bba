import { describe, expect, it } from 'vitest';
import { nodeFromHeartbeat, nodeLabels, nodeSelectorMatches, nodeSpecFromNode, sanitizeNodeSpec, stampNoExecuteTaints } from './cluster-objects.js';
import { formatFieldError } from './field-errors.js';

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

describe('node spec records', () => {
  it('sanitizeNodeSpec keeps only what has the right shape (a record from Redis may hold anything)', () => {
    expect(sanitizeNodeSpec({ labels: { a: 'b' }, annotations: { n: 1 }, taints: [null, 7, { key: 'k', effect: 'Sometimes' }, { key: 'k', value: 'v', effect: 'NoSchedule' }], unschedulable: 'yes', version: 'x' })).toStrictEqual({
      labels: { a: 'b' },
      taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }],
    });
    expect(sanitizeNodeSpec([1])).toStrictEqual({});
    expect(sanitizeNodeSpec(null)).toStrictEqual({});
    expect(sanitizeNodeSpec({ unschedulable: true, version: 3, taints: 'x' })).toStrictEqual({ taints: [], unschedulable: true, version: 3 });
  });

  it('nodeSpecFromNode validates as Kubernetes (validateNodeTaints) and drops the cordon taint, which unschedulable stands for', () => {
    const { spec, errors } = nodeSpecFromNode({
      metadata: { labels: { zone: 'a' }, annotations: { 'jobfleet.io/running-pods': '3', note: 'x' } },
      spec: { unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'gpu', value: 'yes', effect: 'NoExecute' }] },
    });
    expect(errors).toStrictEqual([]);
    expect(spec).toStrictEqual({ labels: { zone: 'a' }, annotations: { note: 'x' }, taints: [{ key: 'gpu', value: 'yes', effect: 'NoExecute' }], unschedulable: true });
    const bad = nodeSpecFromNode({ spec: { unschedulable: 'no', taints: [{ key: 'k', effect: 'Sometimes' }, { key: 'd', effect: 'NoSchedule' }, { key: 'd', value: 'x', effect: 'NoSchedule' }, { effect: 'NoSchedule' }] } });
    expect(bad.errors.map(formatFieldError)).toStrictEqual([
      'spec.unschedulable: Invalid value: "no": must be a boolean',
      'spec.taints[0].effect: Unsupported value: "Sometimes": supported values: "NoSchedule", "PreferNoSchedule", "NoExecute"',
      'spec.taints[2]: Duplicate value: {"key":"d","value":"x","effect":"NoSchedule"}: taints must be unique by key and effect pair',
      // An empty key: both of Kubernetes' IsQualifiedName messages, as ValidateLabelName reports them.
      'spec.taints[3].key: Invalid value: "": name part must be non-empty',
      expect.stringMatching(/^spec\.taints\[3\]\.key: Invalid value: "": name part must consist of alphanumeric characters/),
    ]);
  });

  it('a cordoned node shows the cordon taint once, and its kubelet labels win over those set on it', () => {
    const node = nodeFromHeartbeat({ name: 'w1', capacity: { pods: 4, cpu: '2', 'nvidia.com/gpu': 1 }, heartbeat: 1_000, docker: true }, 1_000, 10_000, {
      labels: { 'kubernetes.io/hostname': 'other', zone: 'a' },
      unschedulable: true,
      version: 2,
    });
    expect(node.spec).toStrictEqual({ unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] });
    expect(node.metadata.labels).toStrictEqual({ zone: 'a', 'kubernetes.io/hostname': 'w1' });
    expect(node.status.allocatable).toStrictEqual({ pods: '4', cpu: '2', 'nvidia.com/gpu': '1' });
  });
});

describe('stampNoExecuteTaints', () => {
  const now = Date.parse('2026-11-30T10:00:00Z');
  it('stamps a new NoExecute taint with now, keeps the time of one it had, and a client\'s own; other effects untouched', () => {
    const before = [{ key: 'old', effect: 'NoExecute' as const, timeAdded: '2026-11-30T09:00:00Z' }];
    expect(
      stampNoExecuteTaints(
        [
          { key: 'new', effect: 'NoExecute' },
          { key: 'old', value: 'changed', effect: 'NoExecute' },
          { key: 'own', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
          { key: 'old', effect: 'NoSchedule' },
        ],
        before,
        now,
      ),
    ).toStrictEqual([
      { key: 'new', effect: 'NoExecute', timeAdded: '2026-11-30T10:00:00Z' },
      { key: 'old', value: 'changed', effect: 'NoExecute', timeAdded: '2026-11-30T09:00:00Z' },
      { key: 'own', effect: 'NoExecute', timeAdded: '2026-01-01T00:00:00Z' },
      { key: 'old', effect: 'NoSchedule' },
    ]);
  });
});
