import type { ContainerStatus, Pod } from '@jobfleet/kube';
import { describe, expect, it } from 'vitest';
import { lastPodCause, podCause } from './failure-cause.js';

const container = (state: ContainerStatus['state'], name = 'main'): ContainerStatus => ({ name, image: 'busybox', ready: false, restartCount: 0, state });

const pod = (name: string, status: Partial<Pod['status']>, created = '2026-01-01T00:00:00Z'): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, creationTimestamp: created },
  spec: { containers: [] },
  status: { phase: 'Failed', ...status },
});

const NEVER_PULL = 'Container image "python:3.12-slim" is not present on node n1 and this node does not pull images (see JOBFLEET_PULL_TIMEOUT_MS)';

describe('the cause of a failed Job, from its pods', () => {
  it.each([
    {
      name: 'a missing image: the waiting reason and the worker message',
      status: { containerStatuses: [container({ waiting: { reason: 'ErrImageNeverPull', message: NEVER_PULL } })] },
      want: `ErrImageNeverPull: ${NEVER_PULL}`,
    },
    {
      name: 'a command that failed: its exit code and container',
      status: { containerStatuses: [container({ terminated: { exitCode: 3, reason: 'Error' } })] },
      want: 'Error: container "main" exited with code 3',
    },
    {
      name: 'a termination message on one line',
      status: { containerStatuses: [container({ terminated: { exitCode: 1, message: 'boom\nat line 2\n' } })] },
      want: 'Error: container "main" exited with code 1: boom; at line 2',
    },
    {
      name: 'an init container that failed comes before the app containers waiting for it',
      status: {
        initContainerStatuses: [container({ terminated: { exitCode: 2, reason: 'Error' } }, 'init')],
        containerStatuses: [container({ waiting: { reason: 'PodInitializing' } })],
      },
      want: 'Error: container "init" exited with code 2',
    },
    {
      name: 'the pod-level reason when no container says more (deadline)',
      status: { reason: 'DeadlineExceeded', message: 'Pod was active on the node longer than the specified deadline', containerStatuses: [container({ waiting: { reason: 'ContainerCreating' } })] },
      want: 'DeadlineExceeded: Pod was active on the node longer than the specified deadline',
    },
  ])('$name', ({ status, want }) => {
    expect(podCause(pod('p', status))).toBe(want);
  });

  it('names the last failed pod, ignoring succeeded ones and those with nothing to say', () => {
    const pods = [
      pod('x-old', { containerStatuses: [container({ terminated: { exitCode: 1, finishedAt: '2026-01-01T00:00:05Z' } })] }),
      pod('x-new', { containerStatuses: [container({ terminated: { exitCode: 7, finishedAt: '2026-01-01T00:00:09Z' } })] }),
      pod('x-ok', { phase: 'Succeeded', containerStatuses: [container({ terminated: { exitCode: 0, finishedAt: '2026-01-01T00:00:10Z' } })] }),
    ];
    expect(lastPodCause(pods)).toBe('last pod x-new: Error: container "main" exited with code 7');
    expect(lastPodCause([pod('x', {})])).toBeUndefined();
    expect(lastPodCause([])).toBeUndefined();
  });
});
