/** podQOSClass, with the cases of Kubernetes' qos_test.go that apply to cpu and memory. */
import { describe, expect, it } from 'vitest';
import { podQOSClass } from './qos.js';
import type { Container, PodQOSClass } from './types.js';

const c = (limits?: Record<string, string>, requests?: Record<string, string>): Container => ({ name: 'c', image: 'busybox', ...(limits || requests ? { resources: { ...(limits ? { limits } : {}), ...(requests ? { requests } : {}) } } : {}) });

describe('podQOSClass', () => {
  it.each<{ name: string; containers: Container[]; initContainers?: Container[]; want: PodQOSClass }>([
    { name: 'no resources at all', containers: [c(), c()], want: 'BestEffort' },
    { name: 'zero requests count as none', containers: [c(undefined, { cpu: '0', memory: '0' })], want: 'BestEffort' },
    { name: 'limits of cpu and memory (requests default to them)', containers: [c({ cpu: '100m', memory: '100Mi' })], want: 'Guaranteed' },
    { name: 'requests equal to limits', containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '1000m', memory: '1Gi' })], want: 'Guaranteed' },
    { name: 'a request below its limit', containers: [c({ cpu: '1', memory: '1Gi' }, { cpu: '500m' })], want: 'Burstable' },
    { name: 'only a cpu limit', containers: [c({ cpu: '1' })], want: 'Burstable' },
    { name: 'only requests', containers: [c(undefined, { memory: '10Mi' })], want: 'Burstable' },
    { name: 'one guaranteed container and one best-effort', containers: [c({ cpu: '1', memory: '1Gi' }), c()], want: 'Burstable' },
    { name: 'an init container without limits makes it Burstable', containers: [c({ cpu: '1', memory: '1Gi' })], initContainers: [c()], want: 'Burstable' },
    { name: 'a resource QoS ignores (ephemeral-storage)', containers: [c({ 'ephemeral-storage': '1Gi' })], want: 'BestEffort' },
  ])('$name: $want', ({ containers, initContainers, want }) => {
    expect(podQOSClass({ containers, ...(initContainers ? { initContainers } : {}) })).toBe(want);
  });
});
