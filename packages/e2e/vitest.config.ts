import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file runs its own Redis and fleet; two at a time suit a 2-core machine.
    maxWorkers: 2,
    pool: 'forks',
  },
});
