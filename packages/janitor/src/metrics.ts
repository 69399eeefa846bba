/**
 * The janitor's `/metrics` on its `--metrics-port`: the shared queue and Redis figures, the Job
 * controller's metrics of the syncs it runs (lost nodes' pods), the TTL deletions it made, and the
 * process's.
 */
import { Counter } from 'prom-client';
import { RoleMetrics } from '@jobfleet/controllers';
import type { JobStore, TaskQueues } from '@jobfleet/store';

export class JanitorMetrics extends RoleMetrics {
  private readonly ttlDeleted: Counter;

  constructor(store: JobStore, queues: TaskQueues) {
    super(store, queues);
    this.ttlDeleted = new Counter({ name: 'jobfleet_janitor_ttl_deleted_jobs_total', help: 'Finished Jobs this janitor deleted for their ttlSecondsAfterFinished', registers: [this.registry] });
  }

  jobsDeleted(count: number): void {
    if (count > 0) this.ttlDeleted.inc(count);
  }
}
