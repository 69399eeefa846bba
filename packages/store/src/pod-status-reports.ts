import type { Pod } from '@jobfleet/kube';
import type { PodLogFinish } from './pod-logs.js';

/** A worker's report of one pod's status: the pod as the report leaves it (only its status differs from the stored one). */
export interface PodStatusReport {
  ns: string;
  name: string;
  /** The resourceVersion the report is based on: refused when the pod changed since. */
  rv: string;
  pod: Pod;
  /** The node running it: the pod leaves the node's pod set once it ended. */
  node: string;
  /**
   * The pod's last output, to be archived with its log (PodLogs.write with finish) in the same
   * request, before the status: nobody sees the pod finished before its whole log. Archived even
   * when the status is refused.
   */
  log?: PodLogFinish;
}


/**
 * ok: written (its new resourceVersion). conflict: the pod changed (or went) since `rv`: read it
 * again. whole: the stored pod cannot take a status alone (not compressed with a Job's dictionary,
 * or past the size limit): write the whole pod.
 */
export type PodStatusResult = { ok: true; rv: string } | { ok: false; reason: 'conflict' | 'whole' };

/** One call of reportPodStatus-5+.lua: the pod keys and six values per pod. */
export type StatusWrite = (node: string, reports: PodStatusReport[]) => Promise<PodStatusResult[]>;

/** Most pods one script call writes (bounds its arguments and the time Redis spends in it). */
const MAX_BATCH = 128;

interface Pending {
  report: PodStatusReport;
  resolve(result: PodStatusResult): void;
  reject(error: unknown): void;
}

/**
 * Gathers the status reports of one process that are ready together (within one turn of the event
 * loop: a worker running 100 pods finds tens ready at once) into one script call per node, so a
 * report costs a share of one round trip instead of one each.
 */
export class StatusReportBatcher {
  private readonly pending = new Map<string, Pending[]>();
  private scheduled = false;

  constructor(private readonly write: StatusWrite) {}

  report(report: PodStatusReport): Promise<PodStatusResult> {
    return new Promise((resolve, reject) => {
      const list = this.pending.get(report.node) ?? [];
      list.push({ report, resolve, reject });
      this.pending.set(report.node, list);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const all = [...this.pending];
    this.pending.clear();
    for (const [node, list] of all) {
      for (let i = 0; i < list.length; i += MAX_BATCH) {
        const batch = list.slice(i, i + MAX_BATCH);
        this.write(
          node,
          batch.map((p) => p.report),
        ).then(
          (results) => batch.forEach((p, j) => p.resolve(results[j] ?? { ok: false, reason: 'conflict' })),
          (error: unknown) => batch.forEach((p) => p.reject(error)),
        );
      }
    }
  }
}
