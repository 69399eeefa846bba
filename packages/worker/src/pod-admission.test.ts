/** What a worker refuses to run, whatever a pod record in Redis holds (pure: no Redis, no Docker). */
import { describe, expect, it } from 'vitest';
import type { Pod } from '@jobfleet/kube';
import { admitPod, refusedPodStatus, type Refusal } from './pod-admission.js';

const NODE = { allowPrivileged: false, nodeName: 'node-1' };

function pod(spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'pi-abcde', namespace: 'default', uid: '6f1c8a3e-2b7d-4c1e-9f00-0123456789ab', ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'j1' }], ...meta },
    spec: { restartPolicy: 'Never', nodeName: 'node-1', containers: [{ name: 'main', image: 'busybox', command: ['true'] }], ...spec },
    status: { phase: 'Pending' },
  };
}

const container = (extra: Record<string, unknown>) => ({ name: 'main', image: 'busybox', ...extra });

describe('admitPod', () => {
  it('admits a pod as the Job controller makes it (nodeName, hostname and subdomain included)', () => {
    expect(admitPod(pod({ hostname: 'pi-0', subdomain: 'pi' }), NODE)).toBeUndefined();
  });

  it.each<{ name: string; pod: unknown; policy?: Partial<typeof NODE>; reason: Refusal['reason']; message: RegExp }>([
    {
      name: 'a hostPath volume on a node without --allow-privileged',
      pod: pod({ volumes: [{ name: 'h', hostPath: { path: '/etc' } }], containers: [container({ volumeMounts: [{ name: 'h', mountPath: '/h' }] })] }),
      reason: 'Forbidden',
      message: /^Pod was rejected: spec\.volumes\[0\]\.hostPath: Forbidden: not allowed on node node-1 \(node node-1 runs no privileged pods: start its worker with --allow-privileged or JOBFLEET_ALLOW_PRIVILEGED=true to allow them\)$/,
    },
    {
      name: 'a privileged container',
      pod: pod({ containers: [container({ securityContext: { privileged: true } })] }),
      reason: 'Forbidden',
      message: /spec\.containers\[0\]\.securityContext\.privileged: Forbidden: not allowed on node node-1/,
    },
    {
      name: 'an added capability in an init container',
      pod: pod({ initContainers: [{ name: 'init', image: 'busybox', securityContext: { capabilities: { add: ['SYS_ADMIN'] } } }] }),
      reason: 'Forbidden',
      message: /spec\.initContainers\[0\]\.securityContext\.capabilities\.add: Forbidden/,
    },
    { name: 'the host network', pod: pod({ hostNetwork: true }), reason: 'Forbidden', message: /spec\.hostNetwork: Forbidden/ },
    { name: 'the host PID namespace', pod: pod({ hostPID: true }), reason: 'Forbidden', message: /spec\.hostPID: Forbidden/ },
    {
      name: 'a path traversal in the image',
      pod: pod({ containers: [container({ image: 'busybox/../../../127.0.0.1:9999/x' })] }),
      reason: 'InvalidImageName',
      message: /^Pod was rejected: spec\.containers\[0\]\.image: Invalid value: "busybox\/\.\.\/\.\.\/\.\.\/127\.0\.0\.1:9999\/x": must be a valid image reference/,
    },
    { name: 'an uppercase image', pod: pod({ containers: [container({ image: 'BusyBox' })] }), reason: 'InvalidImageName', message: /image: Invalid value: "BusyBox"/ },
    { name: 'a NUL in the image', pod: pod({ containers: [container({ image: 'busybox\u0000' })] }), reason: 'InvalidImageName', message: /image: Invalid value: "busybox\\u0000"/ },
    { name: 'a newline in the image', pod: pod({ containers: [container({ image: 'busy\nbox' })] }), reason: 'InvalidImageName', message: /image: Invalid value/ },
    { name: 'a 100 kB image name', pod: pod({ containers: [container({ image: 'a'.repeat(100_000) })] }), reason: 'InvalidImageName', message: /^.{0,2000}$/s },
    { name: 'an image that is not a string', pod: pod({ containers: [container({ image: { toString: 0 } })] }), reason: 'InvalidImageName', message: /spec\.containers\[0\]\.image: Invalid value/ },
    { name: 'no object at all', pod: 'x', reason: 'CreateContainerConfigError', message: /: Invalid value: "": must be an object/ },
    { name: 'no spec', pod: { metadata: { name: 'a', namespace: 'default', uid: 'u' }, status: {} }, reason: 'CreateContainerConfigError', message: /spec: Invalid value: "": must be an object/ },
    { name: 'containers not a list', pod: pod({ containers: 'busybox' }), reason: 'CreateContainerConfigError', message: /spec\.containers: Invalid value: "busybox": must be a list/ },
    { name: 'no container', pod: pod({ containers: [] }), reason: 'CreateContainerConfigError', message: /spec\.containers: Required value/ },
    { name: 'a pod name Docker would refuse', pod: pod({}, { name: '../x' }), reason: 'CreateContainerConfigError', message: /metadata\.name: Invalid value: "\.\.\/x"/ },
    { name: 'a uid that is no name', pod: pod({}, { uid: 'a/b' }), reason: 'CreateContainerConfigError', message: /metadata\.uid/ },
    { name: 'a field jobfleet does not implement', pod: pod({ topologySpreadConstraints: [] }), reason: 'CreateContainerConfigError', message: /spec\.topologySpreadConstraints: Forbidden: not supported by jobfleet/ },
    { name: 'a restartPolicy a Job cannot have', pod: pod({ restartPolicy: 'Always' }), reason: 'CreateContainerConfigError', message: /spec\.restartPolicy: Unsupported value: "Always"/ },
    { name: 'an invalid env name', pod: pod({ containers: [container({ env: [{ name: 'A=B', value: 'x' }] })] }), reason: 'CreateContainerConfigError', message: /spec\.containers\[0\]\.env\[0\]\.name: Invalid value: "A=B"/ },
  ])('refuses $name', ({ pod: input, policy, reason, message }) => {
    const refusal = admitPod(input, { ...NODE, ...policy });
    expect(refusal?.reason).toBe(reason);
    expect(refusal?.message).toMatch(message);
    expect(refusal?.message.length).toBeLessThan(6_000);
  });

  it('lets a node started with allowPrivileged run what it allows, and still refuses a bad image there', () => {
    const privileged = pod({ hostPID: true, volumes: [{ name: 'h', hostPath: { path: '/tmp' } }], containers: [container({ securityContext: { privileged: true } })] });
    expect(admitPod(privileged, { ...NODE, allowPrivileged: true })).toBeUndefined();
    expect(admitPod(pod({ hostPID: true, containers: [container({ image: 'x/../y' })] }), { ...NODE, allowPrivileged: true })?.reason).toBe('InvalidImageName');
  });

  it('answers each pod as if it were the first: a spec checked before, under another policy or with one field changed, gets its own answer', () => {
    const privileged = pod({ containers: [container({ securityContext: { privileged: true } })] });
    for (let i = 0; i < 3; i++) {
      expect(admitPod(privileged, { ...NODE, allowPrivileged: true })).toBeUndefined();
      expect(admitPod(privileged, NODE)?.reason).toBe('Forbidden');
      expect(admitPod(pod(), NODE)).toBeUndefined();
      // The same pod but for the image: another spec, checked on its own.
      expect(admitPod(pod({ containers: [container({ image: 'Not A Reference' })] }), NODE)?.reason).toBe('InvalidImageName');
      // Another pod of the same spec (another name): the spec's answer, the metadata checked anew.
      expect(admitPod(pod({}, { name: 'Bad_Name' }), NODE)?.message).toMatch(/metadata\.name/);
    }
  });

  it('names policy errors first, and lists at most 10 errors', () => {
    const many = pod({ hostIPC: true, containers: Array.from({ length: 30 }, (_, i) => container({ name: `c${i}`, image: `BAD${i}` })) });
    const refusal = admitPod(many, NODE);
    expect(refusal?.reason).toBe('Forbidden');
    const plain = admitPod(pod({ containers: Array.from({ length: 30 }, (_, i) => container({ name: `c${i}`, image: `BAD${i}` })) }), NODE);
    expect(plain?.message).toMatch(/; and 20 more$/);
    expect(plain?.errors).toHaveLength(30);
  });

  it('survives a record nested too deep for the checks', () => {
    let deep: unknown = 'x';
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const refusal = admitPod(pod({ containers: [container({ command: deep })] }), NODE);
    expect(refusal?.reason).toBe('CreateContainerConfigError');
  });
});

