/**
 * The committed protobuf definitions (k8s-descriptors.json): still what the machine's kubectl
 * yields (scripts/k8s-descriptors.mjs --check), and complete for the batch/v1 Job API of 1.33.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { protobufSchema } from './schema.js';

const SCRIPT = new URL('../../../../scripts/k8s-descriptors.mjs', import.meta.url).pathname;

/** The kubectl the script reads (kubectl.1.33 beside Google's dispatcher, else kubectl) and its version; undefined without kubectl. */
function kubectlToCompare(): { binary: string; version: string } | undefined {
  try {
    const [binary = '', version = ''] = execFileSync(process.execPath, [SCRIPT, '--which'], { encoding: 'utf8', timeout: 30_000 }).trim().split('\t');
    return { binary, version };
  } catch {
    return undefined;
  }
}

const committed = JSON.parse(readFileSync(new URL('./k8s-descriptors.json', import.meta.url), 'utf8')) as { comment: string[]; kubectl: { version: string } };
const minor = (version: string) => /^v(\d+\.\d+)\./.exec(version)?.[1];

describe('k8s-descriptors.json', () => {
  it("is what scripts/k8s-descriptors.mjs extracts from the machine's kubectl", (ctx) => {
    const kubectl = kubectlToCompare();
    if (!kubectl) {
      console.warn('descriptors.test.ts: skipped: no kubectl on PATH, so the committed k8s-descriptors.json is not compared with one');
      return ctx.skip();
    }
    if (minor(kubectl.version) !== minor(committed.kubectl.version)) {
      console.warn(`descriptors.test.ts: skipped: the committed set comes from kubectl ${committed.kubectl.version}; this machine has ${kubectl.version} (${kubectl.binary})`);
      return ctx.skip();
    }
    // Exits 1, naming the file, when the committed set differs.
    const out = execFileSync(process.execPath, [SCRIPT, '--check', '--kubectl', kubectl.binary], { encoding: 'utf8', timeout: 60_000 });
    expect(out).toMatch(/^ok: /);
  });

  it('says where it comes from and how to regenerate it', () => {
    expect(committed.kubectl.version).toMatch(/^v1\.\d+\.\d+/);
    expect(committed.comment.join(' ')).toContain('node scripts/k8s-descriptors.mjs');
  });

  it('has every field of the batch/v1 Job API jobfleet serves (Kubernetes 1.33)', () => {
    const fields = (name: string) => protobufSchema().type(name).fieldsArray.map((f) => f.name);
    expect(fields('k8s.io.api.batch.v1.JobSpec')).toEqual(
      expect.arrayContaining([
        'parallelism', 'completions', 'activeDeadlineSeconds', 'podFailurePolicy', 'successPolicy', 'backoffLimit', 'backoffLimitPerIndex',
        'maxFailedIndexes', 'selector', 'manualSelector', 'template', 'ttlSecondsAfterFinished', 'completionMode', 'suspend', 'podReplacementPolicy', 'managedBy',
      ]),
    );
    expect(fields('k8s.io.api.batch.v1.JobStatus')).toEqual(
      expect.arrayContaining(['conditions', 'startTime', 'completionTime', 'active', 'succeeded', 'failed', 'terminating', 'completedIndexes', 'failedIndexes', 'uncountedTerminatedPods', 'ready']),
    );
    expect(fields('k8s.io.api.batch.v1.PodFailurePolicyRule')).toEqual(expect.arrayContaining(['action', 'onExitCodes', 'onPodConditions']));
    expect(fields('k8s.io.api.batch.v1.SuccessPolicyRule')).toEqual(expect.arrayContaining(['succeededIndexes', 'succeededCount']));
    // New in 1.33 (kubectl 1.32's definitions lack them): pod status observedGeneration, container stopSignal.
    expect(fields('k8s.io.api.core.v1.PodStatus')).toContain('observedGeneration');
    expect(fields('k8s.io.api.core.v1.ContainerStatus')).toContain('stopSignal');
  });
});
