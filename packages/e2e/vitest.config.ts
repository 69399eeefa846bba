import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    // A test's own waits say what they waited for (upstream/job-fixtures.ts JOB_TIMEOUT_MS: 150 s); this bound is
    // only for what hangs without a wait of its own.
    testTimeout: 240_000,
    hookTimeout: 120_000,
    // Each file runs its own Redis and fleet. Measured in CI from a clean clone (57 files): 796 s of e2e with
    // two at a time, 776 s with three — the 2-core machine is CPU-bound either way (load average ~10), so the
    // files that only wait (CronJob schedule times, failovers) no longer hide behind the busy ones.
    maxWorkers: 3,
    pool: 'forks',
    // One retry on this noisy shared machine (three fleets at once on two cores); flaky-reporter names every
    // test that needed it, with its first failure, at the end of the run.
    retry: 1,
    reporters: ['default', './src/flaky-reporter.ts'],
  },
});
