/**
 * application/vnd.kubernetes.protobuf against a real fleet (API, worker, Redis, Docker): the real
 * kubectl's typed commands, which send and accept protobuf (`create job --image`, `create
 * namespace`, `create job --dry-run=server`, errors, `events --watch` in protobuf frames), and the
 * wire itself: every kind served reads the same in protobuf as in JSON, content negotiation
 * (Accept with q-values, 406, YAML, Table), Content-Type (415), and hostile protobuf bodies (400 or
 * 413, nothing written).
 */
import { spawn } from 'node:child_process';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeObject, decodeWatchEvents, encodeObject } from '@jobfleet/api';
import { dataKeys, startFleet, uniqueName, type Fleet } from '../harness.js';
import { KUBECTL, kubectlAgainst, type Kubectl, type KubectlResult } from '../kubectl-runner.js';

const PROTOBUF = 'application/vnd.kubernetes.protobuf';

let fleet: Fleet;
let redis: Redis;
let k: Kubectl;

beforeAll(async () => {
  fleet = await startFleet({ workers: 1 });
  redis = new Redis(fleet.redisUrl);
  k = kubectlAgainst(fleet.api.url, 'jobfleet-protobuf-');
});
afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
  k?.close();
});

const kubectl = (args: string[], timeoutMs = 60_000): Promise<KubectlResult> => k.run(args, { timeoutMs });

/** The request and response Content-Types kubectl -v=8 logged for a method and path. */
function contentTypes(log: string): string[] {
  return [...log.matchAll(/Content-Type: ([^\s]+)/g)].map((m) => m[1] ?? '');
}

async function http(method: string, path: string, opts: { accept?: string; contentType?: string; body?: Buffer | string } = {}) {
  const headers: Record<string, string> = {};
  if (opts.accept !== undefined) headers.accept = opts.accept;
  if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
  const res = await fetch(`${fleet.api.url}${path}`, { method, headers, body: opts.body });
  const bytes = Buffer.from(await res.arrayBuffer());
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', bytes, text: bytes.toString('utf8') };
}

const jobs = '/apis/batch/v1/namespaces/default/jobs';

function jobManifest(name: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels: { suite: 'protobuf' } },
    spec: { backoffLimit: 0, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox', command: ['sh', '-c', 'echo from-protobuf'] }] } }, ...extra },
  };
}

async function waitForJob(name: string, condition: string): Promise<void> {
  const result = await kubectl(['wait', `--for=condition=${condition}`, `job/${name}`, '--timeout=60s']);
  if (result.code !== 0) throw new Error(`kubectl wait ${name}: ${result.stderr}`);
}

