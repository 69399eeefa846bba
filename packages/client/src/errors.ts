/** Errors that only the client raises; server errors arrive as @jobfleet/spec's classes via fromStatus. */
import type { Job, JobCondition } from '@jobfleet/spec';

export const HOW_TO_START_A_SERVER = 'start one with `jobfleet up` or set JOBFLEET_SERVER to its URL';

/** The server could not be reached at all (connection refused, unknown host, connect timeout). */
export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
  constructor(
    readonly url: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(`cannot reach the jobfleet server at ${url} (${reason}): ${HOW_TO_START_A_SERVER}`, options);
  }
}

/** The Job reached Failed=True; carries the condition's reason (e.g. BackoffLimitExceeded) and message. */
export class JobFailedError extends Error {
  override readonly name = 'JobFailedError';
  readonly jobName: string;
  readonly namespace: string;
  readonly reason: string;
  readonly conditionMessage: string;
  constructor(
    readonly job: Job,
    condition: JobCondition,
  ) {
    const name = job.metadata.name ?? '';
    const reason = condition.reason ?? 'Failed';
    const detail = condition.message ? `${reason}: ${condition.message}` : reason;
    super(`job.batch/${name} failed: ${detail}`);
    this.jobName = name;
    this.namespace = job.metadata.namespace ?? '';
    this.reason = reason;
    this.conditionMessage = condition.message ?? '';
  }
}

/** A wait ran out of time; the message is kubectl's. */
export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
  constructor(
    readonly jobName: string,
    readonly timeoutMs: number,
  ) {
    super(`timed out waiting for the condition on jobs/${jobName}`);
  }
}
