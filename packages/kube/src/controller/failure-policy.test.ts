/**
 * matchPodFailurePolicy, after Kubernetes' TestMatchPodFailurePolicy
 * (pkg/controller/job/pod_failure_policy_test.go): the cases that apply, ported one to one.
 */
import { describe, expect, it } from 'vitest';
import type { ContainerStatus, Pod, PodCondition, PodFailurePolicy } from '../types.js';
import { matchPodFailurePolicy, type PodFailurePolicyMatch } from './failure-policy.js';

function failedPod(status: { containers?: ContainerStatus[]; inits?: ContainerStatus[]; conditions?: PodCondition[] }): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace: 'default', name: 'mypod' },
    spec: { containers: [] },
    status: {
      phase: 'Failed',
      ...(status.containers ? { containerStatuses: status.containers } : {}),
      ...(status.inits ? { initContainerStatuses: status.inits } : {}),
      ...(status.conditions ? { conditions: status.conditions } : {}),
    },
  };
}

const exited = (exitCode: number, name = ''): ContainerStatus => ({ name, image: 'busybox', ready: false, restartCount: 0, state: { terminated: { exitCode } } });
const notTerminated = (name: string): ContainerStatus => ({ name, image: 'busybox', ready: false, restartCount: 0, state: {} });
const condition = (type: string, status: 'True' | 'False' | 'Unknown'): PodCondition => ({ type: type as PodCondition['type'], status });
const disruption = (status: 'True' | 'False' | 'Unknown' = 'True') => condition('DisruptionTarget', status);
const onCodes = (action: string, operator: string, values: number[]) => ({ action, onExitCodes: { operator, values } });
const onConditions = (action: string, type: string, status = 'True') => ({ action, onPodConditions: [{ type, status }] });
const policy = (...rules: unknown[]) => ({ rules }) as PodFailurePolicy;

const failJob = (message: string): PodFailurePolicyMatch => ({ countFailed: true, action: 'FailJob', failJobMessage: message });
const IGNORE: PodFailurePolicyMatch = { countFailed: false, action: 'Ignore' };
const COUNT: PodFailurePolicyMatch = { countFailed: true, action: 'Count' };
const FAIL_INDEX: PodFailurePolicyMatch = { countFailed: true, action: 'FailIndex' };
const NO_MATCH: PodFailurePolicyMatch = { countFailed: true };

