/**
 * Kubernetes' defaulting for batch/v1 Job (SetDefaults_Job) and its pod template (SetDefaults_PodSpec,
 * SetDefaults_Container, SetDefaults_Volume, SetDefaults_ObjectFieldSelector), restricted to the
 * fields jobfleet keeps. Runs before validation, as in Kubernetes.
 */
import type { Container, Job, JobSpec, PodSpec } from './types.js';

export const DEFAULT_NAMESPACE = 'default';
export const DEFAULT_BACKOFF_LIMIT = 6;
export const DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS = 30;
export const DEFAULT_POD_REPLACEMENT_POLICY = 'Failed';
const MAX_INT32 = 2 ** 31 - 1;

export interface JobDefaultsOptions {
  /** Namespace to set when the manifest has none (e.g. DEFAULT_NAMESPACE); left unset otherwise. */
  namespace?: string;
}

/** A defaulted copy of the Job; the argument is not modified. */
export function applyJobDefaults(job: Job, options: JobDefaultsOptions = {}): Job {
  const copy = structuredClone(job);
  if (options.namespace !== undefined && !copy.metadata.namespace) copy.metadata.namespace = options.namespace;
  copyTemplateLabelsToJob(copy);
  defaultJobSpec(copy.spec);
  defaultPodSpec(copy.spec.template.spec);
  return copy;
}

/** Kubernetes gives a Job without labels its template's labels. */
function copyTemplateLabelsToJob(job: Job): void {
  const templateLabels = job.spec.template.metadata?.labels;
  if (templateLabels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...templateLabels };
}

function defaultJobSpec(spec: JobSpec): void {
  if (spec.completions === null) delete spec.completions;
  // Both unset means one pod to success; parallelism alone means a work queue (completions stays unset).
  if (spec.completions === undefined && spec.parallelism === undefined) spec.completions = 1;
  spec.parallelism ??= 1;
  // With a per-index limit the global one is effectively off, as in Kubernetes.
  spec.backoffLimit ??= spec.backoffLimitPerIndex !== undefined ? MAX_INT32 : DEFAULT_BACKOFF_LIMIT;
  spec.completionMode ??= 'NonIndexed';
  spec.suspend ??= false;
  // jobfleet's deviation: Kubernetes defaults to TerminatingOrFailed unless a podFailurePolicy is set.
  // jobfleet promises that a Job never runs more than `parallelism` pods at once, which only Failed
  // keeps (a replacement waits for the pod it replaces to end); the stored field says what is done.
  spec.podReplacementPolicy ??= DEFAULT_POD_REPLACEMENT_POLICY;
  for (const rule of spec.podFailurePolicy?.rules ?? []) {
    for (const pattern of rule.onPodConditions ?? []) if (!pattern.status) pattern.status = 'True';
  }
}

function defaultPodSpec(spec: PodSpec): void {
  // Always is then refused by validation, which is how Kubernetes reports a missing restartPolicy.
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  spec.containers.forEach(defaultContainer);
  spec.initContainers?.forEach(defaultContainer);
  for (const volume of spec.volumes ?? []) {
    // Kubernetes makes a volume without a source an emptyDir.
    if (volume.hostPath) volume.hostPath.type ??= '';
    else volume.emptyDir ??= {};
  }
}

function defaultContainer(container: Container): void {
  // Kubernetes picks Always for ":latest" or untagged images; jobfleet never pulls on its own.
  container.imagePullPolicy ??= 'IfNotPresent';
  for (const env of container.env ?? []) {
    if (env.valueFrom?.fieldRef) env.valueFrom.fieldRef.apiVersion ??= 'v1';
  }
}
