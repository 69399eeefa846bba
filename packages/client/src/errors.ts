/**
 * Errors only the client raises. They join @jobfleet/kube's hierarchy (`instanceof JobfleetError` catches
 * everything), with the HTTP code and reason a server would use for the same situation.
 * Errors answered by the server arrive as spec's own classes, built by fromStatus.
 */
import { JobfleetError, type Job, type JobCondition } from '@jobfleet/kube';

export const HOW_TO_START_A_SERVER = 'start one with `jobfleet up` or set JOBFLEET_SERVER to its URL';
/** What to do when the server's TLS certificate cannot be verified. */
export const TLS_HINT = "trust the server's CA certificate: jobfleet --certificate-authority FILE (or JOBFLEET_CA_FILE), JobfleetClient's `ca` option";

/**
 * Nothing answered at the server's address (connection refused, unknown host, connect timeout), or its
 * TLS certificate could not be verified. 503 ServiceUnavailable.
 */
export class ServerUnreachableError extends JobfleetError {
  override name = 'ServerUnreachableError';
  constructor(
    readonly url: string,
    /** What went wrong, e.g. "connection refused". */
    readonly problem: string,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(`cannot reach the jobfleet server at ${url} (${problem}): ${options?.hint ?? HOW_TO_START_A_SERVER}`, 503, 'ServiceUnavailable');
    if (options?.cause !== undefined) this.cause = options.cause;
  }
}

/** The Job reached Failed=True. `reason` is the condition's (e.g. BackoffLimitExceeded, DeadlineExceeded). Code 500. */
export class JobFailedError extends JobfleetError {
  override name = 'JobFailedError';
  readonly jobName: string;
  readonly namespace: string;
  /** The Failed condition's message, e.g. "Job has reached the specified backoff limit". */
  readonly conditionMessage: string;
  constructor(
    readonly job: Job,
    condition: JobCondition,
  ) {
    const name = job.metadata.name ?? '';
    const reason = condition.reason || 'Failed';
    super(`job.batch/${name} failed: ${condition.message ? `${reason}: ${condition.message}` : reason}`, 500, reason);
    this.jobName = name;
    this.namespace = job.metadata.namespace ?? '';
    this.conditionMessage = condition.message ?? '';
  }
}

/** A wait ran out of time; kubectl's message. 504 Timeout. */
export class WaitTimeoutError extends JobfleetError {
  override name = 'WaitTimeoutError';
  constructor(
    readonly jobName: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out waiting for the condition on jobs/${jobName}`, 504, 'Timeout');
  }
}
