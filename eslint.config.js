// Lint rules that keep the package boundaries visible (as Temporal's SDK does): no deep imports into
// another package's sources, no relative imports across packages, Redis (ioredis, BullMQ) only in the
// store; plus typescript-eslint's recommended set.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

/** No deep imports into another package's sources or build, no relative imports across packages. */
const INTERNALS = [
  { group: ['@jobfleet/*/src', '@jobfleet/*/src/**', '@jobfleet/*/dist', '@jobfleet/*/dist/**'], message: 'Import a package through its entry point.' },
  { group: ['../../*/src/*', '../../../*/src/*', '../../*/dist/*', '../../../*/dist/*'], message: 'Import another package by its name, not by a relative path.' },
];

/** Only packages/store talks to Redis. */
const REDIS = [{ group: ['ioredis', 'ioredis/**', 'bullmq', 'bullmq/**'], message: 'Only @jobfleet/store talks to Redis: call a store method (add one there if needed).' }];

/** Tests that look at or break Redis itself, below what the store offers. */
const REDIS_POKING_TESTS = [
  'packages/api/src/change-feed.redis.test.ts',
  'packages/controllers/src/controller-features.redis.test.ts',
  'packages/controllers/src/controller.redis.test.ts',
  'packages/controllers/src/delete-job.redis.test.ts',
  'packages/controllers/src/pod-codec.redis.test.ts',
  'packages/controllers/src/pod-logs.redis.test.ts',
  'packages/e2e/src/api-errors.test.ts',
  'packages/e2e/src/clients/protobuf-kubectl.test.ts',
  'packages/e2e/src/faults.test.ts',
  'packages/e2e/src/fuzz.test.ts',
  'packages/e2e/src/janitor.test.ts',
  'packages/e2e/src/security.test.ts',
  'packages/e2e/src/hostile/docker-cut.test.ts',
  'packages/e2e/src/hostile/leaks.test.ts',
  'packages/e2e/src/hostile/logs.test.ts',
  'packages/e2e/src/hostile/redis-auth.test.ts',
  'packages/e2e/src/hostile/redis-full.test.ts',
  'packages/e2e/src/hostile/redis-wipe.test.ts',
  'packages/e2e/src/hostile/watch-memory.test.ts',
  'packages/e2e/src/watch-events.test.ts',
];

/**
 * The roles call the store's transitions: how a change is written (its write operations, a bare
 * commit of them) is the store's to decide. Tests may still set up state below the transitions.
 */
const ROLE_SOURCES = ['packages/{api,worker,janitor,controllers,cli,client}/src/**/*.ts'];
const WRITES = [{ name: '@jobfleet/store', importNames: ['WriteOp', 'PutOp', 'putOp'], message: 'Call a store transition (add one in packages/store/src/transitions.ts if needed), not raw write operations.' }];
const BARE_COMMIT = { selector: "CallExpression > MemberExpression.callee[property.name='commit']", message: 'Call a store transition (add one in packages/store/src/transitions.ts if needed), not JobStore.commit.' };

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/*.js', '**/*.mjs', 'packages/*/examples/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['packages/*/src/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...INTERNALS, ...REDIS] }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
      'no-empty': ['error', { allowEmptyCatch: true }],
    },
  },
  {
    files: ROLE_SOURCES,
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [...INTERNALS, ...REDIS], paths: WRITES }],
      'no-restricted-syntax': ['error', BARE_COMMIT],
    },
  },
  {
    // Redis is the store's alone: its keys, scripts and encodings, ioredis and BullMQ. The exceptions:
    // the private testing package, the raw-BullMQ baseline and Redis statistics of the benchmark, and
    // tests that must look at or break Redis itself (inspect keys, fill memory, flush, cut connections).
    files: [
      'packages/store/src/**/*.ts',
      'packages/testing/src/**/*.ts',
      'packages/e2e/src/bench/**/*.ts',
      ...REDIS_POKING_TESTS,
    ],
    rules: { 'no-restricted-imports': ['error', { patterns: INTERNALS }] },
  },
);
