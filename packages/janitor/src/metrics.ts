/**
 * The janitor's `/metrics` on its `--metrics-port`: the shared queue and Redis figures, the Job
 * controller's metrics of the syncs it runs (lost nodes' pods), the TTL deletions it made, and the
 * process's.
 */
import { collectDefaultMetrics, Counter, Registry } from 'prom-client';
import { jobControllerRegistry, startMetricsServer, StoreGauges, type RunningMetricsServer } from '@jobfleet/controllers';
import type { JobStore, TaskQueues } from '@jobfleet/store';

export class JanitorMetrics {
  readonly registry = new Registry();
  private readonly storeGauges: StoreGauges;
  private readonly ttlDeleted: Counter;

  constructor(store: JobStore, queues: TaskQueues) {
    collectDefaultMetrics({ register: this.registry });
    this.storeGauges = new StoreGauges(this.registry, store, queues);
    this.ttlDeleted = new Counter({ name: 'jobfleet_janitor_ttl_deleted_jobs_total', help: 'Finished Jobs this janitor deleted for their ttlSecondsAfterFinished', registers: [this.registry] });
  }

  jobsDeleted(count: number): void {
    if (count > 0) this.ttlDeleted.inc(count);
  }

  async render(): Promise<string> {
    await this.storeGauges.update();
    return (await this.registry.metrics()) + (await jobControllerRegistry.metrics());
  }

  serve(port: number, host?: string): Promise<RunningMetricsServer> {
    return startMetricsServer({ port, host, render: () => this.render() });
  }
}
