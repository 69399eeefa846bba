import { describe, expect, it } from 'vitest';
import { objectsFromText } from './manifests.js';
import { editDistance, kubernetesDefinitions, nearestName, strictDecodingMessage, unknownFields, withoutFields } from './strict-fields.js';

const definitions = kubernetesDefinitions();
if (!definitions) throw new Error("@jobfleet/api's dist/openapi/definitions.json is missing: run `npm run build` first");

const JOB = 'io.k8s.api.batch.v1.Job';
const job = (spec: Record<string, unknown>) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', labels: { a: 'b' } }, spec });
const template = (container: Record<string, unknown>) => ({ template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', ...container }] } } });

describe("Kubernetes' strict decoding of a manifest's fields", () => {
  it.each([
    { name: 'a misspelled spec field', spec: { completion: 3, ...template({}) }, want: [{ path: 'spec.completion', suggestion: 'spec.completions' }] },
    {
      name: 'a misspelled container field, inside a list',
      spec: template({ imagePullPolcy: 'Never' }),
      want: [{ path: 'spec.template.spec.containers[0].imagePullPolcy', suggestion: 'spec.template.spec.containers[0].imagePullPolicy' }],
    },
    { name: 'a field with the wrong case', spec: { BackoffLimit: 1, ...template({}) }, want: [{ path: 'spec.BackoffLimit', suggestion: 'spec.backoffLimit' }] },
    { name: 'a field near no other: no suggestion', spec: { frobnicate: true, ...template({}) }, want: [{ path: 'spec.frobnicate' }] },
    // Kubernetes has these; whether jobfleet runs them is the server's answer, not a decoding error.
    { name: 'fields Kubernetes has, jobfleet or not', spec: { completions: 2, podFailurePolicy: { rules: [] }, ...template({ ports: [{ containerPort: 80 }] }) }, want: [] },
  ])('$name', ({ spec, want }) => {
    const found = unknownFields(job(spec), JOB, definitions).map(({ path, suggestion }) => ({ path, ...(suggestion ? { suggestion } : {}) }));
    expect(found).toEqual(want);
  });

  it('keeps map keys (labels, resources) as data, not fields', () => {
    expect(unknownFields(job({ ...template({ resources: { limits: { cpu: '1', 'example.com/gpu': '1' } } }) }), JOB, definitions)).toEqual([]);
  });

  it('prints the fields as the API server does, with the did-you-mean, and drops them for warn/ignore', () => {
    const manifest = job({ completion: 3, ...template({ imagePullPolcy: 'Never' }) });
    const found = unknownFields(manifest, JOB, definitions);
    expect(strictDecodingMessage(found)).toBe(
      'strict decoding error: unknown field "spec.completion" (did you mean "spec.completions"?), unknown field "spec.template.spec.containers[0].imagePullPolcy" (did you mean "spec.template.spec.containers[0].imagePullPolicy"?)',
    );
    const dropped = withoutFields(manifest, found);
    expect(dropped.spec).not.toHaveProperty('completion');
    expect(unknownFields(dropped, JOB, definitions)).toEqual([]);
    expect(manifest.spec).toHaveProperty('completion'); // a copy
  });

  it('run and apply read manifests strictly: one line naming the file and the object', () => {
    const text = 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: pi}\nspec:\n  completion: 3\n  template: {spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}}\n';
    expect(() => objectsFromText(text, 'examples/x.yaml', ['Job'], 'strict')).toThrow(
      'examples/x.yaml: job.batch/pi: strict decoding error: unknown field "spec.completion" (did you mean "spec.completions"?); fix the manifest, or --validate=warn to send it without them',
    );
    const [cronJob] = objectsFromText(
      'apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {schedule: "* * * * *", jobTemplate: {spec: {paralelism: 2}}}\n',
      'c.yaml',
      ['CronJob'],
      'ignore',
    );
    expect(JSON.stringify(cronJob)).not.toContain('paralelism');
    expect(() => objectsFromText('apiVersion: batch/v1\nkind: CronJob\nmetadata: {name: c}\nspec: {jobTemplate: {spec: {paralelism: 2}}}\n', 'c.yaml', ['CronJob'], 'strict')).toThrow(
      'unknown field "spec.jobTemplate.spec.paralelism" (did you mean "spec.jobTemplate.spec.parallelism"?)',
    );
  });

  it('names the file and the line of a YAML or JSON error', () => {
    expect(() => objectsFromText('apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: [x\n', 'examples/x.yaml')).toThrow(/^examples\/x\.yaml: line \d+: .+ \(column \d+\)$/);
    expect(() => objectsFromText('apiVersion: batch/v1\nkind: Job\n  bad: indent\n', 'examples/x.yaml')).toThrow(/^examples\/x\.yaml: line 2: Nested mappings are not allowed in compact mappings \(column 7\)$/);
    expect(() => objectsFromText('{"apiVersion": "batch/v1",\n "kind": "Job" "x"}', 'j.json')).toThrow(/^j\.json: line 2: Expected ',' or '}' after property value in JSON at position 42 \(column 16\)$/);
  });

  it('edit distance: a typo is near, another word is not', () => {
    expect(editDistance('completion', 'completions')).toBe(1);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('a'.repeat(5000), 'b', 3)).toBe(4); // given up early: a huge key costs nothing
    expect(nearestName('paralelism', ['parallelism', 'completions'])).toBe('parallelism');
    expect(nearestName('tmplate', ['template', 'selector'])).toBe('template');
    expect(nearestName('foo', ['template', 'selector'])).toBeUndefined();
  });
});
