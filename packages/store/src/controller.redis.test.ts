/**
 * The Job controller, deleteJob and the task queues against a real redis-server: concurrent syncs
 * count each finished pod exactly once, deletion leaves no key behind, timers are removed.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { k8sTime, type Delays, type Job, type JobSpec, type Pod, type PodPhase } from '@jobfleet/spec';
import { Cluster } from './cluster.js';
import type { Clock } from './controller.js';
import { embeddedRedisForTests } from './test-redis.js';
import { createJob, deleteJob, parseStopMessage, stopMessage } from './jobs.js';
import { putOp } from './store.js';

void embeddedRedisForTests;
