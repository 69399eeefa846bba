/** Label, annotation and finalizer names Kubernetes puts on a Job's pods. */
export const LABEL_CONTROLLER_UID = 'batch.kubernetes.io/controller-uid';
export const LABEL_JOB_NAME = 'batch.kubernetes.io/job-name';
export const LEGACY_LABEL_CONTROLLER_UID = 'controller-uid';
export const LEGACY_LABEL_JOB_NAME = 'job-name';
export const COMPLETION_INDEX_KEY = 'batch.kubernetes.io/job-completion-index';
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';
/** jobfleet's own annotation: why a pod was stopped by the controller (e.g. "Suspended"). */
export const ANNOTATION_STOP_REASON = 'jobfleet.io/stop-reason';

export function jobPodLabels(jobName: string, jobUid: string): Record<string, string> {
  return {
    [LEGACY_LABEL_CONTROLLER_UID]: jobUid,
    [LEGACY_LABEL_JOB_NAME]: jobName,
    [LABEL_CONTROLLER_UID]: jobUid,
    [LABEL_JOB_NAME]: jobName,
  };
}

export function generatedSelector(jobUid: string): { matchLabels: Record<string, string> } {
  return { matchLabels: { [LABEL_CONTROLLER_UID]: jobUid } };
}
/**
 * jobfleet's own annotation: the pod was counted as failed while it was still terminating
 * (podReplacementPolicy TerminatingOrFailed, as Kubernetes counts a deleted pod at once), so its end
 * is not counted again.
 */
export const ANNOTATION_COUNTED = 'jobfleet.io/counted';
/** jobfleet's own annotation: when the node monitor found the pod's node silent (ms, Redis clock). */
export const ANNOTATION_NODE_LOST = 'jobfleet.io/node-lost-at';
/**
 * jobfleet's own annotation: the pod was deleted through the API ("api") or evicted ("eviction").
 * Its deletionTimestamp alone does not say it (jobfleet also marks pods terminating that nobody
 * deleted: a lost node's); a deleted pod never comes back, even if its node does.
 */
export const ANNOTATION_DELETED = 'jobfleet.io/deleted';
/** Kubernetes' per-index failure counts on the pods of a Job with backoffLimitPerIndex. */
export const INDEX_FAILURE_COUNT_KEY = 'batch.kubernetes.io/job-index-failure-count';
export const INDEX_IGNORED_FAILURE_COUNT_KEY = 'batch.kubernetes.io/job-index-ignored-failure-count';
/** The value of spec.managedBy that means jobfleet's own Job controller (Kubernetes' built-in one). */
export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';
