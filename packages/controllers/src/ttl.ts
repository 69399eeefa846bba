import { ConflictError, ttlDeadline } from '@jobfleet/kube';
import { deleteJob, deletionsInProgress, dueTtl, forgetDeletion, rescheduleTtl, resumeDeletion, unscheduleTtl, type JobStore, type TaskQueues } from '@jobfleet/store';
import type { Logger } from './logger.js';

/** A deletion still in the registry this long after it started is taken over (its process died). */
const RESUME_AFTER_MS = 10_000;
/** Jobs deleted per pass at most. */
const DUE_PER_PASS = 100;

function parseDeletion(raw: string): { ns: string; name: string; at: number } | undefined {
  try {
    const v = JSON.parse(raw) as { ns?: unknown; name?: unknown; at?: unknown };
    return typeof v.ns === 'string' && typeof v.name === 'string' && typeof v.at === 'number' ? { ns: v.ns, name: v.name, at: v.at } : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The TTL-after-finished controller: deletes each finished Job `ttlSecondsAfterFinished` after it
 * finished. The schedule is kept by the store, scored by deadline on the Redis clock, so a restart
 * loses nothing and a pass costs O(log n), not a scan. Several may run: a Job is deleted once (the
 * first step of a deletion is atomic) and the others find nothing to do. It also finishes
 * deletions whose process died half-way.
 */
export class TtlController {
  constructor(
    private readonly store: JobStore,
    private readonly queues: TaskQueues,
    private readonly logger?: Logger,
  ) {}

  /** Deletes every Job whose deadline has passed. Returns how many it deleted. */
  async collect(): Promise<number> {
    const store = this.store;
    const now = await store.now();
    let deleted = 0;
    for (const { ns, name } of await dueTtl(store, now, DUE_PER_PASS)) {
      const stored = await store.getJob(ns, name);
      const deadline = stored ? ttlDeadline(stored.job) : undefined;
      if (!stored || deadline === undefined) {
        await unscheduleTtl(store, ns, name); // gone, or its TTL was removed
        continue;
      }
      if (deadline > now) {
        await rescheduleTtl(store, ns, name, deadline); // its TTL was raised
        continue;
      }
      // The uid precondition: a Job recreated under the same name meanwhile is not this one (409, skipped).
      // A Job of many pods is gone at once; its pods follow in the background (resumed from the registry if this process stops).
      const gone = await deleteJob(store, ns, name, { uid: stored.job.metadata.uid, queues: this.queues, returnAfterMs: 1_000 }).catch((err: unknown) => {
        if (err instanceof ConflictError) return undefined;
        throw err;
      });
      if (gone) {
        deleted++;
        this.logger?.info({ job: `${ns}/${name}`, uid: stored.job.metadata.uid, ttlSecondsAfterFinished: stored.job.spec.ttlSecondsAfterFinished }, 'Job deleted (ttlSecondsAfterFinished)');
      }
    }
    await this.resumeDeletions(now);
    return deleted;
  }

  /**
   * Finishes deletions whose process stopped half-way (a Job's pods go in batches after the Job):
   * any entry of the registry older than RESUME_AFTER_MS. Several janitors may do it at once: the
   * deletion is idempotent.
   */
  private async resumeDeletions(now: number): Promise<void> {
    const store = this.store;
    for (const [uid, raw] of Object.entries(await deletionsInProgress(store))) {
      const entry = parseDeletion(raw);
      if (entry && now - entry.at < RESUME_AFTER_MS) continue;
      if (!entry) {
        await forgetDeletion(store, uid); // not ours to read: nothing to resume
        continue;
      }
      await resumeDeletion(store, entry.ns, entry.name, uid, this.queues);
    }
  }
}
