/**
 * A worker's `/metrics` on its `--metrics-port`: its pods against its capacity, the shared queue
 * and Redis figures, the Job controller's metrics of the syncs it runs, and the process's.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { jobControllerRegistry, startMetricsServer, StoreGauges, type RunningMetricsServer } from '@jobfleet/controllers';
import type { JobStore, TaskQueues } from '@jobfleet/store';

export interface WorkerMetricsSource {
  nodeName: string;
  store: JobStore;
  queues: TaskQueues;
  /** Pods the node runs now. */
  running(): number;
  /** Its --max-pods. */
  capacity: number;
}

export class WorkerMetrics {
  readonly registry = new Registry();
  private readonly storeGauges: StoreGauges;
  private readonly podsFinished: Counter<'phase'>;

  constructor(private readonly source: WorkerMetricsSource) {
    const registers = [this.registry];
    this.registry.setDefaultLabels({ node: source.nodeName });
    collectDefaultMetrics({ register: this.registry });
    this.storeGauges = new StoreGauges(this.registry, source.store, source.queues);
    new Gauge({ name: 'jobfleet_worker_pods_running', help: 'Pods this worker runs now', registers, collect: function () { this.set(source.running()); } });
    new Gauge({ name: 'jobfleet_worker_pods_capacity', help: 'Pods this worker runs at most (--max-pods)', registers, collect: function () { this.set(source.capacity); } });
    this.podsFinished = new Counter({ name: 'jobfleet_worker_pods_finished_total', help: 'Pods this worker ran to their end, by final phase', labelNames: ['phase'], registers });
  }

  podFinished(phase: string): void {
    this.podsFinished.inc({ phase: phase === 'Succeeded' ? 'Succeeded' : 'Failed' });
  }

  async render(): Promise<string> {
    await this.storeGauges.update();
    return (await this.registry.metrics()) + (await jobControllerRegistry.metrics());
  }

  serve(port: number, host?: string): Promise<RunningMetricsServer> {
    return startMetricsServer({ port, host, render: () => this.render() });
  }
}
