/**
 * Updates of a stored object of the batch group (Jobs, CronJobs) as the API server's update and
 * status strategies make them, in one place: the main resource takes the spec and metadata from
 * the request and keeps the status and what only the server writes (generation up on a spec
 * change); the status subresource takes the status, labels and annotations and keeps the rest.
 * Both are a compare-and-set on the resourceVersion read, retried after a lost race (the
 * controllers write too) unless the request's metadata.resourceVersion makes it a precondition (409).
 */
import {
  ConflictError,
  FIELD_IMMUTABLE_MESSAGE,
  InvalidError,
  NotFoundError,
  deepEqual,
  invalid,
  validateAnnotations,
  validateLabels,
  type FieldError,
  type ObjectMeta,
} from '@jobfleet/kube';
import type { CommitResult } from '@jobfleet/store';

const MAX_ATTEMPTS = 20;

/** An object with a spec and a status, as the batch group's. */
export interface SpecAndStatus<Status> {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: unknown;
  status?: Status;
}

/** What updates of one kind need: how it is read and written, and how its status is checked. */
export interface UpdatableKind<T extends SpecAndStatus<S>, S> {
  resource: 'jobs' | 'cronjobs';
  kind: 'Job' | 'CronJob';
  get(ns: string, name: string): Promise<{ obj: T; rv: string } | undefined>;
  /** Writes `next` over the object read at `expect`: a user's spec update, or a status update. */
  put(expect: string, next: T, what: 'spec' | 'status'): Promise<CommitResult>;
  /** Reads a requested status (type errors in `errors`), and checks it against the stored object. */
  decodeStatus(raw: unknown): { status?: S; errors: FieldError[] };
  validateStatus?(stored: T, status: S): FieldError[];
}

export interface UpdateOptions {
  /** Compute and return the result without writing it (Kubernetes' dryRun=All). */
  dryRun?: boolean;
}

export interface ObjectUpdate<T> {
  /** The object as written (with its new resourceVersion), as it would be (dryRun), or as it is (unchanged). */
  obj: T;
  /** False when the update left the object as it was (nothing was written). */
  changed: boolean;
  /** True when it was written (changed and not a dry run). */
  written: boolean;
}

/** PUT/PATCH of the main resource: `mutate` returns the requested object (decoded, defaulted, validated by the caller). */
export async function updateSpec<T extends SpecAndStatus<S>, S>(k: UpdatableKind<T, S>, ns: string, name: string, mutate: (current: T) => T, options: UpdateOptions = {}): Promise<ObjectUpdate<T>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await k.get(ns, name);
    if (!stored) throw new NotFoundError({ group: 'batch', resource: k.resource, name });
    const current = withVersion(stored.obj, stored.rv);
    const requested = mutate(structuredClone(current));
    const precondition = requested.metadata.resourceVersion;
    if (precondition && precondition !== stored.rv) throw conflict(k, name);
    const next = keepServerFields(stored.obj, requested);
    if (deepEqual(withoutVersion(next), withoutVersion(stored.obj))) return { obj: current, changed: false, written: false };
    if (options.dryRun) return { obj: withVersion(next, stored.rv), changed: true, written: false };
    const result = await k.put(stored.rv, next, 'spec');
    if (result.ok) return { obj: withVersion(next, result.rvs[0] ?? ''), changed: true, written: true };
    if (precondition) throw conflict(k, name);
  }
  throw conflict(k, name);
}