describe('refusedPodStatus', () => {
  it('fails the pod with the reason, its containers waiting with it', () => {
    const refusal = admitPod(pod({ hostNetwork: true }), NODE) as Refusal;
    const status = refusedPodStatus(pod({ hostNetwork: true }) as unknown as Pod, refusal, Date.UTC(2024, 0, 1));
    expect(status).toMatchObject({ phase: 'Failed', reason: 'Forbidden', message: refusal.message, startTime: '2024-01-01T00:00:00Z' });
    expect(status.containerStatuses).toEqual([
      { name: 'main', image: 'busybox', imageID: '', ready: false, started: false, restartCount: 0, state: { waiting: { reason: 'Forbidden', message: refusal.message } }, lastState: {} },
    ]);
    expect(status.conditions?.map((c) => `${c.type}=${c.status}`)).toEqual(['PodReadyToStartContainers=False', 'Initialized=True', 'Ready=False', 'ContainersReady=False', 'PodScheduled=True']);
  });

  it('builds a status for any record, lists of junk included', () => {
    const refusal: Refusal = { reason: 'CreateContainerConfigError', message: 'm', errors: [] };
    expect(refusedPodStatus(null, refusal, 0)).toMatchObject({ phase: 'Failed', containerStatuses: [] });
    expect(refusedPodStatus({ spec: { containers: [1, null, { name: 'a' }, { name: 'b', image: 'busybox' }] } }, refusal, 0).containerStatuses?.map((c) => c.name)).toEqual(['b']);
  });
});
