import { describe, expect, it } from 'vitest';
import type { Job, NodeHeartbeat, Pod } from '@jobfleet/kube';
import { escapeLabel, KubeStateCache, renderKubeStateText, summarizeCronJob, summarizeJob, summarizePod, type KubeStateSnapshot } from './kube-state.js';
import { requestLabels } from './metrics.js';

const NOW = Date.parse('2026-01-01T00:01:00Z');

function job(name: string, status: Job['status'], spec: Partial<Job['spec']> = {}): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { completions: 3, parallelism: 2, template: { spec: { containers: [] } }, ...spec } as Job['spec'],
    status,
  };
}

function pod(name: string, phase: string, node = ''): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'a', uid: 'uid-a', controller: true }] },
    spec: { containers: [], nodeName: node || undefined },
    status: { phase },
  } as unknown as Pod;
}

function snapshot(jobs: Job[], pods: Pod[] = [], nodes: NodeHeartbeat[] = []): KubeStateSnapshot {
  return { jobs: jobs.map((j) => summarizeJob(j, 1)), cronJobs: [], pods: pods.map((p) => summarizePod(p, 1)), nodes, now: NOW, nodeGraceMs: 40_000 };
}

/** The samples of one family: labels (as text) → value. */
function samples(text: string, family: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = new RegExp(`^${family}(\\{[^}]*\\})? (\\S+)$`).exec(line);
    if (m) out[m[1] ?? ''] = Number(m[2]);
  }
  return out;
}

