/**
 * updateJob against a real redis-server: server-owned fields and status survive, generation
 * follows the spec, stale resourceVersions conflict, races with the controller are retried,
 * dry runs write nothing, and a finished Job's TTL is rescheduled.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, applyJobDefaults, type Job } from '@jobfleet/kube';
import { updateJob, updateJobStatus } from './job-updates.js';
import { createJob } from './jobs.js';
import { scratchCluster } from './test-cluster.js';
import { putOp } from '@jobfleet/store';
import { defaultedJob } from '@jobfleet/testing';

const NS = 'default';

const scratch = scratchCluster();

/** A Job as the API hands it to createJob. */
function manifest(name: string, spec: Partial<Job['spec']> = {}): Job {
  return applyJobDefaults(defaultedJob(name, { completions: 4, ...spec }));
}

async function created(spec: Partial<Job['spec']> = {}): Promise<Job> {
  return createJob(scratch.store, scratch.cluster.controller, manifest(`job-${randomUUID().slice(0, 6)}`, spec), NS);
}

const withSpec = (spec: Partial<Job['spec']>) => (current: Job): Job => ({ ...current, spec: { ...current.spec, ...spec } });

describe('updateJob', () => {
  it('changes the spec, bumps generation, keeps status and server-owned metadata, and syncs at once', async () => {
    const job = await created();
    expect(job.status?.active).toBe(1);
    const { job: updated, changed } = await updateJob(scratch.store, scratch.cluster.controller, NS, job.metadata.name ?? '', (current) => ({
      ...withSpec({ parallelism: 3 })(current),
      metadata: { ...current.metadata, uid: 'forged', creationTimestamp: '2000-01-01T00:00:00Z', generation: 99, labels: { team: 'a' } },
    }));
    expect(changed).toBe(true);
    expect(updated.metadata).toMatchObject({ uid: job.metadata.uid, creationTimestamp: job.metadata.creationTimestamp, generation: 2, labels: { team: 'a' } });
    expect(updated.status?.active).toBe(3); // the controller created two more pods in the same call
    expect(Number(updated.metadata.resourceVersion)).toBeGreaterThan(Number(job.metadata.resourceVersion));
  });

  it('leaves generation alone for metadata-only changes and writes nothing for no change', async () => {
    const job = await created();
    const name = job.metadata.name ?? '';
    const labelled = await updateJob(scratch.store, scratch.cluster.controller, NS, name, (c) => ({ ...c, metadata: { ...c.metadata, labels: { x: 'y' } } }));
    expect(labelled.job.metadata.generation).toBe(1);
    const again = await updateJob(scratch.store, scratch.cluster.controller, NS, name, (c) => c);
    expect(again.changed).toBe(false);
    expect(again.job.metadata.resourceVersion).toBe(labelled.job.metadata.resourceVersion);
  });

  it('answers Conflict for a stale resourceVersion and NotFound for a missing Job', async () => {
    const job = await created();
    const name = job.metadata.name ?? '';
    await updateJob(scratch.store, scratch.cluster.controller, NS, name, (c) => ({ ...c, metadata: { ...c.metadata, annotations: { a: '1' } } }));
    const stale = updateJob(scratch.store, scratch.cluster.controller, NS, name, (c) => ({ ...withSpec({ backoffLimit: 1 })(c), metadata: { ...c.metadata, resourceVersion: job.metadata.resourceVersion } }));
    await expect(stale).rejects.toBeInstanceOf(ConflictError);
    await expect(stale).rejects.toThrow(`Operation cannot be fulfilled on jobs.batch "${name}": the object has been modified`);
    await expect(updateJob(scratch.store, scratch.cluster.controller, NS, 'no-such-job', (c) => c)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('retries without a precondition when another write (the controller) lands in between', async () => {
    const job = await created();
    const name = job.metadata.name ?? '';
    let calls = 0;
    const { job: updated } = await updateJob(scratch.store, scratch.cluster.controller, NS, name, (current) => {
      calls++;
      if (calls === 1) {
        // Another process writes the Job between this read and the compare-and-set.
        void scratch.store.commit([putOp(scratch.store.keys.job(NS, name), current.metadata.resourceVersion ?? '', { ...current, status: { ...current.status, ready: 0 } })]);
      }
      const { resourceVersion: _rv, ...metadata } = current.metadata;
      return { ...withSpec({ backoffLimit: 2 })(current), metadata };
    });
    expect(calls).toBe(2);
    expect(updated.spec.backoffLimit).toBe(2);
  });

  it('writes nothing in a dry run', async () => {
    const job = await created();
    const name = job.metadata.name ?? '';
    const { job: preview } = await updateJob(scratch.store, scratch.cluster.controller, NS, name, withSpec({ parallelism: 2 }), { dryRun: true });
    expect(preview.spec.parallelism).toBe(2);
    const stored = await scratch.store.getJob(NS, name);
    expect(stored?.job.spec.parallelism).toBe(1);
    expect(stored?.rv).toBe(job.metadata.resourceVersion);
  });

  it('reschedules the TTL of a finished Job', async () => {
    const job = await created({ ttlSecondsAfterFinished: 3600 });
    const name = job.metadata.name ?? '';
    const finishedAt = '2026-01-01T00:00:00Z';
    const stored = await scratch.store.getJob(NS, name);
    const finished: Job = { ...(stored?.job as Job), status: { conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: finishedAt }] } };
    await scratch.store.commit([putOp(scratch.store.keys.job(NS, name), stored?.rv ?? '', finished)]);
    await updateJob(scratch.store, scratch.cluster.controller, NS, name, withSpec({ ttlSecondsAfterFinished: 60 }));
    const score = await scratch.cluster.redis.zscore(scratch.store.keys.ttlSchedule, `${NS}/${name}`);
    expect(Number(score)).toBe(Date.parse(finishedAt) + 1000 + 60_000);
  });
});

describe('updateJobStatus (jobs/{name}/status)', () => {
  it('writes the status and labels, keeps the spec, and schedules the TTL of a Job it finishes', async () => {
    const job = await created({ managedBy: 'example.com/other', ttlSecondsAfterFinished: 60 });
    const name = job.metadata.name ?? '';
    const t = '2026-01-01T00:00:00Z';
    const { job: written, changed } = await updateJobStatus(scratch.store, scratch.cluster.controller, NS, name, (current) => ({
      ...current,
      metadata: { ...current.metadata, labels: { reported: 'yes' } },
      spec: { ...current.spec, parallelism: 9 },
      status: {
        startTime: t,
        completionTime: t,
        succeeded: 4,
        conditions: [
          { type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: t },
          { type: 'Complete', status: 'True', lastTransitionTime: t },
        ],
      },
    }));
    expect(changed).toBe(true);
    expect(written.spec.parallelism).toBe(1);
    expect(written.metadata.labels).toStrictEqual({ reported: 'yes' });
    const stored = (await scratch.store.getJob(NS, name))?.job;
    expect(stored?.status).toMatchObject({ succeeded: 4, completionTime: t });
    expect(stored?.metadata.generation).toBe(job.metadata.generation);
    expect(Number(await scratch.cluster.redis.zscore(scratch.store.keys.ttlSchedule, `${NS}/${name}`))).toBe(Date.parse(t) + 1000 + 60_000);
  });

  it('refuses an invalid status (422) or a stale resourceVersion (409), writing nothing', async () => {
    const job = await created({ managedBy: 'example.com/other' });
    const name = job.metadata.name ?? '';
    await expect(updateJobStatus(scratch.store, scratch.cluster.controller, NS, name, (current) => ({ ...current, status: { failed: -1 } }))).rejects.toThrow(
      'status.failed: Invalid value: -1: must be greater than or equal to 0',
    );
    await expect(
      updateJobStatus(scratch.store, scratch.cluster.controller, NS, name, (current) => ({ ...current, metadata: { ...current.metadata, resourceVersion: '1' }, status: { active: 1 } })),
    ).rejects.toThrow(ConflictError);
    expect((await scratch.store.getJob(NS, name))?.rv).toBe(job.metadata.resourceVersion);
  });
});
