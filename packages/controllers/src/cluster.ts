import { KUBERNETES_DELAYS, type Delays } from '@jobfleet/kube';
import { StoreConnection, type StoreConnectionOptions } from '@jobfleet/store';
import { JobController, type Clock } from './controller.js';
import { silentLogger, type Logger } from './logger.js';

export interface ClusterOptions extends StoreConnectionOptions {
  /** The Job controller's backoff delays (default: Kubernetes' 10 s doubling to 6 min). */
  delays?: Delays;
  clock?: Clock;
  /** Where the role's lines go (default: nowhere). */
  logger?: Logger;
}

/** The shared state every role works on: the store and task queues (a StoreConnection) and the Job controller. */
export class Cluster extends StoreConnection {
  readonly controller: JobController;
  readonly delays: Delays;

  constructor(override readonly options: ClusterOptions) {
    super(options);
    this.delays = options.delays ?? KUBERNETES_DELAYS;
    this.logger = options.logger ?? silentLogger();
    this.controller = new JobController(this.store, this.queues, this.delays, options.clock, this.logger);
    this.onConnectionChange((up) => (up ? this.logger.warn('Redis connection is back') : this.logger.warn('Redis connection lost; retrying until it is back')));
  }

  readonly logger: Logger;

  override async close(): Promise<void> {
    this.controller.close();
    await super.close();
  }

  /** Consumes delayed sync tasks (backoff and deadline timers). Every api and worker runs one. */
  startSyncRunner(concurrency = 4) {
    return this.consumeSyncTasks((task) => this.controller.syncJob(task.ns, task.name), concurrency);
  }
}
