/**
 * Bad input never hurts: thousands of random and mutated manifests, request bodies, paths and
 * query strings thrown at a real API (real Redis, no workers). Every answer must be a 2xx (the
 * input happened to be valid) or a 4xx metav1.Status (kind Status, status Failure, code equal to
 * the HTTP status, a message) — never a 5xx, never a hang; a rejected write (and any dry run)
 * leaves Redis exactly as it was, and the server stays healthy.
 */
import { readFileSync, readdirSync } from 'node:fs';
import fc from 'fast-check';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeObject } from '@jobfleet/api';
import { parseManifests } from '@jobfleet/kube';
import { redisKeys } from '@jobfleet/store';
import { dataKeys, startFleet, uniqueName, type Fleet } from './harness.js';

let fleet: Fleet;
let redis: Redis;
/** Jobs that exist for the whole run, targets of GET/PUT/PATCH/DELETE. */
const existing: string[] = [];
/** Pods of a running-less Job (no workers): targets of pod and log requests. */
let podNames: string[] = [];

const EXAMPLES_DIR = new URL('../../../examples/', import.meta.url);
const EXAMPLES: Record<string, unknown>[] = readdirSync(EXAMPLES_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .flatMap((f) => parseManifests(readFileSync(new URL(f, EXAMPLES_DIR), 'utf8')) as Record<string, unknown>[])
  // The Job examples: the fuzzed requests go to the jobs resource.
  .filter((m) => m.kind === 'Job');

/** Block-style YAML with JSON-quoted scalars (valid YAML 1.2), or flow style (JSON) when too deep to recurse. */
function toYaml(value: unknown): string {
  const block = (v: unknown, indent: string): string => {
    if (Array.isArray(v)) return v.length === 0 ? '[]' : v.map((item) => `\n${indent}- ${block(item, `${indent}  `)}`).join('');
    if (typeof v === 'object' && v !== null) {
      const entries = Object.entries(v);
      return entries.length === 0 ? '{}' : entries.map(([k, item]) => `\n${indent}${JSON.stringify(k)}: ${block(item, `${indent}  `)}`).join('');
    }
    return JSON.stringify(v) ?? 'null';
  };
  try {
    return `${block(value, '').replace(/^\n/, '')}\n`;
  } catch {
    return JSON.stringify(value) ?? 'null';
  }
}

const REQUEST_TIMEOUT_MS = 5_000;
const NS = 'fuzz';

beforeAll(async () => {
  fleet = await startFleet({ workers: 0, janitor: false });
  redis = new Redis(fleet.redisUrl);
  for (let i = 0; i < 3; i++) {
    existing.push(`target-${i}`);
    await recreate(`target-${i}`);
  }
  // Not suspended: the controller creates its pods, which stay Pending without workers.
  const withPods = { ...clone(EXAMPLES[0]), metadata: { name: 'with-pods' } } as Record<string, any>;
  withPods.spec = { ...withPods.spec, parallelism: 2, completions: 2 };
  expect((await request('POST', jobsPath(), { body: JSON.stringify(withPods) })).status).toBe(201);
  for (let i = 0; i < 50 && podNames.length < 2; i++) {
    const list = await request('GET', `/api/v1/namespaces/${NS}/pods`);
    podNames = ((JSON.parse(list.text) as { items: { metadata: { name: string } }[] }).items ?? []).map((p) => p.metadata.name);
    if (podNames.length < 2) await new Promise((r) => setTimeout(r, 100));
  }
  expect(podNames.length).toBeGreaterThan(0);
});

afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
});

/** A suspended target Job (its pods never start), created again after a fuzzed DELETE removed it. */
async function recreate(name: string): Promise<void> {
  const job = { ...clone(EXAMPLES[0]), metadata: { name, labels: { app: 'fuzz' } } } as Record<string, any>;
  job.spec = { ...job.spec, suspend: true };
  for (let i = 0; i < 50; i++) {
    const res = await request('POST', jobsPath(), { body: JSON.stringify(job) });
    if (res.status === 201) return settle();
    await new Promise((r) => setTimeout(r, 50)); // 409 while the deletion finishes
  }
  throw new Error(`could not create ${name} again`);
}

function jobsPath(ns = NS, name?: string): string {
  return `/apis/batch/v1/namespaces/${ns}/jobs${name === undefined ? '' : `/${name}`}`;
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
  streaming: boolean;
}

/**
 * One request with a deadline. A 2xx streaming answer (watch, follow) is judged by its status and
 * headers, then cut off; everything else is read to the end within the deadline.
 */
