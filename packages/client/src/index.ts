/**
 * @jobfleet/client — the programmatic way to enqueue and follow batch/v1 Jobs on a jobfleet server.
 *
 * The server speaks the Kubernetes REST API (`/apis/batch/v1/namespaces/{ns}/jobs`, `/api/v1/.../pods`,
 * watch streams, pod logs), so every call here has a `kubectl` counterpart. Speaks HTTP through node:http(s) (nodeFetch).
 *
 * @example
 * ```ts
 * import { JobfleetClient, JobFailedError } from '@jobfleet/client';
 *
 * const client = new JobfleetClient(); // $JOBFLEET_SERVER or http://127.0.0.1:8080, $JOBFLEET_TOKEN, namespace "default"
 * const job = await client.createJob(`
 * apiVersion: batch/v1
 * kind: Job
 * metadata: { name: hello }
 * spec:
 *   completions: 3
 *   template:
 *     spec:
 *       restartPolicy: Never
 *       containers: [{ name: hello, image: busybox, command: [echo, hi] }]
 * `);
 * try {
 *   const done = await client.waitForCompletion(job.metadata.name!, { timeoutMs: 60_000 });
 *   console.log(`${done.status?.succeeded} pods succeeded`);
 * } catch (error) {
 *   if (error instanceof JobFailedError) console.error(error.reason, error.conditionMessage); // e.g. BackoffLimitExceeded
 *   else throw error;
 * }
 * for (const pod of await client.listPods({ jobName: 'hello' })) console.log(await client.logs(pod.metadata.name!));
 * await client.deleteJob('hello'); // propagationPolicy Background: the pods go too
 * ```
 *
 * Errors: a non-2xx answer rejects with @jobfleet/kube's error classes (NotFoundError, InvalidError, …,
 * re-exported here) built by `fromStatus` from the server's metav1.Status; a server that cannot be
 * reached rejects with ServerUnreachableError.
 *
 * An https server with a self-signed certificate (or one from a private CA): pass the CA's PEM as
 * `ca` (`new JobfleetClient({ server: 'https://…', ca: readFileSync('ca.crt'), token })`).
 *
 * CronJobs: `createCronJob`, `getCronJob`, `listCronJobs`, `patchCronJob` (e.g. `{ spec: { suspend: true } }`),
 * `deleteCronJob` (its Jobs follow) and `triggerCronJob(name, { jobName })`, which runs the CronJob now
 * as `kubectl create job JOB --from=cronjob/NAME` does.
 */
export {
  JobfleetClient,
  DEFAULT_SERVER,
  DEFAULT_NAMESPACE,
  CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  INSTANTIATE_ANNOTATION,
  jobFromCronJob,
  trueCondition,
  finishedCondition,
  type JobfleetClientOptions,
  type CallOptions,
  type ListJobsOptions,
  type ListPodsOptions,
  type WaitOptions,
  type LogOptions,
  type StreamLogOptions,
  type DeleteJobOptions,
  type DeletePodOptions,
  type TriggerCronJobOptions,
  type PropagationPolicy,
  type Health,
  type ListOptions,
  type ResourceType,
  type Table,
  type TableRow,
  type TableOptions,
  type PatchType,
  type PatchOptions,
  TABLE_ACCEPT,
} from './client.js';
export { ServerUnreachableError, JobFailedError, WaitTimeoutError } from './errors.js';
/** The HTTP layer, for requests the client has no method for (the CLI's `version`, `get -w`, `get -A`). */
export { DEFAULT_MAX_REQUESTS_IN_FLIGHT, HttpTransport, type Query, type RequestOptions } from './http.js';
export { nodeFetch, type TlsOptions } from './node-fetch.js';
export { readLines } from './lines.js';
export type { WatchTiming } from './watch.js';
export {
  JobfleetError,
  BadRequestError,
  UnauthorizedError,
  NotFoundError,
  AlreadyExistsError,
  ConflictError,
  GoneError,
  InvalidError,
  InternalError,
  ServiceUnavailableError,
  RequestEntityTooLargeError,
  UnsupportedMediaTypeError,
  fromStatus,
} from '@jobfleet/kube';
export type { Job, Pod, JobCondition, Status, CoreEvent, TableColumnDefinition } from '@jobfleet/kube';
/** The batch/v1 CronJob API's types. */
export type { CronJob, CronJobSpec, CronJobStatus, ConcurrencyPolicy, JobTemplateSpec, ObjectReference } from '@jobfleet/kube';
/** The batch/v1 Job API's types (spec and status with their failure and success policies), for typed manifests. */
export type {
  JobSpec,
  JobStatus,
  JobConditionType,
  PodFailurePolicy,
  PodFailurePolicyRule,
  PodFailurePolicyAction,
  PodFailurePolicyOnExitCodesRequirement,
  PodFailurePolicyOnPodConditionsPattern,
  PodReplacementPolicy,
  SuccessPolicy,
  SuccessPolicyRule,
  PodTemplateSpec,
  PodSpec,
  Container,
} from '@jobfleet/kube';
