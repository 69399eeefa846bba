import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generatedSelector, jobPodLabels } from './controller/labels.js';
import { BadRequestError, InvalidError } from './errors.js';
import { parseJob, parseManifests } from './parse.js';
import type { Job } from './types.js';
import { baseJob } from './__tests__/fixtures.js';

const examplesDir = new URL('../../../examples/', import.meta.url);

describe('example manifests', () => {
  const expected: Record<string, { completions: number; parallelism: number }> = {
    'echo-job.yaml': { completions: 1, parallelism: 1 },
    'echo-job-completions.yaml': { completions: 5, parallelism: 1 },
    'echo-job-parallel.yaml': { completions: 5, parallelism: 3 },
  };

  it('every example has expectations here', () => {
    // cronjob.yaml (a CronJob) has its expectations in cronjob.test.ts
    const files = readdirSync(examplesDir).filter((f) => f.endsWith('.yaml') && f !== 'cronjob.yaml');
    expect(files.sort()).toStrictEqual(Object.keys(expected).sort());
  });

  it.each(Object.entries(expected))('%s parses, defaults and validates', (file, want) => {
    const [manifest, ...rest] = parseManifests(readFileSync(new URL(file, examplesDir), 'utf8'));
    expect(rest).toHaveLength(0);
    const job = parseJob(manifest);
    expect(job.spec).toMatchObject({
      ...want,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'Failed',
    });
    expect(job.spec.manualSelector).toBeUndefined();
    expect(job.spec.template.spec).toMatchObject({ restartPolicy: 'OnFailure', terminationGracePeriodSeconds: 30 });
    expect(job.spec.template.spec.containers[0]).toMatchObject({ name: 'echo', image: 'busybox', imagePullPolicy: 'IfNotPresent' });
  });
});

describe('parseManifests', () => {
  it.each<{ name: string; text: string; wantKinds: string[] }>([
    {
      name: 'several YAML documents, empty ones skipped',
      text: '---\napiVersion: batch/v1\nkind: Job\n---\n# only a comment\n---\n\n---\napiVersion: v1\nkind: Pod\n...\n',
      wantKinds: ['Job', 'Pod'],
    },
    { name: 'a JSON object', text: '  {"apiVersion": "batch/v1", "kind": "Job"}\n', wantKinds: ['Job'] },
    {
      name: 'a JSON List',
      text: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ kind: 'Job' }, { kind: 'Pod' }] }),
      wantKinds: ['Job', 'Pod'],
    },
    { name: 'a YAML JobList', text: 'apiVersion: batch/v1\nkind: JobList\nitems:\n- kind: Job\n- kind: Job\n', wantKinds: ['Job', 'Job'] },
    { name: 'YAML documents in flow style', text: '{kind: Job}\n---\n{kind: Pod}\n', wantKinds: ['Job', 'Pod'] },
    { name: 'nothing', text: '', wantKinds: [] },
    { name: 'only comments', text: '# nothing here\n', wantKinds: [] },
  ])('$name', ({ text, wantKinds }) => {
    const kinds = parseManifests(text).map((m) => (m as { kind: string }).kind);
    expect(kinds).toStrictEqual(wantKinds);
  });

  it.each<{ name: string; text: string; message: string }>([
    {
      name: 'plain text',
      text: 'this is not yaml',
      message: 'error parsing YAML at line 1, column 1: expected an object (a mapping with apiVersion and kind), got a string ("this is not yaml")',
    },
    { name: 'a duplicate key', text: 'kind: Job\nmetadata:\n  name: a\n  name: b\n', message: 'error parsing YAML at line 4, column 3: Map keys must be unique' },
    { name: 'a tab as indentation', text: 'kind: Job\nspec:\n\tparallelism: 1\n', message: 'error parsing YAML at line 3, column 1:' },
    { name: 'an unclosed flow sequence', text: 'kind: Job\ncommand: [echo, hi\n', message: 'error parsing YAML at line 3, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]' },
    { name: 'a list document', text: '- a\n- b\n', message: 'got a list' },
    { name: 'a non-object second document', text: 'kind: Job\n---\n42\n', message: 'error parsing YAML at line 3, column 1: expected an object (a mapping with apiVersion and kind), got a number' },
    { name: 'an unterminated JSON string', text: '{\n  "kind": "Job",\n  "x": "unterminated\n}', message: 'error parsing JSON at line 3, column 21: ' },
    { name: 'a List with a scalar item', text: '{"kind": "List", "items": [1]}', message: 'got a number' },
  ])('rejects $name with a BadRequestError', ({ text, message }) => {
    expect(() => parseManifests(text)).toThrow(BadRequestError);
    expect(() => parseManifests(text)).toThrow(message);
  });
});