async function request(method: string, path: string, opts: { body?: string | Buffer; contentType?: string; query?: string } = {}): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer in ${REQUEST_TIMEOUT_MS} ms`)), REQUEST_TIMEOUT_MS);
  try {
    const url = `${fleet.api.url}${path}${opts.query ? `?${opts.query}` : ''}`;
    const headers: Record<string, string> = {};
    if (opts.contentType !== undefined) headers['content-type'] = opts.contentType;
    else if (opts.body !== undefined) headers['content-type'] = 'application/json';
    const body = opts.body === undefined || typeof opts.body === 'string' ? opts.body : new Uint8Array(opts.body);
    const res = await fetch(url, { method, headers, body, signal: controller.signal });
    const contentType = res.headers.get('content-type') ?? '';
    const streaming = res.ok && (res.headers.get('transfer-encoding') === 'chunked' && /watch|follow/.test(opts.query ?? ''));
    if (streaming) {
      controller.abort();
      await res.body?.cancel().catch(() => undefined);
      return { status: res.status, contentType, text: '', streaming };
    }
    return { status: res.status, contentType, text: await res.text(), streaming };
  } finally {
    clearTimeout(timer);
  }
}

/** The rule every answer must follow; returns why not, or undefined. */
function badAnswer(method: string, answer: Answer): string | undefined {
  if (answer.status >= 200 && answer.status < 300) return undefined;
  if (answer.status < 400 || answer.status >= 500) return `HTTP ${answer.status}: ${answer.text.slice(0, 500)}`;
  if (method === 'HEAD') return undefined;
  let status: Record<string, unknown>;
  try {
    status = JSON.parse(answer.text) as Record<string, unknown>;
  } catch {
    return `HTTP ${answer.status} without a JSON body: ${answer.text.slice(0, 200)}`;
  }
  if (status.kind !== 'Status' || status.apiVersion !== 'v1') return `not a Status: ${answer.text.slice(0, 300)}`;
  if (status.status !== 'Failure') return `status is ${String(status.status)}`;
  if (status.code !== answer.status) return `code ${String(status.code)} differs from HTTP ${answer.status}`;
  if (typeof status.message !== 'string' || status.message.length === 0) return `no message: ${answer.text.slice(0, 300)}`;
  return undefined;
}

/**
 * What a write could change: the number of data keys of the fleet and the resourceVersion counter.
 */
async function snapshot(): Promise<string> {
  const [keys, rv] = await Promise.all([dataKeys(redis, fleet.prefix), redis.get(redisKeys(fleet.prefix).rv)]);
  return `${keys.length} keys, rv ${rv ?? '0'}`;
}

/** After an accepted write, lets whatever the write set off settle before the next snapshot. */
async function settle(): Promise<void> {
  let last = await snapshot();
  for (let i = 0; i < 20; i++) {
    await new Promise((r) => setTimeout(r, 20));
    const now = await snapshot();
    if (now === last) return;
    last = now;
  }
}

/**
 * Sends one request and checks the answer. A write that is rejected, or is a dry run, must leave
 * Redis as it was. Throws (with the request) when a rule is broken.
 */
async function check(method: string, path: string, opts: { body?: string | Buffer; contentType?: string; query?: string } = {}): Promise<Answer> {
  const isWrite = method !== 'GET' && method !== 'HEAD';
  const before = isWrite ? await snapshot() : '';
  let answer: Answer;
  try {
    answer = await request(method, path, opts);
  } catch (err) {
    throw new Error(`${method} ${path}?${opts.query ?? ''} failed: ${(err as Error).message}\nbody: ${String(opts.body).slice(0, 300)}`);
  }
  const why = badAnswer(method, answer);
  if (why) throw new Error(`${method} ${path}?${opts.query ?? ''} (${opts.contentType ?? ''}): ${why}\nbody: ${String(opts.body).slice(0, 500)}`);
  if (isWrite) {
    const dryRun = /(^|&)dryRun=All(&|$)/.test(opts.query ?? '');
    if (answer.status >= 400 || dryRun) {
      const after = await snapshot();
      if (after !== before) throw new Error(`${method} ${path}?${opts.query ?? ''} answered ${answer.status} but wrote: ${before} → ${after}\nbody: ${String(opts.body).slice(0, 500)}`);
    } else await settle();
  }
  return answer;
}

async function healthy(): Promise<void> {
  const res = await request('GET', '/healthz');
  expect(res.status).toBe(200);
  expect(res.text).toBe('ok');
  expect((await request('GET', '/readyz')).status).toBe(200);
}

// ---------------------------------------------------------------- arbitraries

const WEIRD_NUMBERS = [0, -1, 1, -0, 0.5, -2.5, 2 ** 31 - 1, 2 ** 31, -(2 ** 31) - 1, 2 ** 53, 2 ** 53 + 2, 2 ** 63, 1e21, 1e308, -1e308, 1e-300, 100_000, 100_001, 1_000_000, 1_000_001];
const WEIRD_STRINGS = ['', ' ', '0', '-1', '1e3', 'true', 'null', '1Gi', '500m', '-1Gi', '1e400', 'Never', 'OnFailure', 'Always', 'Indexed', 'NonIndexed', 'busybox', '/tmp', 'ALL', 'a/b', '..', '\u0000', '💥', 'é', '\u202e', '${HOME}', '$(X)', '%00', '<script>', 'a'.repeat(64), 'a'.repeat(254)];
const FIELD_NAMES = [
  'apiVersion', 'kind', 'metadata', 'spec', 'status', 'name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'labels', 'annotations',
  'finalizers', 'ownerReferences', 'parallelism', 'completions', 'backoffLimit', 'activeDeadlineSeconds', 'ttlSecondsAfterFinished',
  'completionMode', 'suspend', 'selector', 'manualSelector', 'matchLabels', 'matchExpressions', 'podReplacementPolicy', 'template',
  'containers', 'initContainers', 'image', 'command', 'args', 'env', 'value', 'valueFrom', 'fieldRef', 'fieldPath', 'resources', 'limits',
  'requests', 'cpu', 'memory', 'volumeMounts', 'mountPath', 'subPath', 'readOnly', 'volumes', 'emptyDir', 'sizeLimit', 'medium', 'hostPath',
  'path', 'type', 'securityContext', 'runAsUser', 'runAsGroup', 'runAsNonRoot', 'privileged', 'capabilities', 'add', 'drop',
  'readOnlyRootFilesystem', 'allowPrivilegeEscalation', 'hostNetwork', 'hostPID', 'hostIPC', 'restartPolicy', 'imagePullPolicy',
  'terminationGracePeriodSeconds', 'workingDir', 'items', '__proto__', 'constructor', 'toString', 'hasOwnProperty', '$patch',
];

/** Text of a given length, from a few characters that matter to the validators. */
const longString = fc
  .tuple(fc.constantFrom('a', '-', '.', '0', 'é', '💥', ' ', '\u0000', '[', '{', 'a-'), fc.integer({ min: 60, max: 300_000 }))
  .map(([unit, n]) => unit.repeat(Math.ceil(n / unit.length)).slice(0, n));

/** An array nested n deep, or an object, around a leaf. */
const deeplyNested = fc
  .tuple(fc.integer({ min: 10, max: 2_000 }), fc.boolean())
  .map(([depth, arrays]) => {
    let value: unknown = 1;
    for (let i = 0; i < depth; i++) value = arrays ? [value] : { a: value };
    // fast-check prints counterexamples recursively: give it a short text instead.
    Object.defineProperty(value, fc.toStringMethod, { value: () => `<${arrays ? 'array' : 'object'} nested ${depth} deep>` });
    return value;
  });

/** JSON objects whose keys shadow Object.prototype: String(x), `${x}` and Number(x) throw on some of them. */
const TRICKY_OBJECTS: readonly string[] = [
  '{"toString":0}',
  '{"valueOf":{},"toString":{}}',
  '{"toString":"x","valueOf":"y"}',
  '{"__proto__":{"polluted":1}}',
  '{"constructor":{"prototype":{"polluted":1}}}',
  '{"hasOwnProperty":1,"toJSON":2}',
  '[{"toString":0}]',
];
const trickyObject = fc.constantFrom(...TRICKY_OBJECTS).map((text) => JSON.parse(text) as unknown);

const weirdValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: trickyObject },
  { weight: 4, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 3, arbitrary: fc.constantFrom(...WEIRD_NUMBERS) },
  { weight: 3, arbitrary: fc.constantFrom(...WEIRD_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 80 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: longString },
  { weight: 1, arbitrary: deeplyNested },
  { weight: 2, arbitrary: fc.constantFrom(null, true, false, [], {}, [[]], { '': '' }) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom(...FIELD_NAMES), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }) },
);

type Mutation =
  | { op: 'drop'; at: number }
  | { op: 'replace'; at: number; value: unknown }
  | { op: 'insert'; at: number; key: string; value: unknown }
  | { op: 'rename'; at: number; key: string }
  | { op: 'duplicate'; at: number }
  | { op: 'wrap'; at: number; inArray: boolean };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('drop' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('replace' as const), at: fc.nat(), value: weirdValue }),
  fc.record({ op: fc.constant('insert' as const), at: fc.nat(), key: fc.oneof(fc.constantFrom(...FIELD_NAMES), fc.string({ maxLength: 10 })), value: weirdValue }),
  fc.record({ op: fc.constant('rename' as const), at: fc.nat(), key: fc.constantFrom(...FIELD_NAMES) }),
  fc.record({ op: fc.constant('duplicate' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('wrap' as const), at: fc.nat(), inArray: fc.boolean() }),
);

type Path = (string | number)[];

/** Every path in the value, the root first (iteratively: the value may be deep). */
function pathsOf(root: unknown): Path[] {
  const out: Path[] = [];
  const stack: { value: unknown; path: Path }[] = [{ value: root, path: [] }];
  while (stack.length > 0 && out.length < 5_000) {
    const { value, path } = stack.pop() as { value: unknown; path: Path };
    out.push(path);
    if (Array.isArray(value)) value.forEach((v, i) => stack.push({ value: v, path: [...path, i] }));
    else if (typeof value === 'object' && value !== null) Object.entries(value).forEach(([k, v]) => stack.push({ value: v, path: [...path, k] }));
  }
  return out;
}

/** A deep copy of plain JSON-like data, without recursion (values may be thousands of levels deep). */
function clone<T>(value: T): T {
  const copyOf = (v: unknown): unknown => (Array.isArray(v) ? [...v] : typeof v === 'object' && v !== null ? { ...v } : v);
  const root = copyOf(value);
  const stack: unknown[] = [root];
  while (stack.length > 0) {
    const node = stack.pop() as Record<string, unknown>;
    if (typeof node !== 'object' || node === null) continue;
    for (const key of Object.keys(node)) {
      const copy = copyOf(node[key]);
      put(node, key, copy);
      if (typeof copy === 'object' && copy !== null) stack.push(copy);
    }
  }
  return root as T;
}

/** obj[key] = value, also for the key "__proto__" (which an assignment would take as the prototype). */
function put(obj: object, key: string | number, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

function parentOf(root: unknown, path: Path): any {
  let node: any = root;
  for (const key of path.slice(0, -1)) node = node?.[key];
  return node;
}

/** Applies the mutations to a copy of the manifest; the root itself may be replaced. */
function mutate(manifest: unknown, mutations: Mutation[]): unknown {
  let root: any = clone(manifest);
  for (const m of mutations) {
    const paths = pathsOf(root);
    const path = paths[m.at % paths.length] ?? [];
    const key = path[path.length - 1];
    const parent = parentOf(root, path);
    const current = path.length === 0 ? root : parent?.[key as string];
    const set = (value: unknown) => {
      if (path.length === 0) root = value;
      else if (parent && typeof parent === 'object') put(parent, key as string, value);
    };
    switch (m.op) {
      case 'drop':
        if (Array.isArray(parent)) parent.splice(key as number, 1);
        else if (parent && typeof parent === 'object') Reflect.deleteProperty(parent, key as string);
        break;
      case 'replace':
        set(clone(m.value));
        break;
      case 'insert':
        if (current && typeof current === 'object' && !Array.isArray(current)) put(current, m.key, clone(m.value));
        else if (Array.isArray(current)) current.push(clone(m.value));
        break;
      case 'rename':
        if (parent && typeof parent === 'object' && !Array.isArray(parent) && typeof key === 'string') {
          put(parent, m.key, parent[key]);
          if (m.key !== key) Reflect.deleteProperty(parent, key);
        }
        break;
      case 'duplicate':
        if (Array.isArray(parent)) parent.splice(key as number, 0, clone(current));
        break;
      case 'wrap':
        set(m.inArray ? [current] : { [String(key ?? 'x')]: current });
        break;
    }
  }
  return root;
}

/** The manifest as a request body: JSON, YAML, or JSON with a duplicated key. */
function encode(value: unknown, format: 'json' | 'yaml' | 'json-dup-key'): { body: string; contentType: string } {
  if (format === 'yaml') {
    try {
      return { body: toYaml(value), contentType: 'application/yaml' };
    } catch {
      return { body: JSON.stringify(value), contentType: 'application/yaml' };
    }
  }
  const json = JSON.stringify(value) ?? 'null';
  if (format === 'json-dup-key') return { body: json.replace(/^\{"([^"]+)":/, '{"$1":"dup","$1":'), contentType: 'application/json' };
  return { body: json, contentType: 'application/json' };
}

const format = fc.constantFrom('json' as const, 'json' as const, 'yaml' as const, 'json-dup-key' as const);

/** Real writes may create Jobs: suspended ones, whose pods never start, and with fresh names. */
function asWritable(value: unknown, name: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const copy: any = { ...value };
  if (typeof copy.metadata === 'object' && copy.metadata !== null && !Array.isArray(copy.metadata) && typeof copy.metadata.name === 'string') {
    copy.metadata = { ...copy.metadata, name };
  }
  if (typeof copy.spec === 'object' && copy.spec !== null && !Array.isArray(copy.spec)) copy.spec = { ...copy.spec, suspend: true };
  return copy;
}

const CONTENT_TYPES = [
  'application/json',
  'application/yaml',
  'application/json; charset=utf-8',
  'text/plain',
  'text/yaml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
  '',
  '*/*',
  'garbage',
  'application/json; charset=utf-16',
];

/** Soup of YAML syntax: indicators, anchors, tags, directives, document markers, tabs. */
const yamlSoup = fc
  .array(
    fc.oneof(
      fc.constantFrom(
        '-', '- ', ':', ': ', ' ', '  ', '\n', '\t', '[', ']', '{', '}', ',', '&a ', '*a', '*b', '!!str ', '!!int ', '!!binary ', '!!set ', '!!omap ',
        '!!timestamp ', '!foo ', '!<tag:x> ', '|', '>', '|-', '>+', '"', "'", '#', '---', '...', '? ', '<<: *a', '%YAML 1.2\n', '%TAG ! x\n',
        'apiVersion: batch/v1\n', 'kind: Job\n', 'metadata:\n', '  name: x\n', 'spec:\n', '  template:\n', 'a', '1', '0x1F', '.inf', '~', 'null',
        '2001-12-14', '\\', '\u0000', '\ufeff', '💥',
      ),
      fc.string({ maxLength: 8 }),
    ),
    { maxLength: 60 },
  )
  .map((parts) => parts.join(''));

/** Text that opens thousands of levels (flow or block), closed or not, with something after it. */
const deepText = fc
  .tuple(fc.constantFrom('[', '{', '{"a":', '{a: ', '- ', '? ', 'a:\n  '), fc.integer({ min: 50, max: 6_000 }), fc.boolean(), fc.constantFrom('', 'x', ', "b": }', '\n---\n'))
  .map(([open, depth, closed, tail]) => {
    const close = open.startsWith('[') ? ']' : open.startsWith('{') ? '}' : '';
    return `${open.repeat(depth)}1${closed ? close.repeat(depth) : ''}${tail}`;
  });

// ---------------------------------------------------------------- the properties

describe('fuzz: the API answers bad input with a 4xx Status, never a 5xx or a hang, and writes nothing', () => {
  it('random JSON values as a Job', async () => {
    await fc.assert(
      fc.asyncProperty(fc.jsonValue(), fc.boolean(), async (value, dryRun) => {
        await check('POST', jobsPath(), { body: JSON.stringify(value), query: dryRun ? 'dryRun=All' : '' });
      }),
      { numRuns: 2000 },
    );
    await healthy();
  });

  it('random text (any unicode, any bytes) with random content types', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ unit: 'binary', maxLength: 200 }), fc.uint8Array({ maxLength: 200 })),
        fc.constantFrom(...CONTENT_TYPES),
        async (body, contentType) => {
          await check('POST', jobsPath(), { body: typeof body === 'string' ? body : Buffer.from(body), contentType });
        },
      ),
      { numRuns: 2000 },
    );
    await healthy();
  });

  it('random YAML text', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(yamlSoup, fc.jsonValue({ maxDepth: 4 }).map((v) => toYaml(v)), deepText), async (body) => {
        await check('POST', jobsPath(), { body, contentType: 'application/yaml', query: 'dryRun=All' });
      }),
      { numRuns: 2000 },
    );
    await healthy();
  });

  it('mutations of the example manifests', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...EXAMPLES),
        fc.array(mutation, { minLength: 1, maxLength: 4 }),
        format,
        fc.boolean(),
        async (example, mutations, fmt, write) => {
          const mutated = mutate(example, mutations);
          const value = write ? asWritable(mutated, uniqueName('m')) : mutated;
          const { body, contentType } = encode(value, fmt);
          await check('POST', jobsPath(), { body, contentType, query: write ? 'fieldManager=fuzz' : 'dryRun=All' });
        },
      ),
      { numRuns: 1500 },
    );
    await healthy();
  });

  it('truncated and re-typed bodies, non-object bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...EXAMPLES),
        format,
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.constantFrom(...CONTENT_TYPES),
        fc.constantFrom('', 'null', '[]', '"job"', '42', 'true', '[{}]', '---\n---\n', '{}', '{"kind":"JobList","items":[{}, 1]}', '{"kind":"List","items":"x"}'),
        async (example, fmt, cut, contentType, nonObject) => {
          const { body } = encode(example, fmt);
          const truncated = body.slice(0, Math.floor(body.length * cut));
          await check('POST', jobsPath(), { body: cut > 0.95 ? nonObject : truncated, contentType, query: 'dryRun=All' });
        },
      ),
      { numRuns: 1500 },
    );
    await healthy();
  });

  it('PUT, PATCH and DELETE bodies and options on existing Jobs', async () => {
    const patchTypes = ['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml', 'application/json', ''];
    const jsonPatchOp = fc.record({
      op: fc.oneof(fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'), fc.string({ maxLength: 6 })),
      path: fc.oneof(fc.constantFrom('', '/', '/spec/parallelism', '/spec/suspend', '/metadata/labels/a', '/spec/template/spec/containers/0/image', '/spec/template/spec/containers/-', '/status', '/__proto__/x', '/metadata/~1', '/spec/completions'), fc.string({ maxLength: 12 })),
      from: fc.option(fc.constantFrom('/spec/parallelism', '/metadata', '', '/x/y'), { nil: undefined }),
      value: fc.option(weirdValue, { nil: undefined }),
    });
    const patchBody = fc.oneof(
      fc.array(jsonPatchOp, { maxLength: 4 }).map((ops) => JSON.stringify(ops)),
      fc.array(mutation, { maxLength: 3 }).map((ms) => JSON.stringify(mutate({ spec: { parallelism: 2, suspend: true }, metadata: { labels: { a: 'b' } } }, ms)) ?? 'null'),
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.constantFrom('', '{', 'null', '{"spec":{"$patch":"delete"}}', '{"spec":{"template":{"spec":{"containers":[{"name":"echo","$patch":"delete"}]}}}}', '{"$setElementOrder/containers":[1]}', '{"metadata":{"name":"other"}}'),
      fc.string({ maxLength: 40 }),
    );
    const deleteOptions = fc.record(
      {
        kind: fc.constantFrom('DeleteOptions', 'Job', 5),
        propagationPolicy: fc.oneof(fc.constantFrom('Background', 'Foreground', 'Orphan'), weirdValue),
        gracePeriodSeconds: weirdValue,
        preconditions: fc.oneof(fc.record({ uid: weirdValue, resourceVersion: weirdValue }, { requiredKeys: [] }), weirdValue),
        orphanDependents: weirdValue,
        dryRun: fc.oneof(fc.constant(['All']), weirdValue),
      },
      { requiredKeys: [] },
    );
    const query = fc
      .record(
        {
          dryRun: fc.constantFrom('All', 'All', 'All', 'all', '', 'x'),
          fieldValidation: fc.constantFrom('Strict', 'Warn', 'Ignore', 'x'),
          fieldManager: fc.string({ maxLength: 10 }),
          force: fc.constantFrom('true', 'false', 'x'),
          gracePeriodSeconds: fc.oneof(fc.constantFrom('0', '-1', '30', '1e9', 'x', '99999999999999999999'), fc.string({ maxLength: 5 })),
          propagationPolicy: fc.constantFrom('Background', 'Foreground', 'Orphan', 'x'),
          orphanDependents: fc.constantFrom('true', 'false', 'x'),
        },
        { requiredKeys: [] },
      )
      .map((q) => new URLSearchParams(q as Record<string, string>).toString());
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...existing, 'missing-job', 'Bad_Name', '%00', 'a'.repeat(300)),
        fc.constantFrom('PUT', 'PATCH', 'DELETE'),
        fc.constantFrom(...patchTypes),
        patchBody,
        deleteOptions,
        fc.array(mutation, { maxLength: 3 }),
        query,
        fc.integer({ min: 0, max: 9 }),
        async (name, method, patchType, patch, del, mutations, q, dice) => {
          // Most writes are dry runs, so the targets live on; a real one that succeeds is undone.
          const query = dice < 7 ? `${q}&dryRun=All` : q;
          const path = jobsPath(NS, encodeURIComponent(name));
          if (method === 'PATCH') {
            await check('PATCH', path, { body: patch, contentType: patchType, query });
          } else if (method === 'DELETE') {
            const answer = await check('DELETE', path, { body: JSON.stringify(del), query });
            if (answer.status === 200 && existing.includes(name) && !/dryRun=All/.test(query)) await recreate(name);
          } else {
            const current = await request('GET', path);
            const base = current.status === 200 ? (JSON.parse(current.text) as unknown) : EXAMPLES[0];
            await check('PUT', path, { body: JSON.stringify(asWritable(mutate(base, mutations), name)) ?? 'null', query });
          }
        },
      ),
      { numRuns: 1500 },
    );
    await healthy();
  });

  it('query strings of lists, watches, gets and logs', async () => {
    const selectorSoup = fc
      .array(
        fc.oneof(
          fc.constantFrom('a', 'app', '=', '==', '!=', '!', ',', '(', ')', ' in ', ' notin ', ' ', 'x', 'fuzz', 'metadata.name', 'metadata.namespace', 'status.successful', 'status.phase', 'spec.nodeName', 'job-name', 'batch.kubernetes.io/controller-uid', '-', '.', '/', 'é', '💥', '%', '\u0000'),
          fc.string({ maxLength: 5 }),
        ),
        { maxLength: 16 },
      )
      .map((parts) => parts.join(''));
    const numberish = fc.oneof(fc.constantFrom('0', '1', '-1', '500', '1e3', '1.5', '', 'x', '99999999999999999999', '9007199254740993', '2147483648', 'Infinity', 'NaN', ' 1'), fc.string({ maxLength: 6 }));
    const params = fc.record(
      {
        labelSelector: selectorSoup,
        fieldSelector: selectorSoup,
        limit: numberish,
        continue: fc.oneof(fc.string({ maxLength: 30 }), fc.jsonValue({ maxDepth: 2 }).map((v) => Buffer.from(JSON.stringify(v) ?? '').toString('base64url'))),
        resourceVersion: numberish,
        resourceVersionMatch: fc.constantFrom('NotOlderThan', 'Exact', '', 'x'),
        watch: fc.constantFrom('true', '1', 'false', 'x'),
        timeoutSeconds: numberish,
        allowWatchBookmarks: fc.constantFrom('true', 'false', 'x'),
        sendInitialEvents: fc.constantFrom('true', 'false', 'x'),
        container: fc.constantFrom('echo', 'x', '', '💥'),
        tailLines: numberish,
        follow: fc.constantFrom('true', 'false', 'x'),
        timestamps: fc.constantFrom('true', 'false'),
        limitBytes: numberish,
        sinceSeconds: numberish,
        previous: fc.constantFrom('true', 'false'),
        pretty: fc.constantFrom('true', 'x'),
      },
      { requiredKeys: [] },
    );
    const paths = [
      '/apis/batch/v1/jobs',
      jobsPath(),
      jobsPath('other'),
      jobsPath(NS, 'target-0'),
      jobsPath(NS, 'target-0/status'),
      '/api/v1/pods',
      `/api/v1/namespaces/${NS}/pods`,
      `/api/v1/namespaces/${NS}/events`,
      '/api/v1/events',
      '/api/v1/namespaces',
      '/api/v1/nodes',
      '/api',
      '/apis',
      '/apis/batch/v1',
      '/openapi/v3',
      '/openapi/v2',
      '/version',
    ];
    const accept = fc.constantFrom(undefined, 'application/json', 'application/json;as=Table;v=v1;g=meta.k8s.io', 'application/yaml', 'text/html', 'application/vnd.kubernetes.protobuf', '*/*', 'garbage');
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths, ...podNames.flatMap((p) => [`/api/v1/namespaces/${NS}/pods/${p}`, `/api/v1/namespaces/${NS}/pods/${p}/log`])), params, accept, async (path, q, acceptHeader) => {
        const query = new URLSearchParams(q as Record<string, string>).toString();
        const before = Date.now();
        const answer = await requestWithAccept(path, query, acceptHeader);
        const why = badAnswer('GET', answer);
        if (why) throw new Error(`GET ${path}?${query} (accept ${acceptHeader}): ${why} after ${Date.now() - before} ms`);
      }),
      { numRuns: 2000 },
    );
    await healthy();
  });

  it('random paths and methods', async () => {
    const segment = fc.oneof(
      fc.constantFrom('default', NS, 'target-0', 'jobs', 'pods', 'log', 'status', 'api', 'apis', 'batch', 'v1', 'v2', 'namespaces', '..', '.', '', '%2F', '%00', '%C0%AF', 'a'.repeat(300), 'É', '💥', '*'),
      fc.string({ maxLength: 10 }).map((s) => encodeURIComponent(s)),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(segment, { minLength: 1, maxLength: 8 }),
        fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
        fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        async (segments, method, body) => {
          const path = `/${segments.join('/')}`;
          await check(method, path, { body: body === undefined || method === 'GET' || method === 'HEAD' ? undefined : JSON.stringify(body), query: 'dryRun=All' });
        },
      ),
      { numRuns: 1500 },
    );
    await healthy();
  });
});

async function requestWithAccept(path: string, query: string, accept: string | undefined): Promise<Answer> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), REQUEST_TIMEOUT_MS);
  try {
    const res = await fetch(`${fleet.api.url}${path}?${query}`, { headers: accept ? { accept } : {}, signal: controller.signal });
    const contentType = res.headers.get('content-type') ?? '';
    // watch and follow are on unless absent, "0" or "false" (first value), as the API server reads booleans.
    const first = new URLSearchParams(query);
    const on = (name: string) => {
      const v = first.get(name);
      return v !== null && v !== '0' && v.toLowerCase() !== 'false';
    };
    const streaming = res.ok && (on('watch') || on('follow'));
    if (streaming) {
      controller.abort();
      return { status: res.status, contentType, text: '', streaming };
    }
    const bytes = Buffer.from(await res.arrayBuffer());
    // Errors come in the negotiated format, as the API server's: protobuf and YAML Status objects are read as JSON.
    const text = contentType.startsWith('application/vnd.kubernetes.protobuf')
      ? JSON.stringify(decodeObject(bytes))
      : contentType.startsWith('application/yaml')
        ? JSON.stringify(parseManifests(bytes.toString('utf8'))[0])
        : bytes.toString('utf8');
    return { status: res.status, contentType, text, streaming };
  } catch (err) {
    throw new Error(`GET ${path}?${query}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
}

