/**
 * The Kubernetes object shapes jobfleet reads and writes (batch/v1 Job, core/v1 Pod and friends).
 * Field names are Kubernetes' own; only the subset jobfleet implements is typed here.
 * Validation of untrusted input lives in schema.ts / validation.ts; these types describe valid objects.
 */

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { fieldRef?: { apiVersion?: string; fieldPath: string } };
}

export interface ResourceRequirements {
  limits?: Record<string, string | number>;
  requests?: Record<string, string | number>;
}

export interface VolumeMount {
  name: string;
  mountPath: string;
  readOnly?: boolean;
  subPath?: string;
}

export interface Container {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: EnvVar[];
  workingDir?: string;
  resources?: ResourceRequirements;
  volumeMounts?: VolumeMount[];
  imagePullPolicy?: 'Always' | 'IfNotPresent' | 'Never';
  securityContext?: SecurityContext;
  /** Only on init containers, only "Always": a native sidecar (runs alongside the app containers). */
  restartPolicy?: ContainerRestartPolicy;
}

export type ContainerRestartPolicy = 'Always';

/** Linux capabilities, with or without the CAP_ prefix ("NET_ADMIN", "CAP_CHOWN", "ALL"). */
export interface Capabilities {
  add?: string[];
  drop?: string[];
}

/** A container's securityContext: the fields jobfleet implements. */
export interface SecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
  readOnlyRootFilesystem?: boolean;
  allowPrivilegeEscalation?: boolean;
  /** Only on an API server started with --allow-privileged. */
  privileged?: boolean;
  /** `add` only on an API server started with --allow-privileged. */
  capabilities?: Capabilities;
}

/** A pod's securityContext: defaults for every container, which a container's own values override. */
export interface PodSecurityContext {
  runAsUser?: number;
  runAsGroup?: number;
  runAsNonRoot?: boolean;
}

export type HostPathType = '' | 'DirectoryOrCreate' | 'Directory' | 'FileOrCreate' | 'File' | 'Socket' | 'CharDevice' | 'BlockDevice';

/** A directory or file of the Docker host (only on an API server started with --allow-privileged). */
export interface HostPathVolumeSource {
  path: string;
  type?: HostPathType;
}

export interface Volume {
  name: string;
  emptyDir?: { medium?: string; sizeLimit?: string };
  hostPath?: HostPathVolumeSource;
}

export type RestartPolicy = 'Always' | 'OnFailure' | 'Never';

export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  restartPolicy?: RestartPolicy;
  activeDeadlineSeconds?: number;
  terminationGracePeriodSeconds?: number;
  volumes?: Volume[];
  securityContext?: PodSecurityContext;
  /** The host namespaces (only on an API server started with --allow-privileged). */
  hostNetwork?: boolean;
  hostPID?: boolean;
  hostIPC?: boolean;
  /** Run only on a worker whose Node has these labels (`kubernetes.io/hostname`, `kubernetes.io/os`, `kubernetes.io/arch`). */
  nodeSelector?: Record<string, string>;
  /** Node affinity (required and preferred); pod (anti-)affinity is not supported. */
  affinity?: Affinity;
  tolerations?: Toleration[];
  nodeName?: string;
  hostname?: string;
  subdomain?: string;
}

export type TaintEffect = 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';

/** core/v1 Taint: a node's mark that repels pods without a matching toleration. */
export interface Taint {
  key: string;
  value?: string;
  effect: TaintEffect;
  timeAdded?: string;
}

/** core/v1 Toleration. */
export interface Toleration {
  key?: string;
  operator?: 'Exists' | 'Equal';
  value?: string;
  effect?: TaintEffect;
  tolerationSeconds?: number;
}

export type NodeSelectorOperator = 'In' | 'NotIn' | 'Exists' | 'DoesNotExist' | 'Gt' | 'Lt';

export interface NodeSelectorRequirement {
  key: string;
  operator: NodeSelectorOperator;
  values?: string[];
}

/** Requirements ANDed; a NodeSelector's terms are ORed. */
export interface NodeSelectorTerm {
  matchExpressions?: NodeSelectorRequirement[];
  matchFields?: NodeSelectorRequirement[];
}

export interface NodeSelector {
  nodeSelectorTerms: NodeSelectorTerm[];
}

export interface PreferredSchedulingTerm {
  weight: number;
  preference: NodeSelectorTerm;
}

export interface NodeAffinity {
  requiredDuringSchedulingIgnoredDuringExecution?: NodeSelector;
  preferredDuringSchedulingIgnoredDuringExecution?: PreferredSchedulingTerm[];
}

export interface Affinity {
  nodeAffinity?: NodeAffinity;
}

export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export type CompletionMode = 'NonIndexed' | 'Indexed';

export type PodFailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

export interface PodFailurePolicyOnExitCodesRequirement {
  containerName?: string;
  operator: 'In' | 'NotIn';
  values: number[];
}

export interface PodFailurePolicyOnPodConditionsPattern {
  type: string;
  /** Defaulted to "True". */
  status?: ConditionStatus;
}

export interface PodFailurePolicyRule {
  action: PodFailurePolicyAction;
  onExitCodes?: PodFailurePolicyOnExitCodesRequirement;
  onPodConditions?: PodFailurePolicyOnPodConditionsPattern[];
}

