/** Manifest builders shared by the spec tests. */
import { InvalidError } from '../errors.js';
import { formatFieldError } from '../field-errors.js';
import { parseJob } from '../parse.js';

export type Manifest = Record<string, unknown>;

/** The smallest valid Job: one container, restartPolicy Never. */
export function baseJob(): Manifest {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi' },
    spec: {
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [{ name: 'pi', image: 'busybox', command: ['sh', '-c', 'echo 3.14'] }],
        },
      },
    },
  };
}

/** baseJob with `patch` merged in: objects merge, everything else (lists too) replaces. */
export function job(patch: Manifest = {}): Manifest {
  return merge(baseJob(), patch) as Manifest;
}

/** baseJob with `patch` merged into spec.template.spec. */
export function jobWithPod(patch: Manifest): Manifest {
  return job({ spec: { template: { spec: patch } } });
}

/** baseJob with `patch` merged into its only container. */
export function jobWithContainer(patch: Manifest): Manifest {
  const container = merge({ name: 'pi', image: 'busybox' }, patch);
  return jobWithPod({ containers: [container] });
}

/** The formatted FieldErrors parseJob reports, [] when it accepts the manifest. */
export function invalidMessages(manifest: unknown): string[] {
  try {
    parseJob(manifest);
    return [];
  } catch (err) {
    if (err instanceof InvalidError) return err.errors.map(formatFieldError);
    throw err;
  }
}

function merge(base: unknown, patch: unknown): unknown {
  if (!isObject(base) || !isObject(patch)) return patch;
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(patch)) merged[key] = merge(base[key], value);
  return merged;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