describe("Kubernetes' limits", () => {
  const manifest = (patch: Record<string, unknown> = {}, name = uniqueName('limit')) => ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } }, ...patch },
  });

  async function invalid(body: unknown): Promise<string[]> {
    const answer = await check('POST', jobsPath(), { body: JSON.stringify(body) });
    expect(answer.status).toBe(422);
    const status = JSON.parse(answer.text) as { details: { causes: { field: string; message: string }[] } };
    return status.details.causes.map((c) => `${c.field}: ${c.message}`);
  }

  it('a Job name is at most 63 characters (it becomes the job-name label value)', async () => {
    const long = `a${'b'.repeat(62)}c`;
    expect(await invalid(manifest({}, long))).toEqual([`metadata.name: Invalid value: "${long}": must be no more than 63 characters`]);
    const ok = 'a'.repeat(63);
    expect((await check('POST', jobsPath(), { body: JSON.stringify(manifest({}, ok)), query: 'dryRun=All' })).status).toBe(201);
    const generated = await check('POST', jobsPath(), { body: JSON.stringify({ ...manifest(), metadata: { generateName: 'g'.repeat(60) } }), query: 'dryRun=All' });
    expect(generated.status).toBe(422);
  });

  it('completions and parallelism have upper bounds', async () => {
    expect(await invalid(manifest({ completions: 1_000_001, parallelism: 1_000_001 }))).toEqual([
      'spec.completions: Invalid value: 1000001: must be less than or equal to 1000000',
      'spec.parallelism: Invalid value: 1000001: must be less than or equal to 1000000',
    ]);
    expect(await invalid(manifest({ completionMode: 'Indexed', completions: 100_001, parallelism: 100_001 }))).toEqual([
      'spec.parallelism: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed',
      'spec.completions: Invalid value: 100001: must be less than or equal to 100000 when completion mode is Indexed',
    ]);
    expect(await invalid(manifest({ completions: 2 ** 31 }))).toEqual(['spec.completions: Invalid value: 2147483648: must be between -2147483648 and 2147483647, inclusive']);
  });

  it('a body over 3 MiB is refused with 413, and one just under is read', async () => {
    const filler = (bytes: number) => manifest({}, uniqueName('big')).metadata && { ...manifest(), metadata: { name: uniqueName('big'), annotations: { a: 'x'.repeat(bytes) } } };
    const over = await check('POST', jobsPath(), { body: JSON.stringify(filler(3 * 1024 * 1024)) });
    expect(over.status).toBe(413);
    expect(JSON.parse(over.text)).toMatchObject({ reason: 'RequestEntityTooLarge', code: 413 });
    const under = await check('POST', jobsPath(), { body: JSON.stringify(filler(3 * 1024 * 1024 - 1024)) });
    expect(under.status).toBe(422); // read, then refused: annotations are limited to 256 KiB
    expect(under.text).toContain('metadata.annotations: Too long: may not be more than 262144 bytes');
  });

  it('a body with millions of tiny elements is refused with 413 at once; a big real one is read in time', async () => {
    const flat = `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"flat"},"spec":{"x":[${'1,'.repeat(1_500_000)}1]}}`;
    const started = Date.now();
    const answer = await check('POST', jobsPath(), { body: flat });
    expect(answer.status).toBe(413);
    // Refused before parsing (a parse and validation of 1.5 M elements takes far longer); the margin is for a loaded machine.
    expect(Date.now() - started).toBeLessThan(10_000);
    const env = Array.from({ length: 5_000 }, (_, i) => ({ name: `VAR_${i}`, value: 'x'.repeat(100) }));
    const big = manifest();
    big.spec.template.spec.containers = [{ name: 'c', image: 'busybox', env } as never];
    expect((await check('POST', jobsPath(), { body: JSON.stringify(big), query: 'dryRun=All' })).status).toBe(201);
  });

  it('a metadata that is not an object is named as such', async () => {
    expect(await invalid({ ...manifest(), metadata: 'pi' })).toEqual(['metadata: Invalid value: "pi": must be an object']);
    expect(await invalid({ ...manifest(), metadata: ['pi'] })).toEqual(['metadata: Invalid value: ["pi"]: must be an object']);
  });

  it('a JSON patch that keeps doubling the Job is stopped at once', async () => {
    const doubling = Array.from({ length: 40 }, (_, i) => ({ op: 'copy', from: '/spec', path: `/spec/copy${i}` }));
    const started = Date.now();
    const answer = await check('PATCH', jobsPath(NS, existing[0]), { body: JSON.stringify(doubling), contentType: 'application/json-patch+json' });
    expect(answer.status).toBe(422);
    expect(answer.text).toContain('exceeding the limit');
    expect(Date.now() - started).toBeLessThan(10_000); // 2^40 copies would never end
  });

  it('values whose toString is not a function are answered with a 4xx', async () => {
    const tricky = { toString: 0 };
    const target = jobsPath(NS, existing[0]);
    for (const [method, path, body, contentType] of [
      ['POST', jobsPath(), { ...manifest(), apiVersion: tricky }, 'application/json'],
      ['POST', jobsPath(), { ...manifest(), kind: tricky }, 'application/json'],
      ['PUT', target, { ...manifest(), metadata: { name: tricky } }, 'application/json'],
      ['DELETE', target, { propagationPolicy: tricky }, 'application/json'],
      ['DELETE', target, { orphanDependents: tricky }, 'application/json'],
      ['DELETE', target, { gracePeriodSeconds: tricky }, 'application/json'],
      ['DELETE', target, { preconditions: { uid: tricky } }, 'application/json'],
      ['PATCH', target, { $patch: tricky }, 'application/strategic-merge-patch+json'],
      ['PATCH', target, { $retainKeys: [tricky] }, 'application/strategic-merge-patch+json'],
    ] as const) {
      const answer = await check(method, path, { body: JSON.stringify(body), contentType, query: 'dryRun=All' });
      expect([method, answer.status >= 400 && answer.status < 500]).toEqual([method, true]);
    }
  });

  it('deeply nested bodies are refused with 400, in JSON, YAML flow and YAML block style', async () => {
    for (const body of ['['.repeat(100_000) + ']'.repeat(100_000), `{"apiVersion":"batch/v1","kind":"Job","a":${'['.repeat(5000)}${']'.repeat(5000)}, "b": }`, `a: ${'- '.repeat(100_000)}x`]) {
      const answer = await check('POST', jobsPath(), { body, contentType: 'application/yaml' });
      expect(answer.status).toBe(400);
    }
    await healthy();
  });
});
