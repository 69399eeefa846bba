/**
 * A worker's `/metrics` on its `--metrics-port`: its pods against its capacity, the shared queue
 * and Redis figures, the Job controller's metrics of the syncs it runs, and the process's.
 */
import { Counter, Gauge } from 'prom-client';
import { RoleMetrics } from '@jobfleet/controllers';
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

export class WorkerMetrics extends RoleMetrics {
  private readonly podsFinished: Counter<'phase'>;

  constructor(source: WorkerMetricsSource) {
    super(source.store, source.queues, { node: source.nodeName });
    const registers = [this.registry];
    new Gauge({ name: 'jobfleet_worker_pods_running', help: 'Pods this worker runs now', registers, collect: function () { this.set(source.running()); } });
    new Gauge({ name: 'jobfleet_worker_pods_capacity', help: 'Pods this worker runs at most (--max-pods)', registers, collect: function () { this.set(source.capacity); } });
    this.podsFinished = new Counter({ name: 'jobfleet_worker_pods_finished_total', help: 'Pods this worker ran to their end, by final phase', labelNames: ['phase'], registers });
  }

  podFinished(phase: string): void {
    this.podsFinished.inc({ phase: phase === 'Succeeded' ? 'Succeeded' : 'Failed' });
  }
}