describe('parseJob', () => {
  it.each<{ name: string; input: unknown; message: string }>([
    { name: 'not an object', input: 'job', message: 'expected a Job object, got a string ("job")' },
    { name: 'no kind', input: { apiVersion: 'batch/v1' }, message: `Object 'Kind' is missing in '{"apiVersion":"batch/v1"}'` },
    { name: 'no apiVersion', input: { kind: 'Job' }, message: `Object 'apiVersion' is missing in '{"kind":"Job"}'` },
    {
      name: 'another apiVersion',
      input: { apiVersion: 'batch/v2', kind: 'Job' },
      message: 'the API version in the data (batch/v2) does not match the expected API version (batch/v1)',
    },
    { name: 'another kind', input: { apiVersion: 'batch/v1', kind: 'CronJob' }, message: 'the kind in the data (CronJob) does not match the expected kind (Job)' },
  ])('answers BadRequest for $name', ({ input, message }) => {
    expect(() => parseJob(input)).toThrow(BadRequestError);
    expect(() => parseJob(input)).toThrow(message);
  });

  it('reports every problem together in one InvalidError', () => {
    const input = baseJob();
    Object.assign(input, { spec: { completions: -1, podFailurePolicyx: { rules: [] }, template: { spec: { containers: [] } } } });
    const err = catchError(() => parseJob(input));
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).message).toBe(
      'Job.batch "pi" is invalid: [spec.podFailurePolicyx: Forbidden: not supported by jobfleet, ' +
        'spec.completions: Invalid value: -1: must be greater than or equal to 0, ' +
        'spec.template.spec.containers: Required value, ' +
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"]',
    );
  });

  it('does not modify its input', () => {
    const input = baseJob();
    const before = structuredClone(input);
    parseJob(input);
    expect(input).toStrictEqual(before);
  });

  it('sets the namespace only when asked', () => {
    expect(parseJob(baseJob()).metadata.namespace).toBeUndefined();
    expect(parseJob(baseJob(), { namespace: 'default' }).metadata.namespace).toBe('default');
  });

  it('drops status and informational fields', () => {
    const input = { ...baseJob(), status: { active: 1 } };
    const job = parseJob(input);
    expect(job).not.toHaveProperty('status');
  });
});

describe('round trip', () => {
  const uid = '3f0e6a4c-5d2b-4b7e-9a51-0c2f4e8d1a77';

  /** A Job as jobfleet's API server returns it: generated selector and labels, uid, status. */
  function servedJob(): Job & { status: object } {
    const parsed = parseJob(baseJob(), { namespace: 'default' });
    const labels = jobPodLabels('pi', uid);
    return {
      ...parsed,
      metadata: { ...parsed.metadata, uid, resourceVersion: '42', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z', labels },
      spec: { ...parsed.spec, selector: generatedSelector(uid), template: { ...parsed.spec.template, metadata: { labels } } },
      status: { active: 1, ready: 0, terminating: 0, startTime: '2025-01-01T00:00:01Z', uncountedTerminatedPods: {} },
    };
  }

  it('a served Job validates again and comes back unchanged (without status)', () => {
    const served = servedJob();
    const { status: _status, ...withoutStatus } = served;
    expect(parseJob(JSON.parse(JSON.stringify(served)))).toStrictEqual(withoutStatus);
  });

  it('parsing is idempotent', () => {
    const once = parseJob(servedJob());
    expect(parseJob(once)).toStrictEqual(once);
  });

  it('accepts `kubectl get job -o yaml` output', () => {
    const [manifest] = parseManifests(KUBECTL_GET_YAML);
    const job = parseJob(manifest);
    expect(job.spec.selector).toStrictEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    expect(job.spec.template.spec.containers[0]).not.toHaveProperty('terminationMessagePath');
    expect(job.metadata).not.toHaveProperty('managedFields');
  });

  it('rejects a served Job whose selector does not match its uid', () => {
    const served = servedJob();
    served.metadata.uid = 'another-uid';
    const err = catchError(() => parseJob(served));
    expect((err as InvalidError).errors.map((e) => e.field)).toContain('spec.selector');
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

const KUBECTL_GET_YAML = `
apiVersion: batch/v1
kind: Job
metadata:
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: |
      {"apiVersion":"batch/v1","kind":"Job","metadata":{"annotations":{},"name":"pi","namespace":"default"},"spec":{"template":{"spec":{"containers":[{"command":["sh","-c","echo 3.14"],"image":"busybox","name":"pi"}],"restartPolicy":"Never"}}}}
  creationTimestamp: "2025-01-01T00:00:00Z"
  generation: 1
  labels:
    batch.kubernetes.io/controller-uid: 3f0e6a4c-5d2b-4b7e-9a51-0c2f4e8d1a77
    batch.kubernetes.io/job-name: pi
    controller-uid: 3f0e6a4c-5d2b-4b7e-9a51-0c2f4e8d1a77
    job-name: pi
  managedFields:
  - apiVersion: batch/v1
    fieldsType: FieldsV1
    fieldsV1:
      f:spec:
        f:template: {}
    manager: kubectl-client-side-apply
    operation: Update
    time: "2025-01-01T00:00:00Z"
  name: pi
  namespace: default
  resourceVersion: "42"
  uid: 3f0e6a4c-5d2b-4b7e-9a51-0c2f4e8d1a77
spec:
  backoffLimit: 6
  completionMode: NonIndexed
  completions: 1
  manualSelector: false
  parallelism: 1
  podReplacementPolicy: TerminatingOrFailed
  selector:
    matchLabels:
      batch.kubernetes.io/controller-uid: 3f0e6a4c-5d2b-4b7e-9a51-0c2f4e8d1a77
  suspend: false
  template:
    metadata:
      creationTimestamp: null
      labels:
        batch.kubernetes.io/controller-uid: 3f0e6a4c-5d2b-4b7e-9a51-0c2f4e8d1a77
        batch.kubernetes.io/job-name: pi
        controller-uid: 3f0e6a4c-5d2b-4b7e-9a51-0c2f4e8d1a77
        job-name: pi
    spec:
      containers:
      - command:
        - sh
        - -c
        - echo 3.14
        image: busybox
        imagePullPolicy: IfNotPresent
        name: pi
        ports:
        - containerPort: 8080
          protocol: TCP
        resources: {}
        securityContext: {}
        terminationMessagePath: /dev/termination-log
        terminationMessagePolicy: File
      dnsPolicy: ClusterFirst
      restartPolicy: Never
      schedulerName: default-scheduler
      securityContext: {}
      terminationGracePeriodSeconds: 30
status:
  active: 1
  ready: 0
  startTime: "2025-01-01T00:00:01Z"
  terminating: 0
  uncountedTerminatedPods: {}
`;