export interface PodFailurePolicy {
  rules: PodFailurePolicyRule[];
}

export interface SuccessPolicyRule {
  /** Completion indexes as in status.completedIndexes: "0,2-4". */
  succeededIndexes?: string;
  succeededCount?: number;
}

export interface SuccessPolicy {
  rules: SuccessPolicyRule[];
}

export type PodReplacementPolicy = 'Failed' | 'TerminatingOrFailed';

export interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  ttlSecondsAfterFinished?: number;
  completionMode?: CompletionMode;
  suspend?: boolean;
  manualSelector?: boolean;
  selector?: LabelSelector;
  podReplacementPolicy?: PodReplacementPolicy;
  podFailurePolicy?: PodFailurePolicy;
  successPolicy?: SuccessPolicy;
  /** The controller that reconciles the Job; unset or "kubernetes.io/job-controller" is jobfleet's own. */
  managedBy?: string;
  template: PodTemplateSpec;
}

export type ConditionStatus = 'True' | 'False' | 'Unknown';

export type JobConditionType = 'Complete' | 'Failed' | 'SuccessCriteriaMet' | 'FailureTarget' | 'Suspended';

export interface JobCondition {
  type: JobConditionType;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
}

export interface JobStatus {
  active?: number;
  ready?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  startTime?: string;
  completionTime?: string;
  completedIndexes?: string;
  /** Set (possibly "") only when spec.backoffLimitPerIndex is. */
  failedIndexes?: string;
  conditions?: JobCondition[];
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
}

export interface Job {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: ObjectMeta;
  spec: JobSpec;
  status?: JobStatus;
}

/** batch/v1 CronJob: what happens when a schedule time comes while an earlier Job still runs. */
export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/** The Job a CronJob creates at each schedule time (batch/v1 JobTemplateSpec). */
export interface JobTemplateSpec {
  metadata?: ObjectMeta;
  spec: JobSpec;
}

export interface CronJobSpec {
  /** Five-field cron or a macro (@hourly …), as robfig/cron's standard parser reads it. */
  schedule: string;
  /** IANA time zone of the schedule (default: the controller's, UTC here). */
  timeZone?: string;
  startingDeadlineSeconds?: number;
  /** Default Allow. */
  concurrencyPolicy: ConcurrencyPolicy;
  /** Default false. */
  suspend: boolean;
  jobTemplate: JobTemplateSpec;
  /** Default 3. */
  successfulJobsHistoryLimit: number;
  /** Default 1. */
  failedJobsHistoryLimit: number;
}

/** core/v1 ObjectReference, as CronJob status.active holds it. */
export interface ObjectReference {
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  apiVersion?: string;
  resourceVersion?: string;
  fieldPath?: string;
}

export interface CronJobStatus {
  active?: ObjectReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

export interface CronJob {
  apiVersion: 'batch/v1';
  kind: 'CronJob';
  metadata: ObjectMeta;
  spec: CronJobSpec;
  status?: CronJobStatus;
}

export type PodPhase = 'Pending' | 'Running' | 'Succeeded' | 'Failed' | 'Unknown';

export interface ContainerStateWaiting {
  reason?: string;
  message?: string;
}
export interface ContainerStateRunning {
  startedAt?: string;
}
export interface ContainerStateTerminated {
  exitCode: number;
  signal?: number;
  reason?: string;
  message?: string;
  startedAt?: string;
  finishedAt?: string;
  containerID?: string;
}
export interface ContainerState {
  waiting?: ContainerStateWaiting;
  running?: ContainerStateRunning;
  terminated?: ContainerStateTerminated;
}

export interface ContainerStatus {
  name: string;
  image: string;
  imageID?: string;
  containerID?: string;
  ready: boolean;
  started?: boolean;
  restartCount: number;
  state: ContainerState;
  lastState?: ContainerState;
}

export interface PodCondition {
  type: 'PodScheduled' | 'Initialized' | 'ContainersReady' | 'Ready' | 'DisruptionTarget' | 'PodReadyToStartContainers';
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export type PodQOSClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

export interface PodStatus {
  phase: PodPhase;
  reason?: string;
  message?: string;
  conditions?: PodCondition[];
  hostIP?: string;
  hostIPs?: { ip: string }[];
  podIP?: string;
  podIPs?: { ip: string }[];
  qosClass?: PodQOSClass;
  startTime?: string;
  initContainerStatuses?: ContainerStatus[];
  containerStatuses?: ContainerStatus[];
}

export interface Pod {
  apiVersion: 'v1';
  kind: 'Pod';
  metadata: ObjectMeta;
  spec: PodSpec;
  status: PodStatus;
}

/** metav1.Status, the body of every error answer. */
export interface StatusCause {
  reason: string;
  message: string;
  field?: string;
}
export interface Status {
  kind: 'Status';
  apiVersion: 'v1';
  metadata: Record<string, never> | { resourceVersion?: string };
  status: 'Success' | 'Failure';
  message?: string;
  reason?: string;
  details?: { name?: string; group?: string; kind?: string; uid?: string; causes?: StatusCause[]; retryAfterSeconds?: number };
  code: number;
}
