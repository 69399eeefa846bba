/**
 * Native sidecars (init containers with restartPolicy Always), validated as Kubernetes'
 * validateInitContainers / validateContainers do (pkg/apis/core/validation/validation.go).
 */
import { describe, expect, it } from 'vitest';
import { invalidMessages, jobWithPod, type Manifest } from './__tests__/fixtures.js';
import { parseJob } from './parse.js';
import { isSidecar } from './validation-pod.js';

const POD = 'spec.template.spec';
const main = { name: 'main', image: 'busybox' };

describe('native sidecars', () => {
  it.each<{ name: string; manifest: Manifest; want: string[] }>([
    { name: 'an init container with restartPolicy Always', manifest: jobWithPod({ containers: [main], initContainers: [{ name: 'log', image: 'busybox', restartPolicy: 'Always' }] }), want: [] },
    {
      name: 'a sidecar among regular init containers',
      manifest: jobWithPod({ containers: [main], initContainers: [{ name: 'a', image: 'busybox' }, { name: 'log', image: 'busybox', restartPolicy: 'Always' }, { name: 'b', image: 'busybox' }] }),
      want: [],
    },
    {
      name: 'restartPolicy on an app container',
      manifest: jobWithPod({ containers: [{ ...main, restartPolicy: 'Always' }] }),
      want: [`${POD}.containers[0].restartPolicy: Forbidden: may not be set for non-init containers`],
    },
    {
      name: 'an init container with restartPolicy Never',
      manifest: jobWithPod({ containers: [main], initContainers: [{ name: 'i', image: 'busybox', restartPolicy: 'Never' }] }),
      want: [`${POD}.initContainers[0].restartPolicy: Unsupported value: "Never": supported values: "Always"`],
    },
    {
      name: 'an init container with restartPolicy OnFailure',
      manifest: jobWithPod({ containers: [main], initContainers: [{ name: 'i', image: 'busybox', restartPolicy: 'OnFailure' }] }),
      want: [`${POD}.initContainers[0].restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`],
    },
    {
      name: 'the restartPolicy error comes before the duplicate name, as in Kubernetes',
      manifest: jobWithPod({ containers: [main], initContainers: [{ name: 'main', image: 'busybox', restartPolicy: 'x' }] }),
      want: [`${POD}.initContainers[0].restartPolicy: Unsupported value: "x": supported values: "Always"`, `${POD}.initContainers[0].name: Duplicate value: "main"`],
    },
    {
      name: 'a restartPolicy that is not a string',
      manifest: jobWithPod({ containers: [main], initContainers: [{ name: 'i', image: 'busybox', restartPolicy: 3 }] }),
      want: [`${POD}.initContainers[0].restartPolicy: Invalid value: 3: must be a string`],
    },
  ])('$name', ({ manifest, want }) => {
    expect(invalidMessages(manifest)).toEqual(want);
  });

  it('keeps the field on the parsed Job (it was refused as not supported before)', () => {
    const job = parseJob(jobWithPod({ containers: [main], initContainers: [{ name: 'log', image: 'busybox', restartPolicy: 'Always' }] }));
    const init = job.spec.template.spec.initContainers?.[0];
    expect(init?.restartPolicy).toBe('Always');
    expect(init && isSidecar(init)).toBe(true);
    const app = job.spec.template.spec.containers[0];
    expect(app && isSidecar(app)).toBe(false);
  });
});
