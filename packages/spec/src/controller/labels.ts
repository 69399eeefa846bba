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
