/**
 * Matching a failed pod against the Job's podFailurePolicy, as Kubernetes' matchPodFailurePolicy
 * (pkg/controller/job/pod_failure_policy.go): rules in order, the first that matches decides.
 */
import type {
  ContainerStatus,
  Pod,
  PodCondition,
  PodFailurePolicy,
  PodFailurePolicyAction,
  PodFailurePolicyOnExitCodesRequirement,
  PodFailurePolicyOnPodConditionsPattern,
} from '../types.js';

export interface PodFailurePolicyMatch {
  /** Set when a FailJob rule matched: the message of the Job's failure. */
  failJobMessage?: string;
  /** Whether the failure counts toward backoffLimit and backoffLimitPerIndex (not for Ignore). */
  countFailed: boolean;
  /** The action of the rule that matched, if one did. */
  action?: PodFailurePolicyAction;
}

const NO_MATCH: PodFailurePolicyMatch = { countFailed: true };

export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: Pod): PodFailurePolicyMatch {
  if (!policy) return NO_MATCH;
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  for (const [index, rule] of policy.rules.entries()) {
    let what: string | undefined;
    if (rule.onExitCodes) {
      const container = matchOnExitCodes(pod, rule.onExitCodes);
      if (container) what = `Container ${container.name} for pod ${ns}/${name} failed with exit code ${container.state.terminated?.exitCode ?? 0}`;
    } else if (rule.onPodConditions) {
      const condition = matchOnPodConditions(pod, rule.onPodConditions);
      if (condition) what = `Pod ${ns}/${name} has condition ${condition.type}`;
    }
    if (what === undefined) continue;
    // An action this version does not know skips the rule, as in Kubernetes.
    switch (rule.action) {
      case 'Ignore':
        return { countFailed: false, action: 'Ignore' };
      case 'Count':
        return { countFailed: true, action: 'Count' };
      case 'FailIndex':
        return { countFailed: true, action: 'FailIndex' };
      case 'FailJob':
        return { countFailed: true, action: 'FailJob', failJobMessage: `${what} matching FailJob rule at index ${index}` };
    }
  }
  return NO_MATCH;
}

/** The first terminated container (then init container) with a non-zero exit code the requirement matches. */
function matchOnExitCodes(pod: Pod, requirement: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  return matchingContainer(pod.status.containerStatuses, requirement) ?? matchingContainer(pod.status.initContainerStatuses, requirement);
}

function matchingContainer(statuses: ContainerStatus[] | undefined, requirement: PodFailurePolicyOnExitCodesRequirement): ContainerStatus | undefined {
  return (statuses ?? []).find((s) => {
    const code = s.state.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    if (requirement.containerName !== undefined && requirement.containerName !== s.name) return false;
    const listed = requirement.values.includes(code);
    return requirement.operator === 'In' ? listed : requirement.operator === 'NotIn' ? !listed : false;
  });
}

function matchOnPodConditions(pod: Pod, patterns: PodFailurePolicyOnPodConditionsPattern[]): PodCondition | undefined {
  return (pod.status.conditions ?? []).find((c) => patterns.some((p) => p.type === c.type && (p.status ?? 'True') === c.status));
}
