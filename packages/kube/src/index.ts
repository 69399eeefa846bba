export * from './types.js';
export * from './controller/index.js';
export {
  FIELD_ERROR_TYPE_TEXT,
  OMIT_VALUE,
  duplicate,
  fieldErrorBody,
  forbidden,
  formatBadValue,
  formatFieldError,
  invalid,
  notFound,
  notSupported,
  required,
  textOf,
  tooLong,
  tooMany,
  type FieldError,
  type FieldErrorType,
} from './field-errors.js';
export {
  AlreadyExistsError,
  BadRequestError,
  CONFLICT_DETAIL,
  ConflictError,
  GoneError,
  InternalError,
  InvalidError,
  JobfleetError,
  NotFoundError,
  RequestEntityTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  fromStatus,
  toJobfleetError,
  toStatus,
  type ConflictErrorInit,
  type InvalidErrorInit,
  type ResourceErrorInit,
  type ResourceRef,
  type StatusDetails,
} from './errors.js';
export { QUANTITY_FORMAT_MESSAGE, parseQuantity, tryParseQuantity } from './quantity.js';
export { podQOSClass } from './qos.js';
export { NOT_SUPPORTED_BY_JOBFLEET, decodeJob, jobSchema, type DecodedJob } from './schema.js';
export {
  DEFAULT_BACKOFF_LIMIT,
  DEFAULT_NAMESPACE,
  DEFAULT_POD_REPLACEMENT_POLICY,
  DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS,
  applyJobDefaults,
  type JobDefaultsOptions,
} from './defaults.js';
export {
  DNS1123_LABEL_MAX_LENGTH,
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  LABEL_VALUE_MAX_LENGTH,
  isDns1123Label,
  isDns1123Subdomain,
  isLabelValue,
  isQualifiedName,
  validateAnnotations,
  validateLabels,
} from './validation-meta.js';
export {
  DISALLOWED_BY_CLUSTER_POLICY,
  HOST_PATH_TYPES,
  NVIDIA_GPU_RESOURCE,
  PRIVILEGED_NOT_ALLOWED,
  SUPPORTED_RESOURCES,
  isCapability,
  isSidecar,
  validateNodeSelector,
  validatePodSpec,
  validateTolerations,
  type PodPolicy,
} from './validation-pod.js';
export {
  NO_NODES_AVAILABLE,
  NO_PREEMPTION_VICTIMS,
  PREEMPTION_NOT_HELPFUL,
  REASON_NODE_AFFINITY,
  REASON_NODE_NAME,
  REASON_TOO_MANY_PODS,
  REASON_UNSCHEDULABLE,
  RESOURCE_CPU,
  RESOURCE_EPHEMERAL_STORAGE,
  RESOURCE_MEMORY,
  RESOURCE_PODS,
  fitErrorMessage,
  fitsNode,
  insufficientReason,
  mayPreferOtherNodes,
  nodeAffinityMatches,
  nodeView,
  noExecuteEviction,
  podRequests,
  preferenceScores,
  toResourceList,
  toleratesTaint,
  unschedulableMessage,
  untoleratedTaint,
  untoleratedTaintReason,
  type Fit,
  type FitDiagnosis,
  type NodeView,
  type ResourceList,
} from './placement.js';
export { IMAGE_NAME_MAX_LENGTH, IMAGE_REFERENCE_MESSAGE, isImageReference, parseImageReference, type ImageReference } from './image-reference.js';
export {
  COMPLETION_MODES,
  FIELD_IMMUTABLE_MESSAGE,
  JOB_RESTART_POLICIES,
  MAX_COMPLETIONS,
  MAX_INDEXED_COMPLETIONS,
  MAX_INDEXED_PARALLELISM,
  MAX_PARALLELISM,
  POD_REPLACEMENT_POLICIES,
  validateJob,
  validateJobUpdate,
} from './validation.js';
export {
  CONDITION_STATUSES,
  MAX_POD_FAILURE_POLICY_RULES,
  ON_EXIT_CODES_OPERATORS,
  POD_FAILURE_POLICY_ACTIONS,
  validateManagedBy,
} from './validation-job-policies.js';
export { MAX_NESTING_DEPTH, MAX_TOKENS, assertManifestShape, parseJob, parseManifests, type ParseJobOptions } from './parse.js';
export * from './printers.js';
export * from './cluster-objects.js';
export { deepEqual } from './validation.js';
export * from './pod-api.js';
export { decodeJobStatus, indexesProblem, validateJobStatusUpdate, type DecodedJobStatus } from './job-status.js';
export { CronScheduleError, MAX_SCHEDULE_LENGTH, isValidTimeZone, parseCronSchedule, parseGoDuration, type CronSchedule } from './cron-schedule.js';
export {
  CONCURRENCY_POLICIES,
  CRONJOB_NAME_MAX_LENGTH,
  DEFAULT_CONCURRENCY_POLICY,
  DEFAULT_FAILED_JOBS_HISTORY_LIMIT,
  DEFAULT_SUCCESSFUL_JOBS_HISTORY_LIMIT,
  cronJobJobNamePrefix,
  decodeCronJobStatus,
  parseCronJob,
  validateCronJob,
  validateCronJobSpec,
  validateCronJobUpdate,
  validateTimeZone,
  type DecodedCronJobStatus,
  type ParseCronJobOptions,
} from './cronjob.js';
