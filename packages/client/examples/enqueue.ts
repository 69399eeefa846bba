/**
 * Enqueue a Job with @jobfleet/client, follow it, print its pods' logs, clean up.
 *
 *   npm run example:enqueue -w @jobfleet/client                        # server at $JOBFLEET_SERVER or http://127.0.0.1:8080
 *   JOBFLEET_SERVER=http://10.0.0.5:8080 npm run example:enqueue -w @jobfleet/client
 *
 * Start a server first with `npx jobfleet up`.
 */
import { JobFailedError, JobfleetClient, ServerUnreachableError, type Job } from '@jobfleet/client';

const name = `enqueue-example-${Date.now().toString(36)}`;

const job: Job = {
  apiVersion: 'batch/v1',
  kind: 'Job',
  metadata: { name, labels: { app: 'enqueue-example' } },
  spec: {
    completions: 3,
    parallelism: 3,
    backoffLimit: 2,
    template: {
      spec: {
        restartPolicy: 'Never',
        containers: [{ name: 'hello', image: 'busybox', command: ['sh', '-c', 'echo "hello from $HOSTNAME"'] }],
      },
    },
  },
};

async function main(): Promise<void> {
  const client = new JobfleetClient();
  const created = await client.createJob(job);
  console.log(`created job.batch/${created.metadata.name} (uid ${created.metadata.uid})`);

  for await (const state of client.watchJob(name, { signal: AbortSignal.timeout(120_000) })) {
    const { active = 0, succeeded = 0, failed = 0 } = state.status ?? {};
    console.log(`  ${active} active, ${succeeded} succeeded, ${failed} failed`);
    if (state.status?.conditions?.some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')) break;
  }

  try {
    const done = await client.waitForCompletion(name, { timeoutMs: 10_000 });
    console.log(`complete: ${done.status?.succeeded}/${done.spec.completions} succeeded`);
  } catch (error) {
    if (!(error instanceof JobFailedError)) throw error;
    console.error(`failed: ${error.reason}: ${error.conditionMessage}`);
  }

  for (const pod of await client.listPods({ jobName: name })) {
    console.log(`--- pod/${pod.metadata.name} (${pod.status.phase})`);
    process.stdout.write(await client.logs(pod.metadata.name ?? ''));
  }

  await client.deleteJob(name); // propagationPolicy Background: the pods go too
  console.log(`deleted job.batch/${name}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof ServerUnreachableError ? error.message : error);
  process.exitCode = 1;
});
