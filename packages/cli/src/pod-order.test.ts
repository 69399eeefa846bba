import type { Pod } from '@jobfleet/kube';
import { describe, expect, it } from 'vitest';
import { podForLogs } from './pod-order.js';

function pod(name: string, phase: Pod['status']['phase'], extra: { node?: string; ready?: boolean; restarts?: number; created?: string } = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, creationTimestamp: extra.created ?? '2025-01-01T00:00:00Z' },
    spec: { containers: [{ name: 'c', image: 'i' }], ...(extra.node ? { nodeName: extra.node } : {}) },
    status: {
      phase,
      conditions: extra.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2025-01-01T00:00:05Z' }] : [],
      containerStatuses: [{ name: 'c', image: 'i', ready: Boolean(extra.ready), restartCount: extra.restarts ?? 0, state: {} }],
    },
  };
}

describe('podForLogs (kubectl logs job/NAME: podutils.ByLogging)', () => {
  it.each([
    { name: 'scheduled before unscheduled', pods: [pod('a', 'Pending'), pod('b', 'Pending', { node: 'n' })], want: 'b' },
    { name: 'Running before Pending', pods: [pod('a', 'Pending', { node: 'n' }), pod('b', 'Running', { node: 'n' })], want: 'b' },
    { name: 'Succeeded ranks like Running, then older first', pods: [pod('a', 'Running', { node: 'n', created: '2025-01-02T00:00:00Z' }), pod('b', 'Succeeded', { node: 'n' })], want: 'b' },
    { name: 'ready before not ready', pods: [pod('a', 'Running', { node: 'n' }), pod('b', 'Running', { node: 'n', ready: true })], want: 'b' },
    { name: 'more restarts first', pods: [pod('a', 'Running', { node: 'n' }), pod('b', 'Running', { node: 'n', restarts: 2 })], want: 'b' },
    { name: 'older first', pods: [pod('a', 'Failed', { node: 'n', created: '2025-01-03T00:00:00Z' }), pod('b', 'Failed', { node: 'n', created: '2025-01-02T00:00:00Z' })], want: 'b' },
    { name: 'no pods', pods: [], want: undefined },
  ])('$name', ({ pods, want }) => {
    expect(podForLogs(pods)?.metadata.name).toBe(want);
  });
});
