import { NotFoundError, type Pod } from '@jobfleet/kube';

/** The fields a pod field selector may name, as the API server's pod ToSelectableFields. */
export const POD_FIELDS = [
  'metadata.name',
  'metadata.namespace',
  'status.phase',
  'status.podIP',
  'status.nominatedNodeName',
  'spec.nodeName',
  'spec.restartPolicy',
  'spec.schedulerName',
  'spec.serviceAccountName',
  'spec.hostNetwork',
] as const;

export function podFieldValues(pod: Pod): Record<string, string | undefined> {
  return {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'status.phase': pod.status.phase,
    'status.podIP': pod.status.podIPs?.[0]?.ip ?? pod.status.podIP ?? '',
    // jobfleet schedules no pod ahead of another (no preemption).
    'status.nominatedNodeName': '',
    'spec.nodeName': pod.spec.nodeName ?? '',
    'spec.restartPolicy': pod.spec.restartPolicy,
    // The workers are jobfleet's only scheduler, which the pods' Scheduled events name as Kubernetes' default one.
    'spec.schedulerName': 'default-scheduler',
    // jobfleet has no service accounts.
    'spec.serviceAccountName': '',
    'spec.hostNetwork': String(pod.spec.hostNetwork === true),
  };
}

export function podNotFound(name: string): NotFoundError {
  return new NotFoundError({ group: '', resource: 'pods', name });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