/** PUT/PATCH of the status subresource: `mutate` returns the requested object as JSON (untrusted). */
export async function updateStatus<T extends SpecAndStatus<S>, S>(
  k: UpdatableKind<T, S>,
  ns: string,
  name: string,
  mutate: (current: T) => Record<string, unknown>,
  options: UpdateOptions = {},
): Promise<ObjectUpdate<T>> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const stored = await k.get(ns, name);
    if (!stored) throw new NotFoundError({ group: 'batch', resource: k.resource, name });
    const current = withVersion(stored.obj, stored.rv);
    const requested = mutate(structuredClone(current));
    const meta = isObject(requested.metadata) ? requested.metadata : {};
    const precondition = typeof meta.resourceVersion === 'string' && meta.resourceVersion !== '' ? meta.resourceVersion : undefined;
    if (precondition && precondition !== stored.rv) throw conflict(k, name);
    const decoded = k.decodeStatus(requested.status);
    const errors = [...decoded.errors];
    const labels = stringMap(meta.labels, 'metadata.labels', errors) ?? stored.obj.metadata.labels;
    const annotations = stringMap(meta.annotations, 'metadata.annotations', errors) ?? stored.obj.metadata.annotations;
    errors.push(
      ...(meta.name !== undefined && meta.name !== stored.obj.metadata.name ? [invalid('metadata.name', meta.name, FIELD_IMMUTABLE_MESSAGE)] : []),
      ...(meta.uid && meta.uid !== stored.obj.metadata.uid ? [invalid('metadata.uid', meta.uid, FIELD_IMMUTABLE_MESSAGE)] : []),
      ...validateLabels(labels, 'metadata.labels'),
      ...validateAnnotations(annotations, 'metadata.annotations'),
      ...(decoded.status && k.validateStatus ? k.validateStatus(stored.obj, decoded.status) : []),
    );
    if (errors.length > 0) throw new InvalidError({ group: 'batch', kind: k.kind, name, errors });
    const metadata = { ...stored.obj.metadata, labels, annotations };
    if (!labels) delete metadata.labels;
    if (!annotations) delete metadata.annotations;
    const next: T = { ...stored.obj, metadata, status: decoded.status ?? {} };
    if (deepEqual(next, stored.obj)) return { obj: current, changed: false, written: false };
    if (options.dryRun) return { obj: withVersion(next, stored.rv), changed: true, written: false };
    const result = await k.put(stored.rv, next, 'status');
    if (result.ok) return { obj: withVersion(next, result.rvs[0] ?? ''), changed: true, written: true };
    if (precondition) throw conflict(k, name);
  }
  throw conflict(k, name);
}

/** The requested object with what only the server writes taken from the stored one. */
function keepServerFields<T extends SpecAndStatus<S>, S>(stored: T, requested: T): T {
  const specChanged = !deepEqual(stored.spec, requested.spec);
  const { resourceVersion: _rv, ...metadata } = requested.metadata;
  const kept = stored.metadata;
  return {
    ...requested,
    apiVersion: stored.apiVersion,
    kind: stored.kind,
    metadata: {
      ...metadata,
      name: kept.name,
      namespace: kept.namespace,
      uid: kept.uid,
      creationTimestamp: kept.creationTimestamp,
      generation: (kept.generation ?? 1) + (specChanged ? 1 : 0),
      ...(kept.deletionTimestamp ? { deletionTimestamp: kept.deletionTimestamp } : { deletionTimestamp: undefined }),
    },
    status: stored.status ?? {},
  };
}

export function withVersion<T extends { metadata: ObjectMeta }>(obj: T, rv: string): T {
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: rv } };
}

function withoutVersion<T extends { metadata: ObjectMeta }>(obj: T): T {
  const { resourceVersion: _rv, ...metadata } = obj.metadata;
  return { ...obj, metadata };
}

function conflict(k: { resource: string }, name: string): ConflictError {
  return new ConflictError({ group: 'batch', resource: k.resource, name });
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A labels/annotations map of the request; a wrongly typed one is reported in `errors`. */
function stringMap(value: unknown, field: string, errors: FieldError[]): Record<string, string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    errors.push(invalid(field, value, 'must be an object'));
    return undefined;
  }
  const bad = Object.entries(value).filter(([, v]) => typeof v !== 'string');
  for (const [key, v] of bad) errors.push(invalid(`${field}[${key}]`, v, 'must be a string'));
  return bad.length ? undefined : (value as Record<string, string>);
}
