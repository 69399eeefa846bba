/**
 * Prometheus metrics end to end: a real Prometheus server (Debian's `prometheus`, installed by
 * `npm run setup`) scrapes the API's /metrics (behind its token) and a worker's --metrics-port every
 * second while a Job runs to completion through the fleet; the test then asks Prometheus' HTTP API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Job } from '@jobfleet/kube';
import { freePort } from '@jobfleet/store';
import { startFleet, uniqueName, type Fleet } from '../harness.js';

const TOKEN = 'metrics-test-token';
const COMPLETIONS = 3;

let fleet: Fleet;
let prometheus: ChildProcess | undefined;
let promUrl = '';
let dir = '';
let workerPort = 0;
let promLog = '';

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

async function query(promql: string): Promise<Sample[]> {
  const res = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
  const body = (await res.json()) as { status: string; data?: { result: Sample[] }; error?: string };
  if (body.status !== 'success') throw new Error(`query ${promql}: ${body.error}`);
  return body.data?.result ?? [];
}

const values = (samples: Sample[]) => samples.map((s) => Number(s.value[1]));

/** Asks until `check` passes on the answer (Prometheus scrapes every second), or fails with the last answer. */
async function eventually(promql: string, check: (samples: Sample[]) => boolean, timeoutMs = 30_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  let last: Sample[] = [];
  while (Date.now() < deadline) {
    last = await query(promql);
    if (check(last)) return last;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${promql} never passed its check; last answer: ${JSON.stringify(last)}\nprometheus log tail: ${promLog.slice(-2000)}`);
}

beforeAll(async () => {
  fleet = await startFleet({ workers: 0, token: TOKEN, maxPods: 7, janitor: false });
  const worker = await fleet.addWorker({ metricsPort: 0, metricsHost: '127.0.0.1' });
  workerPort = worker.metricsPort ?? 0;
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-prometheus-'));
  const api = new URL(fleet.api.url);
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: jobfleet-api',
      '    authorization:',
      '      type: Bearer',
      `      credentials: ${TOKEN}`,
      '    static_configs:',
      `      - targets: ['${api.host}']`,
      '  - job_name: jobfleet-worker',
      '    static_configs:',
      `      - targets: ['127.0.0.1:${workerPort}']`,
      '',
    ].join('\n'),
  );
  prometheus = spawn('prometheus', [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const keep = (chunk: Buffer) => (promLog = (promLog + chunk.toString()).slice(-20_000));
  prometheus.stdout?.on('data', keep);
  prometheus.stderr?.on('data', keep);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${promUrl}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (Date.now() > deadline || prometheus.exitCode !== null) throw new Error(`prometheus did not start: ${promLog}`);
    await new Promise((r) => setTimeout(r, 200));
  }
});

afterAll(async () => {
  if (prometheus && prometheus.exitCode === null) {
    const exited = new Promise((r) => prometheus?.once('exit', r));
    prometheus.kill('SIGTERM');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5_000))]);
    if (prometheus.exitCode === null) prometheus.kill('SIGKILL');
  }
  await fleet?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('Prometheus scrapes the fleet', () => {
  it('serves /metrics in the text format 0.0.4, behind the API token', async () => {
    const open = await fetch(`${fleet.api.url}/metrics`);
    expect(open.status).toBe(401);
    const res = await fetch(`${fleet.api.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(text).toContain('# TYPE kube_job_status_succeeded gauge');
    expect(text).toContain('# TYPE apiserver_request_total counter');
    expect(text).toContain('# TYPE process_cpu_seconds_total counter');
  });

  it('sees a Job run to completion with kube-state-metrics, Job controller, API server and jobfleet metrics', async () => {
    const name = uniqueName('prom');
    const job = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name },
      spec: { completions: COMPLETIONS, parallelism: COMPLETIONS, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo hi'] }] } } },
    } as Job;
    await fleet.client.createJob(job);
    await fleet.client.waitForCompletion(name, { timeoutMs: 60_000 });

    // Both targets are up: the API's scrape passed its token.
    const up = await eventually('up', (s) => s.length === 2 && values(s).every((v) => v === 1));
    expect(up.map((s) => s.metric.job).sort()).toStrictEqual(['jobfleet-api', 'jobfleet-worker']);

    // kube-state-metrics' Job families: the Complete condition as three series, one of them 1.
    const complete = await eventually(`kube_job_complete{job_name="${name}"}`, (s) => s.some((x) => x.metric.condition === 'true' && x.value[1] === '1'));
    expect(Object.fromEntries(complete.map((s) => [s.metric.condition, Number(s.value[1])]))).toStrictEqual({ true: 1, false: 0, unknown: 0 });
    expect(await query(`kube_job_failed{job_name="${name}"}`)).toStrictEqual([]);
    const succeeded = await query(`kube_job_status_succeeded{job_name="${name}",namespace="default"}`);
    const completions = await query(`kube_job_spec_completions{job_name="${name}"}`);
    expect(values(succeeded)).toStrictEqual([COMPLETIONS]);
    expect(values(completions)).toStrictEqual([COMPLETIONS]);
    expect(values(await query(`kube_job_status_active{job_name="${name}"}`))).toStrictEqual([0]);
    expect(values(await query(`kube_job_status_failed{job_name="${name}"}`))).toStrictEqual([0]);
    const [start] = values(await query(`kube_job_status_start_time{job_name="${name}"}`));
    const [end] = values(await query(`kube_job_status_completion_time{job_name="${name}"}`));
    expect(end).toBeGreaterThanOrEqual(start ?? Infinity);

    // Pods: five phase series each, exactly one of them 1, and that one Succeeded.
    const phases = await eventually(`kube_pod_status_phase{namespace="default",pod=~"${name}-.*"}`, (s) => s.length === 5 * COMPLETIONS && s.filter((x) => x.value[1] === '1').every((x) => x.metric.phase === 'Succeeded'));
    const perPod = new Map<string, number>();
    for (const s of phases) perPod.set(s.metric.pod ?? '', (perPod.get(s.metric.pod ?? '') ?? 0) + Number(s.value[1]));
    expect([...perPod.values()]).toStrictEqual(Array(COMPLETIONS).fill(1));
    expect(new Set(phases.map((s) => s.metric.phase))).toStrictEqual(new Set(['Pending', 'Running', 'Succeeded', 'Failed', 'Unknown']));
    const owners = await query(`kube_pod_owner{pod=~"${name}-.*"}`);
    expect(owners.map((s) => [s.metric.owner_kind, s.metric.owner_name, s.metric.owner_is_controller])).toStrictEqual(Array(COMPLETIONS).fill(['Job', name, 'true']));
    const worker = fleet.workers[0]?.nodeName ?? '';
    const info = await query(`kube_pod_info{pod=~"${name}-.*"}`);
    expect(info.map((s) => [s.metric.node, s.metric.created_by_kind, s.metric.created_by_name])).toStrictEqual(Array(COMPLETIONS).fill([worker, 'Job', name]));

    // Nodes: the worker is Ready, and its capacity is its --max-pods.
    const ready = await query(`kube_node_status_condition{node="${worker}",condition="Ready"}`);
    expect(Object.fromEntries(ready.map((s) => [s.metric.status, Number(s.value[1])]))).toStrictEqual({ true: 1, false: 0, unknown: 0 });
    expect(values(await query(`jobfleet_node_pods_capacity{node="${worker}"}`))).toStrictEqual([7]);
    expect(values(await query(`jobfleet_node_pods{node="${worker}"}`))).toStrictEqual([0]);
    const [age] = values(await query(`jobfleet_node_heartbeat_age_seconds{node="${worker}"}`));
    expect(age).toBeGreaterThanOrEqual(0);

    // The Job controller's own metrics (from both targets: this test's processes share one controller registry).
    const finished = await eventually(`job_controller_jobs_finished_total{job="jobfleet-worker",completion_mode="NonIndexed",result="succeeded",reason="CompletionsReached"}`, (s) => s.length === 1);
    expect(values(finished)[0]).toBeGreaterThanOrEqual(1);
    const podsFinished = await eventually(`job_controller_job_pods_finished_total{job="jobfleet-api",result="succeeded"}`, (s) => values(s)[0] !== undefined && (values(s)[0] ?? 0) >= COMPLETIONS);
    expect(values(podsFinished)[0]).toBeGreaterThanOrEqual(COMPLETIONS);
    const syncs = await query(`sum by (action) (job_controller_job_syncs_total{job="jobfleet-api",result="success"})`);
    expect(syncs.map((s) => s.metric.action)).toContain('pods_created');
    expect(values(await query(`job_controller_job_sync_duration_seconds_count{job="jobfleet-api",action="pods_created"}`)).every((v) => v >= 1)).toBe(true);

    // The API server's request metrics: the create was a POST of jobs in group batch, answered 201.
    const posts = await query(`apiserver_request_total{verb="POST",group="batch",version="v1",resource="jobs",scope="namespace",code="201"}`);
    expect(values(posts)[0]).toBeGreaterThanOrEqual(1);
    const gets = await query(`apiserver_request_total{verb="GET",resource="jobs",scope="resource"}`);
    expect(gets.length).toBeGreaterThanOrEqual(1);
    expect(await query(`apiserver_request_duration_seconds_count{verb="POST",resource="jobs"}`)).toHaveLength(1);

    // jobfleet's own: the queue is drained, Redis answers, the worker ran the pods, the logs are stored.
    expect(values(await query(`jobfleet_pods_queue_tasks{job="jobfleet-api",state="waiting"}`))).toStrictEqual([0]);
    expect(values(await query(`jobfleet_pods_queue_oldest_waiting_seconds{job="jobfleet-api"}`))).toStrictEqual([0]);
    expect(values(await query('jobfleet_redis_up'))).toStrictEqual([1, 1]);
    expect(values(await query(`jobfleet_redis_memory_used_bytes{job="jobfleet-api"}`))[0]).toBeGreaterThan(0);
    expect(values(await query(`jobfleet_worker_pods_finished_total{phase="Succeeded"}`))).toStrictEqual([COMPLETIONS]);
    expect(values(await query(`jobfleet_worker_pods_capacity`))).toStrictEqual([7]);
    await eventually('jobfleet_log_bytes_stored{job="jobfleet-api"}', (s) => (values(s)[0] ?? 0) >= COMPLETIONS * 'hi\n'.length);
    // And the process's own, from prom-client's defaults.
    expect((await query('process_resident_memory_bytes')).length).toBe(2);
  });
});