describe('kubectl typed commands (protobuf)', () => {
  it('create job NAME --image=busybox -- echo hi: sent and answered in protobuf; the Job runs and completes', async () => {
    const name = uniqueName('pb-create');
    const created = await kubectl(['create', 'job', name, '--image=busybox', '-v=8', '--', 'echo', 'hi']);
    expect(created.stdout + created.stderr).toContain(`job.batch/${name} created`);
    expect(created.code).toBe(0);
    // The request body and the answer were protobuf (kubectl -v=8 logs both headers).
    const types = contentTypes(created.stderr);
    expect(types.filter((t) => t === PROTOBUF).length).toBeGreaterThanOrEqual(2);
    await waitForJob(name, 'complete');
    expect((await kubectl(['logs', `job/${name}`])).stdout.trim()).toBe('hi');
    const job = JSON.parse((await kubectl(['get', 'job', name, '-o', 'json'])).stdout) as { spec: { template: { spec: { containers: { command: string[] }[] } } }; status: { succeeded: number } };
    expect(job.spec.template.spec.containers[0]?.command).toEqual(['echo', 'hi']);
    expect(job.status.succeeded).toBe(1);
  });

  it('create namespace, then a Job in it', async () => {
    const ns = uniqueName('pb-ns');
    const created = await kubectl(['create', 'namespace', ns]);
    expect(created.stdout).toContain(`namespace/${ns} created`);
    expect((await kubectl(['get', 'namespace', ns, '-o', 'jsonpath={.status.phase}'])).stdout).toBe('Active');
    expect((await kubectl(['-n', ns, 'create', 'job', 'inner', '--image=busybox', '--', 'true'])).code).toBe(0);
    await kubectl(['delete', 'namespace', ns]);
  });

  it('create job --dry-run=server: the server\'s Job comes back in protobuf, nothing is stored', async () => {
    const name = uniqueName('pb-dry');
    const before = await dataKeys(redis, fleet.prefix);
    const result = await kubectl(['create', 'job', name, '--image=busybox', '--dry-run=server', '-o', 'json', '--', 'echo', 'x']);
    expect(result.code).toBe(0);
    const job = JSON.parse(result.stdout) as { metadata: { uid?: string; generation?: number }; spec: { selector?: unknown; backoffLimit?: number; completionMode?: string } };
    // What only the server sets: uid, generation, the generated selector, the defaults.
    expect(job.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(job.metadata.generation).toBe(1);
    expect(job.spec).toMatchObject({ backoffLimit: 6, completionMode: 'NonIndexed', selector: { matchLabels: expect.any(Object) } });
    expect(await dataKeys(redis, fleet.prefix)).toEqual(before);
    expect((await kubectl(['get', 'job', name])).code).not.toBe(0);
  });

  it('errors come back as protobuf Status objects kubectl reads: AlreadyExists, Invalid with causes', async () => {
    const name = uniqueName('pb-err');
    expect((await kubectl(['create', 'job', name, '--image=busybox', '--', 'true'])).code).toBe(0);
    const again = await kubectl(['create', 'job', name, '--image=busybox', '-v=8', '--', 'true']);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain(`jobs.batch "${name}" already exists`);
    // The request and the 409 answer were protobuf.
    expect(contentTypes(again.stderr).filter((t) => t === PROTOBUF).length).toBeGreaterThanOrEqual(2);
    const invalid = await kubectl(['create', 'job', 'Bad_Name', '--image=busybox', '--', 'true']);
    expect(invalid.stderr).toContain('Job.batch "Bad_Name" is invalid: [metadata.name: Invalid value: "Bad_Name"');
  });

  it('events --watch: a protobuf watch (length-prefixed WatchEvent frames) that kubectl decodes', async () => {
    const name = uniqueName('pb-watch');
    const child = spawn(KUBECTL, ['events', '--watch', '-v=6', '--for', `job/${name}`], { env: k.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      // The watch is open (kubectl logged the GET) before the Job exists.
      await until(() => /watch=true/.test(stderr), 20_000, () => `no watch request: ${stderr}`);
      expect((await http('POST', jobs, { contentType: PROTOBUF, accept: PROTOBUF, body: encodeObject(jobManifest(name)) })).status).toBe(201);
      await until(() => /SuccessfulCreate/.test(stdout) && /Completed/.test(stdout), 60_000, () => `events seen: ${stdout}\n${stderr}`);
      expect(stdout).toMatch(new RegExp(`Normal\\s+SuccessfulCreate\\s+Job/${name}\\s+Created pod: ${name}-`));
    } finally {
      child.kill();
    }
  });
});

async function until(check: () => boolean, timeoutMs: number, why: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(why());
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the wire', () => {
  it('every kind served reads the same in protobuf as in JSON (but for the zeros Go leaves out)', async () => {
    const name = uniqueName('pb-same');
    expect((await http('POST', jobs, { contentType: PROTOBUF, body: encodeObject(jobManifest(name)) })).status).toBe(201);
    await waitForJob(name, 'complete');
    const paths = [
      `${jobs}/${name}`,
      jobs,
      '/api/v1/namespaces/default/pods',
      '/api/v1/namespaces/default/events',
      '/api/v1/nodes',
      `/api/v1/nodes/${fleet.workers[0]?.nodeName ?? ''}`,
      '/api/v1/namespaces',
      '/api/v1/namespaces/default',
    ];
    for (const path of paths) {
      // Nodes change with every heartbeat: the two reads are tried again until they saw the same state.
      for (let attempt = 1; ; attempt++) {
        const json = JSON.parse((await http('GET', path, { accept: 'application/json' })).text) as Record<string, unknown>;
        const pb = await http('GET', path, { accept: 'application/vnd.kubernetes.protobuf, application/json' });
        expect(pb.status, path).toBe(200);
        expect(pb.contentType, path).toBe(PROTOBUF);
        expect(pb.bytes.subarray(0, 4), path).toEqual(Buffer.from('k8s\0'));
        // What JSON says, as Go would write it: encode the JSON answer, decode it back.
        const [fromPb, fromJson] = [decodeObject(pb.bytes), decodeObject(encodeObject(json))];
        if (attempt < 5 && JSON.stringify(fromPb) !== JSON.stringify(fromJson)) continue;
        expect(fromPb, path).toEqual(fromJson);
        break;
      }
    }
  });

  it('negotiates Accept as the API server: q-values, wildcards, YAML, Table only in JSON/YAML, 406 otherwise', async () => {
    const name = uniqueName('pb-neg');
    await http('POST', jobs, { contentType: 'application/json', body: JSON.stringify(jobManifest(name, { suspend: true })) });
    const path = `${jobs}/${name}`;
    expect((await http('GET', path, { accept: 'application/json;q=0.5, application/vnd.kubernetes.protobuf' })).contentType).toBe(PROTOBUF);
    expect((await http('GET', path, { accept: 'text/html, */*;q=0.1' })).contentType).toMatch(/^application\/json/);
    const yaml = await http('GET', path, { accept: 'application/yaml' });
    expect(yaml.contentType).toBe('application/yaml');
    expect(yaml.text).toMatch(/^kind: Job$/m);
    expect(yaml.text).toContain(`  name: ${name}\n`);
    const table = await http('GET', path, { accept: 'application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io, application/json;as=Table;v=v1;g=meta.k8s.io' });
    expect(JSON.parse(table.text)).toMatchObject({ kind: 'Table', rows: [{ cells: expect.arrayContaining([name]) }] });
    const refused = await http('GET', path, { accept: 'text/html' });
    expect(refused.status).toBe(406);
    expect(JSON.parse(refused.text)).toMatchObject({
      kind: 'Status',
      code: 406,
      reason: 'NotAcceptable',
      message: 'only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    });
    // A write refused for its Accept header writes nothing.
    const before = await dataKeys(redis, fleet.prefix);
    expect((await http('POST', jobs, { accept: 'text/html', contentType: 'application/json', body: JSON.stringify(jobManifest(uniqueName('pb-406'))) })).status).toBe(406);
    expect(await dataKeys(redis, fleet.prefix)).toEqual(before);
    // Errors follow the Accept header too.
    const missing = await http('GET', `${jobs}/no-such-job`, { accept: PROTOBUF });
    expect(missing.status).toBe(404);
    expect(decodeObject(missing.bytes)).toMatchObject({ kind: 'Status', code: 404, reason: 'NotFound' });
  });

  it('a protobuf watch streams WatchEvent frames; a YAML watch is 406', async () => {
    const name = uniqueName('pb-w');
    await http('POST', jobs, { contentType: 'application/json', body: JSON.stringify(jobManifest(name, { suspend: true })) });
    const controller = new AbortController();
    const res = await fetch(`${fleet.api.url}${jobs}?watch=true&fieldSelector=metadata.name=${name}`, { headers: { accept: `${PROTOBUF};stream=watch` }, signal: controller.signal });
    expect(res.headers.get('content-type')).toBe(`${PROTOBUF};stream=watch`);
    const reader = res.body!.getReader();
    let received = Buffer.alloc(0);
    while (decodeWatchEvents(received).length === 0) {
      const { value, done } = await reader.read();
      if (done) break;
      received = Buffer.concat([received, Buffer.from(value)]);
    }
    controller.abort();
    expect(decodeWatchEvents(received)[0]).toMatchObject({ type: 'ADDED', object: { kind: 'Job', apiVersion: 'batch/v1', metadata: { name } } });
    // As the API server: no YAML watch, and the 406 itself in YAML (errors are negotiated as plain responses).
    const yaml = await http('GET', `${jobs}?watch=true`, { accept: 'application/yaml' });
    expect(yaml.status).toBe(406);
    expect(yaml.text).toContain('message: "only the following media types are accepted: application/json;stream=watch, application/vnd.kubernetes.protobuf;stream=watch"\n');
  });

  it('Content-Type: protobuf bodies for create, replace and delete; 415 for a type the server does not read', async () => {
    const name = uniqueName('pb-rw');
    const created = await http('POST', jobs, { contentType: PROTOBUF, accept: PROTOBUF, body: encodeObject(jobManifest(name, { suspend: true, parallelism: 0 })) });
    expect(created.status).toBe(201);
    const job = decodeObject(created.bytes) as { metadata: Record<string, unknown>; spec: Record<string, unknown> };
    // parallelism: 0 is a pointer set on purpose: kept, not defaulted to 1.
    expect(job.spec).toMatchObject({ suspend: true, parallelism: 0 });
    const replaced = await http('PUT', `${jobs}/${name}`, { contentType: PROTOBUF, accept: PROTOBUF, body: encodeObject({ ...job, apiVersion: 'batch/v1', kind: 'Job', metadata: { ...job.metadata, labels: { replaced: 'yes' } } }) });
    expect(replaced.status).toBe(200);
    expect(decodeObject(replaced.bytes)).toMatchObject({ metadata: { labels: { replaced: 'yes' } } });
    const deleted = await http('DELETE', `${jobs}/${name}`, { contentType: PROTOBUF, accept: PROTOBUF, body: encodeObject({ apiVersion: 'batch/v1', kind: 'DeleteOptions', propagationPolicy: 'Foreground', gracePeriodSeconds: 0 }) });
    expect(deleted.status).toBe(200);
    expect(decodeObject(deleted.bytes)).toMatchObject({ kind: 'Status', status: 'Success' });
    const plain = await http('POST', jobs, { contentType: 'text/plain', body: JSON.stringify(jobManifest(uniqueName('pb-415'))) });
    expect(plain.status).toBe(415);
    expect(JSON.parse(plain.text)).toMatchObject({
      reason: 'UnsupportedMediaType',
      message: 'the body of the request was in an unknown format - accepted media types include: application/json, application/yaml, application/vnd.kubernetes.protobuf',
    });
  });

  it('hostile protobuf bodies: 400 or 413 Status objects, nothing written, the API still serves', async () => {
    const valid = encodeObject(jobManifest(uniqueName('pb-hostile')));
    const bodies: Buffer[] = [
      Buffer.from('k8s\0'),
      Buffer.from('{"kind":"Job"}'),
      valid.subarray(0, valid.length - 7),
      Buffer.concat([Buffer.from('k8s\0'), Buffer.alloc(1000, 0x0b)]),
      Buffer.concat([valid, Buffer.from([0xff, 0xff, 0xff])]),
      // Over the 3 MiB body limit.
      Buffer.concat([Buffer.from('k8s\0'), Buffer.alloc(3 * 1024 * 1024 + 1, 0x1a)]),
    ];
    let seed = 5;
    for (let i = 0; i < 60; i++) {
      const copy = Buffer.from(valid);
      for (let d = 0; d < 3; d++) {
        seed = (seed * 1103515245 + 12345) % 2 ** 31;
        copy[4 + (seed % (copy.length - 4))] = seed % 256;
      }
      bodies.push(copy);
    }
    const before = await dataKeys(redis, fleet.prefix);
    for (const body of bodies) {
      const res = await http('POST', `${jobs}?dryRun=All`, { contentType: PROTOBUF, body });
      if (res.status < 400) continue; // a byte flip that still reads as a valid Job (a dry run: nothing stored)
      expect([400, 413, 422], res.text).toContain(res.status);
      expect(JSON.parse(res.text)).toMatchObject({ kind: 'Status', status: 'Failure', code: res.status });
    }
    expect(await dataKeys(redis, fleet.prefix)).toEqual(before);
    expect((await http('GET', '/readyz')).status).toBe(200);
  });
});
