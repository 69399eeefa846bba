import { NotFoundError, type Pod } from '@jobfleet/spec';

/** The fields a pod field selector may name, as the API server's PodToSelectableFields. */
export const POD_FIELDS = ['metadata.name', 'metadata.namespace', 'status.phase', 'spec.nodeName', 'spec.restartPolicy'] as const;

export function podFieldValues(pod: Pod): Record<string, string | undefined> {
  return {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'status.phase': pod.status.phase,
    'spec.nodeName': pod.spec.nodeName ?? '',
    'spec.restartPolicy': pod.spec.restartPolicy,
  };
}

export function podNotFound(name: string): NotFoundError {
  return new NotFoundError({ group: '', resource: 'pods', name });
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