describe('kube-state-metrics renderer', () => {
  it('renders a complete Job as kube-state-metrics does: counts, the condition one-hot, times in seconds', () => {
    const done = job('a', {
      succeeded: 3,
      active: 0,
      startTime: '2026-01-01T00:00:01Z',
      completionTime: '2026-01-01T00:00:09Z',
      conditions: [{ type: 'Complete', status: 'True', reason: 'CompletionsReached' }],
    } as Job['status']);
    const text = renderKubeStateText(snapshot([done]));
    const id = '{namespace="default",job_name="a"';
    expect(samples(text, 'kube_job_status_succeeded')).toStrictEqual({ [`${id}}`]: 3 });
    expect(samples(text, 'kube_job_spec_completions')).toStrictEqual({ [`${id}}`]: 3 });
    expect(samples(text, 'kube_job_spec_parallelism')).toStrictEqual({ [`${id}}`]: 2 });
    expect(samples(text, 'kube_job_complete')).toStrictEqual({ [`${id},condition="true"}`]: 1, [`${id},condition="false"}`]: 0, [`${id},condition="unknown"}`]: 0 });
    expect(samples(text, 'kube_job_failed')).toStrictEqual({});
    expect(samples(text, 'kube_job_status_failed')).toStrictEqual({ [`${id},reason=""}`]: 0 });
    expect(samples(text, 'kube_job_status_start_time')).toStrictEqual({ [`${id}}`]: Date.parse('2026-01-01T00:00:01Z') / 1000 });
    expect(samples(text, 'kube_job_status_completion_time')).toStrictEqual({ [`${id}}`]: Date.parse('2026-01-01T00:00:09Z') / 1000 });
    expect(samples(text, 'kube_job_created')).toStrictEqual({ [`${id}}`]: Date.parse('2026-01-01T00:00:00Z') / 1000 });
    // Every family is declared once, before its samples, as the text format requires.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
  });

  it('gives a Job failed for a known reason one series per known reason, 1 for its own', () => {
    const failed = job('b', { failed: 4, conditions: [{ type: 'Failed', status: 'True', reason: 'BackoffLimitExceeded' }] } as Job['status']);
    const text = renderKubeStateText(snapshot([failed]));
    const id = '{namespace="default",job_name="b"';
    expect(samples(text, 'kube_job_status_failed')).toStrictEqual({
      [`${id},reason="BackoffLimitExceeded"}`]: 1,
      [`${id},reason="DeadlineExceeded"}`]: 0,
      [`${id},reason="Evicted"}`]: 0,
    });
    expect(samples(text, 'kube_job_failed')).toStrictEqual({ [`${id},condition="true"}`]: 1, [`${id},condition="false"}`]: 0, [`${id},condition="unknown"}`]: 0 });
    // A reason kube-state-metrics does not list: the count of failed pods, without a reason.
    const policy = job('c', { failed: 2, conditions: [{ type: 'Failed', status: 'True', reason: 'PodFailurePolicy' }] } as Job['status']);
    expect(samples(renderKubeStateText(snapshot([policy])), 'kube_job_status_failed')).toStrictEqual({ '{namespace="default",job_name="c",reason=""}': 2 });
  });

  it('renders five phase series per pod, exactly one of them 1', () => {
    const text = renderKubeStateText(snapshot([], [pod('p1', 'Running', 'n1'), pod('p2', 'Succeeded', 'n1')]));
    const phases = samples(text, 'kube_pod_status_phase');
    expect(Object.keys(phases)).toHaveLength(10);
    expect(Object.entries(phases).filter(([, v]) => v === 1).map(([k]) => k)).toStrictEqual([
      '{namespace="default",pod="p1",uid="uid-p1",phase="Running"}',
      '{namespace="default",pod="p2",uid="uid-p2",phase="Succeeded"}',
    ]);
    expect(samples(text, 'kube_pod_owner')['{namespace="default",pod="p1",uid="uid-p1",owner_kind="Job",owner_name="a",owner_is_controller="true"}']).toBe(1);
  });

  it('renders the Ready condition of nodes from their heartbeat age', () => {
    const fresh: NodeHeartbeat = { name: 'n1', capacity: { pods: 110 }, heartbeat: NOW - 1_000, docker: true };
    const silent: NodeHeartbeat = { name: 'n2', capacity: { pods: 5 }, heartbeat: NOW - 60_000, docker: true };
    const text = renderKubeStateText(snapshot([], [], [fresh, silent]));
    const ready = samples(text, 'kube_node_status_condition');
    expect(ready['{node="n1",condition="Ready",status="true"}']).toBe(1);
    expect(ready['{node="n2",condition="Ready",status="true"}']).toBe(0);
    expect(samples(text, 'kube_node_status_capacity')['{node="n2",resource="pods",unit="integer"}']).toBe(5);
  });

  it('escapes label values, so no name breaks the exposition', () => {
    expect(escapeLabel('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const cj = summarizeCronJob({ apiVersion: 'batch/v1', kind: 'CronJob', metadata: { name: 'x', namespace: 'default' }, spec: { schedule: '*/5 * * * *"\n', suspend: true } } as never, 1);
    const text = renderKubeStateText({ ...snapshot([]), cronJobs: [cj] });
    expect(text).toContain('kube_cronjob_info{namespace="default",cronjob="x",schedule="*/5 * * * *\\"\\n",concurrency_policy="Allow"} 1');
    expect(samples(text, 'kube_cronjob_spec_suspend')).toStrictEqual({ '{namespace="default",cronjob="x"}': 1 });
  });

  it('summarizes objects of unexpected shapes without throwing', () => {
    expect(() => summarizeJob({} as Job, 1)).not.toThrow();
    expect(() => summarizePod({} as Pod, 1)).not.toThrow();
  });
});

describe('KubeStateCache: the informer side', () => {
  // The store and the feed are not used by apply(): the change feed's own tests cover delivery.
  const cache = () => new KubeStateCache({} as never, {} as never, { maxPods: 2 });
  const change = (rv: number, type: 'ADDED' | 'MODIFIED' | 'DELETED', p: Pod) => ({ rv, type, kind: 'Pod', ns: 'default', name: p.metadata.name ?? '', obj: JSON.stringify(p) });

  it('applies changes in resourceVersion order and skips older ones', () => {
    const c = cache();
    c.apply(change(5, 'ADDED', pod('p1', 'Running', 'n1')));
    expect(c.pods.get('default/p1')?.phase).toBe('Running');
    c.apply(change(4, 'MODIFIED', pod('p1', 'Failed', 'n1'))); // older than what is cached: the list saw it already
    expect(c.pods.get('default/p1')?.phase).toBe('Running');
    c.apply(change(6, 'MODIFIED', pod('p1', 'Succeeded', 'n1')));
    expect(c.pods.get('default/p1')?.phase).toBe('Succeeded');
    c.apply(change(7, 'DELETED', pod('p1', 'Succeeded', 'n1')));
    expect(c.pods.size).toBe(0);
  });

  it('keeps at most maxPods pods and says so; a malformed object is skipped', () => {
    const c = cache();
    for (const [i, name] of ['a', 'b', 'c'].entries()) c.apply(change(i + 1, 'ADDED', pod(name, 'Pending')));
    expect([c.pods.size, c.full]).toStrictEqual([2, true]);
    c.apply({ rv: 9, type: 'ADDED', kind: 'Pod', ns: 'default', name: 'x', obj: 'not json' });
    c.apply({ rv: 10, type: 'ADDED', kind: 'Job', ns: 'default', name: 'j', obj: '{"metadata":null}' });
    expect(c.pods.has('default/x')).toBe(false);
  });
});

describe('requestLabels: the API server labels of a request, from its route', () => {
  it.each([
    ['POST', '/apis/batch/v1/namespaces/:ns/jobs', false, { verb: 'POST', group: 'batch', version: 'v1', resource: 'jobs', subresource: '', scope: 'namespace' }],
    ['GET', '/apis/batch/v1/namespaces/:ns/jobs', false, { verb: 'LIST', group: 'batch', version: 'v1', resource: 'jobs', subresource: '', scope: 'namespace' }],
    ['GET', '/apis/batch/v1/jobs', true, { verb: 'WATCH', group: 'batch', version: 'v1', resource: 'jobs', subresource: '', scope: 'cluster' }],
    ['GET', '/apis/batch/v1/namespaces/:ns/jobs/:name', false, { verb: 'GET', group: 'batch', version: 'v1', resource: 'jobs', subresource: '', scope: 'resource' }],
    ['PATCH', '/apis/batch/v1/namespaces/:ns/jobs/:name/status', false, { verb: 'PATCH', group: 'batch', version: 'v1', resource: 'jobs', subresource: 'status', scope: 'resource' }],
    ['GET', '/api/v1/namespaces/:ns/pods/:name/log', false, { verb: 'GET', group: '', version: 'v1', resource: 'pods', subresource: 'log', scope: 'resource' }],
    ['DELETE', '/apis/batch/v1/namespaces/:ns/jobs', false, { verb: 'DELETECOLLECTION', group: 'batch', version: 'v1', resource: 'jobs', subresource: '', scope: 'namespace' }],
    ['GET', '/api/v1/namespaces/:ns', false, { verb: 'GET', group: '', version: 'v1', resource: 'namespaces', subresource: '', scope: 'resource' }],
    ['GET', '/healthz', false, { verb: 'GET', group: '', version: '', resource: '', subresource: '', scope: '' }],
    ['GET', undefined, false, { verb: 'GET', group: '', version: '', resource: '', subresource: '', scope: '' }],
  ])('%s %s (watch %s)', (method, route, watch, want) => {
    expect(requestLabels(method, route, watch)).toStrictEqual(want);
  });
});