describe('matchPodFailurePolicy', () => {
  it.each<{ name: string; policy: PodFailurePolicy | undefined; pod: Pod; want: PodFailurePolicyMatch }>([
    {
      name: 'unknown action for rule matching by exit codes - skip rule with unknown action',
      policy: policy(onCodes('UnknownAction', 'In', [1, 2]), onCodes('FailJob', 'In', [2, 3])),
      pod: failedPod({ containers: [exited(2, 'main-container')] }),
      want: failJob('Container main-container for pod default/mypod failed with exit code 2 matching FailJob rule at index 1'),
    },
    {
      name: 'unknown action for rule matching by pod conditions - skip rule with unknown action',
      policy: policy(onConditions('UnkonwnAction', 'DisruptionTarget'), onConditions('Ignore', 'DisruptionTarget')),
      pod: failedPod({ conditions: [disruption()] }),
      want: IGNORE,
    },
    {
      name: 'unknown operator - rule with unknown action is skipped for onExitCodes',
      policy: policy(onCodes('Ignore', 'UnknownOperator', [1, 2]), onCodes('FailJob', 'In', [2, 3])),
      pod: failedPod({ containers: [exited(2, 'main-container')] }),
      want: failJob('Container main-container for pod default/mypod failed with exit code 2 matching FailJob rule at index 1'),
    },
    { name: 'no policy rules', policy: undefined, pod: failedPod({ containers: [exited(2)] }), want: NO_MATCH },
    { name: 'ignore rule matched for exit codes', policy: policy(onCodes('Ignore', 'In', [1, 2, 3])), pod: failedPod({ containers: [exited(2)] }), want: IGNORE },
    {
      name: 'ignore rule matched on negative exit codes - needed for Windows support',
      policy: policy(onCodes('Ignore', 'In', [-1073741676, -1073741510])),
      pod: failedPod({ containers: [exited(-1073741510)] }),
      want: IGNORE,
    },
    {
      name: 'FailJob rule matched for exit codes',
      policy: policy(onCodes('FailJob', 'In', [1, 2, 3])),
      pod: failedPod({ containers: [exited(2, 'main-container')] }),
      want: failJob('Container main-container for pod default/mypod failed with exit code 2 matching FailJob rule at index 0'),
    },
    {
      name: 'successful containers are skipped by the rules',
      policy: policy(onCodes('FailJob', 'NotIn', [111])),
      pod: failedPod({ inits: [exited(0, 'init-container')], containers: [exited(111, 'main-container'), exited(0, 'suppport-container')] }),
      want: NO_MATCH,
    },
    { name: 'FailIndex rule matched for exit codes', policy: policy(onCodes('FailIndex', 'In', [1, 2, 3])), pod: failedPod({ containers: [exited(2)] }), want: FAIL_INDEX },
    {
      name: 'pod failure policy with NotIn operator and value 0',
      policy: policy(onCodes('FailJob', 'NotIn', [0])),
      pod: failedPod({ containers: [exited(1, 'main-container'), exited(0, 'suppport-container')] }),
      want: failJob('Container main-container for pod default/mypod failed with exit code 1 matching FailJob rule at index 0'),
    },
    {
      name: 'second jobfail rule matched for exit codes',
      policy: policy(onCodes('Count', 'In', [1, 2, 3]), onCodes('FailJob', 'In', [4, 5, 6])),
      pod: failedPod({ containers: [exited(6, 'main-container')] }),
      want: failJob('Container main-container for pod default/mypod failed with exit code 6 matching FailJob rule at index 1'),
    },
    {
      name: 'count rule matched for exit codes (a container still terminating is skipped)',
      policy: policy(onCodes('Count', 'In', [1, 2, 3])),
      pod: failedPod({ containers: [notTerminated('foo'), exited(2, 'bar')] }),
      want: COUNT,
    },
    { name: 'FailIndex rule matched for pod conditions', policy: policy(onConditions('FailIndex', 'DisruptionTarget')), pod: failedPod({ conditions: [disruption()] }), want: FAIL_INDEX },
    { name: 'ignore rule matched for pod conditions', policy: policy(onConditions('Ignore', 'DisruptionTarget')), pod: failedPod({ conditions: [disruption()] }), want: IGNORE },
    { name: 'ignore rule matches by the status=False', policy: policy(onConditions('Ignore', 'DisruptionTarget', 'False')), pod: failedPod({ conditions: [disruption('False')] }), want: IGNORE },
    { name: 'ignore rule matches by the status=Unknown', policy: policy(onConditions('Ignore', 'DisruptionTarget', 'Unknown')), pod: failedPod({ conditions: [disruption('Unknown')] }), want: IGNORE },
    {
      name: 'ignore rule does not match when status for pattern is False, but actual True',
      policy: policy(onConditions('Ignore', 'DisruptionTarget', 'False')),
      pod: failedPod({ conditions: [disruption('True')] }),
      want: NO_MATCH,
    },
    {
      name: 'ignore rule does not match when status for pattern is True, but actual False',
      policy: policy(onConditions('Ignore', 'DisruptionTarget', 'True')),
      pod: failedPod({ conditions: [disruption('False')] }),
      want: NO_MATCH,
    },
    {
      name: 'job fail rule matched for pod conditions',
      policy: policy(onConditions('FailJob', 'DisruptionTarget')),
      pod: failedPod({ conditions: [disruption()] }),
      want: failJob('Pod default/mypod has condition DisruptionTarget matching FailJob rule at index 0'),
    },
    { name: 'count rule matched for pod conditions', policy: policy(onConditions('Count', 'DisruptionTarget')), pod: failedPod({ conditions: [disruption()] }), want: COUNT },
    {
      name: 'no rule matched',
      policy: policy(
        onCodes('Count', 'NotIn', [8]),
        onCodes('Ignore', 'In', [1, 2, 3]),
        onCodes('FailJob', 'NotIn', [5, 6, 7]),
        onConditions('Count', 'ResourceLimitExceeded'),
        onConditions('Ignore', 'DisruptionTarget'),
      ),
      pod: failedPod({ containers: [exited(32)] }),
      want: COUNT,
    },
    {
      name: 'containerName restricts the rule to that container',
      policy: policy({ action: 'Ignore', onExitCodes: { containerName: 'sidecar', operator: 'In', values: [2] } }),
      pod: failedPod({ containers: [exited(2, 'main')] }),
      want: NO_MATCH,
    },
    {
      name: 'init containers are matched after the containers',
      policy: policy(onCodes('FailJob', 'In', [3])),
      pod: failedPod({ inits: [exited(3, 'setup')], containers: [notTerminated('main')] }),
      want: failJob('Container setup for pod default/mypod failed with exit code 3 matching FailJob rule at index 0'),
    },
  ])('$name', ({ policy, pod, want }) => {
    expect(matchPodFailurePolicy(policy, pod)).toStrictEqual(want);
  });
});
