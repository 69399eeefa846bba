/** The janitor's --metrics-port: a real Prometheus text endpoint, gone when the janitor stops. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScratchRedis, type EmbeddedRedis } from '@jobfleet/testing';
import { StoreConnection } from '@jobfleet/store';
import { startJanitor, type Janitor } from './janitor.js';
import { JanitorMetrics } from './metrics.js';

let server: EmbeddedRedis;
let janitor: Janitor;
let url = '';

beforeAll(async () => {
  server = await startScratchRedis();
  janitor = await startJanitor({ redisUrl: server.url, prefix: 'janitor-metrics', metricsPort: 0, metricsHost: '127.0.0.1' });
  url = `http://127.0.0.1:${janitor.metricsPort}`;
});
afterAll(async () => {
  await janitor.close().catch(() => undefined);
  await server.stop();
});

describe('janitor metrics', () => {
  it('serves /metrics in the text format 0.0.4 with the queue, Redis and process figures; other paths are 404', async () => {
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toMatch(/^jobfleet_redis_up 1$/m);
    expect(text).toMatch(/^jobfleet_pods_queue_tasks\{state="waiting"\} 0$/m);
    expect(text).toMatch(/^jobfleet_janitor_ttl_deleted_jobs_total 0$/m);
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE job_controller_job_syncs_total counter');
    expect((await fetch(`${url}/other`)).status).toBe(404);
  });

  it('counts the Jobs its TTL collection deleted', async () => {
    const connection = new StoreConnection({ redisUrl: server.url, prefix: 'janitor-metrics-count' });
    try {
      const metrics = new JanitorMetrics(connection.store, connection.queues);
      metrics.jobsDeleted(0);
      metrics.jobsDeleted(2);
      metrics.jobsDeleted(1);
      expect(await metrics.render()).toMatch(/^jobfleet_janitor_ttl_deleted_jobs_total 3$/m);
    } finally {
      await connection.close();
    }
  });

  it('stops serving when the janitor closes', async () => {
    await janitor.close();
    await expect(fetch(`${url}/metrics`)).rejects.toThrow();
  });
});
