import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file runs its own Redis and fleet. Most of an e2e file's time is waiting (containers, schedule
    // times, timers, failovers): three at a time keep a 2-core machine busy without starving the rest
    // (measured: 13.3 min of e2e with two, the whole npm test over its 15 minutes).
    maxWorkers: 3,
    pool: 'forks',
  },
});
