/**
 * Pods as API objects, decided as the Kubernetes API server and the Job controller decide: what a
 * DELETE does to a pod (CheckGracefulDelete in pkg/registry/core/pod/strategy.go, the DeletionTarget
 * condition of the eviction subresource), which updates a client may make (ValidatePodUpdate,
 * ValidatePodStatusUpdate and the pod strategies' PrepareForUpdate in pkg/apis/core/validation and
 * pkg/registry/core/pod), when a deleted pod's object goes (its last finalizer removed), and which
 * Job owns a pod (the controller-ref manager's adopt and release rules,
 * pkg/controller/controller_ref_manager.go). Pure: the store applies these decisions atomically.
 */
import { DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS } from './defaults.js';
import { forbidden, invalid, required, textOf, type FieldError } from './field-errors.js';
import { isImageReference, IMAGE_REFERENCE_MESSAGE } from './image-reference.js';
import { ANNOTATION_DELETED, JOB_TRACKING_FINALIZER } from './controller/labels.js';
import { isPodFinished } from './controller/pods.js';
import { k8sTime, parseTime } from './controller/time.js';
import type { Job, ObjectMeta, OwnerReference, Pod, PodCondition, PodSpec, PodStatus, Toleration } from './types.js';
import { tolerationsSchema } from './schema.js';
import { validateTolerations } from './validation-pod.js';
import { isQualifiedName, validateAnnotations, validateLabels } from './validation-meta.js';
import { deepEqual, FIELD_IMMUTABLE_MESSAGE, selectorMatches } from './validation.js';


export type PodDeletionCause = 'api' | 'eviction' | 'taint';

/** The condition the eviction subresource adds before it deletes a pod (Kubernetes' exact reason and message). */
export const EVICTION_DISRUPTION = { type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI', message: 'Eviction API: evicting' } as const;

/** The condition the taint eviction controller adds before it deletes a pod of a NoExecute-tainted node (Kubernetes' exact reason and message). */
export const TAINT_EVICTION_DISRUPTION = { type: 'DisruptionTarget', status: 'True', reason: 'DeletionByTaintManager', message: 'Taint manager: deleting due to NoExecute taint' } as const;

/** The pod conditions jobfleet's workers set: a client may not write them through pods/status. */
export const WORKER_POD_CONDITIONS: readonly string[] = ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready', 'PodReadyToStartContainers'];

/** The Job controller that reconciles Jobs whose spec.managedBy is unset. */
const JOB_CONTROLLER = 'kubernetes.io/job-controller';

/** Deleted through the API (or evicted): the object goes once its containers ended and no finalizer holds it. */
export function isPodDeleted(pod: Pod): boolean {
  return pod.metadata.deletionTimestamp !== undefined && pod.metadata.annotations?.[ANNOTATION_DELETED] !== undefined;
}

/**
 * The grace period of a DELETE, as the pod strategy's CheckGracefulDelete: the one asked for, else
 * the pod's terminationGracePeriodSeconds; 0 for a pod no node runs yet or one that already ended
 * (its object goes at once); a negative one counts as 1.
 */
export function deletionGracePeriod(pod: Pod, requested?: number): number {
  let period = requested ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_TERMINATION_GRACE_PERIOD_SECONDS;
  if (!pod.spec.nodeName || isPodFinished(pod)) period = 0;
  return period < 0 ? 1 : period;
}

export interface PodDeletionOptions {
  now: number;
  graceSeconds: number;
  cause: PodDeletionCause;
}

/**
 * The pod as a DELETE leaves it: deletionTimestamp (now + grace, as the API server sets it) and
 * deletionGracePeriodSeconds, and jobfleet's mark. A pod no node has taken yet ends as Failed at once
 * (as the pod garbage collector fails an unscheduled terminating pod), so that its Job counts it. A
 * pod being deleted already only gets a shorter grace period, never a longer one. Undefined when the
 * DELETE changes nothing.
 */
export function markPodDeleted(pod: Pod, opts: PodDeletionOptions): Pod | undefined {
  const { now, graceSeconds, cause } = opts;
  const annotations = pod.metadata.annotations ?? {};
  let deletionTimestamp = k8sTime(now + graceSeconds * 1000);
  const current = pod.metadata.deletionGracePeriodSeconds;
  const since = parseTime(pod.metadata.deletionTimestamp);
  if (isPodDeleted(pod) && current !== undefined && since !== undefined) {
    // Only a shorter grace period may be given; the deletion keeps its start (BeforeDelete).
    if (graceSeconds >= current) return undefined;
    deletionTimestamp = k8sTime(since - current * 1000 + graceSeconds * 1000);
  }
  const metadata: ObjectMeta = {
    ...pod.metadata,
    annotations: { ...annotations, [ANNOTATION_DELETED]: annotations[ANNOTATION_DELETED] ?? cause },
    deletionTimestamp,
    deletionGracePeriodSeconds: graceSeconds,
  };
  const unclaimed = !pod.spec.nodeName && !isPodFinished(pod);
  return { ...pod, metadata, status: unclaimed ? { ...pod.status, phase: 'Failed' } : pod.status };
}

/**
 * UpdatePodCondition: the condition replaces the one of its type; its lastTransitionTime changes only
 * when its status does. Undefined when the pod has it already.
 */
export function withPodCondition(pod: Pod, condition: Omit<PodCondition, 'lastTransitionTime' | 'lastProbeTime'>, now: number): Pod | undefined {
  const conditions = pod.status.conditions ?? [];
  const before = conditions.find((c) => c.type === condition.type);
  if (before && before.status === condition.status && before.reason === condition.reason && before.message === condition.message) return undefined;
  const lastTransitionTime = before && before.status === condition.status ? before.lastTransitionTime : k8sTime(now);
  const next: PodCondition = { ...condition, lastProbeTime: null, lastTransitionTime };
  const list = before ? conditions.map((c) => (c.type === condition.type ? next : c)) : [...conditions, next];
  return { ...pod, status: { ...pod.status, conditions: list } };
}

/**
 * Whether a pod's object goes now: it was deleted, its containers ended, and no finalizer holds it.
 * The Job's tracking finalizer holds it only until its Job counted it (`counted`: the pod is not
 * among its Job's uncounted pods), as the Job controller removes that finalizer once it counted the
 * pod; any other finalizer holds it until a client removes it.
 */
export function isPodRemovable(pod: Pod, counted: boolean): boolean {
  if (!isPodDeleted(pod) || !isPodFinished(pod) || !counted) return false;
  return (pod.metadata.finalizers ?? []).every((f) => f === JOB_TRACKING_FINALIZER);
}

// ---------------------------------------------------------------- owners

/** The owner reference with controller: true (metav1.GetControllerOf). */
export function controllerRef(pod: Pod): OwnerReference | undefined {
  return pod.metadata.ownerReferences?.find((o) => o.controller === true);
}

/** The uid of the Job owning a pod ('' for a pod without one): the id of the compression dictionary of its Job's pods. */
export function ownerJobUid(pod: Pod): string {
  return pod.metadata.ownerReferences?.find((o) => o.kind === 'Job')?.uid ?? '';
}

function isJobRef(ref: OwnerReference): boolean {
  return ref.kind === 'Job' && ref.apiVersion.split('/')[0] === 'batch';
}

/** A Job whose controller claims pods: jobfleet's own (not managedBy another controller), unfinished, not being deleted. */
export function jobClaimsPods(job: Job): boolean {
  const managedBy = job.spec.managedBy;
  const finished = (job.status?.conditions ?? []).some((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True');
  return !finished && !job.metadata.deletionTimestamp && (managedBy === undefined || managedBy === JOB_CONTROLLER);
}

/** An empty selector matches nothing here, as the Job controller's lookup of a pod's Jobs. */
function selects(job: Job, pod: Pod): boolean {
  const selector = job.spec.selector;
  if (!selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0)) return false;
  return selectorMatches(selector, pod.metadata.labels ?? {});
}

export type OwnershipChange = { kind: 'none' } | { kind: 'release'; job: Job } | { kind: 'adopt'; job: Job };

/**
 * What the Job controller's ClaimPods does with a pod: a pod its Job controls whose labels stop
 * matching the Job's selector is released; an orphan (no controller reference) that a Job's selector
 * matches is adopted. Pods being deleted are neither released nor adopted, and only Jobs that claim
 * pods (jobClaimsPods) do either. Of several Jobs matching an orphan, the one its controller-uid
 * label names wins, else the oldest (Kubernetes lets the first Job to sync win).
 *
 * `owner` is the Job the pod's controller reference names (undefined when it has none or that Job
 * is gone); `candidates` the namespace's Jobs, looked at for an orphan only.
 */
export function ownershipChange(pod: Pod, owner: Job | undefined, candidates: readonly Job[]): OwnershipChange {
  if (pod.metadata.deletionTimestamp) return { kind: 'none' };
  const ref = controllerRef(pod);
  if (ref) {
    if (!isJobRef(ref) || !owner || owner.metadata.uid !== ref.uid || !jobClaimsPods(owner)) return { kind: 'none' };
    return selects(owner, pod) ? { kind: 'none' } : { kind: 'release', job: owner };
  }
  const matching = candidates.filter((job) => jobClaimsPods(job) && selects(job, pod) && job.metadata.namespace === pod.metadata.namespace);
  if (matching.length === 0) return { kind: 'none' };
  const named = pod.metadata.labels?.['batch.kubernetes.io/controller-uid'];
  const byAge = [...matching].sort(
    (a, b) => (a.metadata.creationTimestamp ?? '').localeCompare(b.metadata.creationTimestamp ?? '') || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''),
  );
  const chosen = matching.find((job) => job.metadata.uid === named) ?? byAge[0];
  return chosen ? { kind: 'adopt', job: chosen } : { kind: 'none' };
}

/** The pod released by its Job: its controller reference and the Job's finalizer removed (ReleasePod). */
export function releasedPod(pod: Pod, job: Job): Pod {
  const ownerReferences = (pod.metadata.ownerReferences ?? []).filter((o) => o.uid !== job.metadata.uid);
  const finalizers = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
  return { ...pod, metadata: withLists(pod.metadata, ownerReferences, finalizers) };
}

/** The pod adopted by the Job: a controller reference to it and the Job's tracking finalizer (AdoptPod). */
export function adoptedPod(pod: Pod, job: Job): Pod {
  const ref: OwnerReference = { apiVersion: 'batch/v1', kind: 'Job', name: job.metadata.name ?? '', uid: job.metadata.uid ?? '', controller: true, blockOwnerDeletion: true };
  const finalizers = pod.metadata.finalizers ?? [];
  return {
    ...pod,
    metadata: withLists(pod.metadata, [...(pod.metadata.ownerReferences ?? []), ref], finalizers.includes(JOB_TRACKING_FINALIZER) ? finalizers : [...finalizers, JOB_TRACKING_FINALIZER]),
  };
}

function withLists(meta: ObjectMeta, ownerReferences: OwnerReference[], finalizers: string[]): ObjectMeta {
  const { ownerReferences: _o, finalizers: _f, ...rest } = meta;
  return { ...rest, ...(ownerReferences.length ? { ownerReferences } : {}), ...(finalizers.length ? { finalizers } : {}) };
}

// ---------------------------------------------------------------- updates

/** The fields of a pod's spec a client may change, as ValidatePodUpdate lists them. */
export const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

export interface PodUpdateResult {
  /** The pod to store: the stored one with what the client may change taken from its request. */
  pod: Pod;
  errors: FieldError[];
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * An update of a pod (PUT or PATCH of the pod itself): metadata as ValidateObjectMetaUpdate allows,
 * the spec as ValidatePodUpdate allows, the status kept as stored (the pod strategy's
 * PrepareForUpdate). jobfleet honours every change it accepts: labels, annotations, finalizers,
 * removing owner references; an image or activeDeadlineSeconds only before a worker took the pod
 * (its containers run with the values they started with) or after it ended; finalizers may only be
 * removed (jobfleet runs no controller that would remove a client's). The rest is refused
 * with Kubernetes' message, or a jobfleet one naming why.
 */
export function podUpdate(stored: Pod, requested: JsonObject): PodUpdateResult {
  const meta = metadataUpdate(stored, requested.metadata, 'metadata');
  const spec = specUpdate(stored, requested.spec);
  return { pod: { ...stored, metadata: meta.metadata, spec: spec.spec }, errors: [...meta.errors, ...spec.errors] };
}

/**
 * An update of pods/status: metadata as on the pod itself (except owner references and the deletion,
 * which the status strategy keeps), the spec as stored. jobfleet's workers own the pod's status:
 * a client may add, change or remove conditions of its own types (such as DisruptionTarget, or a
 * readiness gate's) and nothing else of it. The workers' conditions a request leaves out stay (a merge
 * patch of status.conditions replaces the whole list).
 */
export function podStatusUpdate(stored: Pod, requested: JsonObject): PodUpdateResult {
  const input = isObject(requested.metadata) ? { ...requested.metadata, ownerReferences: stored.metadata.ownerReferences } : requested.metadata;
  const meta = metadataUpdate(stored, input, 'metadata');
  const status = statusUpdate(stored, requested.status);
  return { pod: { ...stored, metadata: meta.metadata, status: status.status }, errors: [...meta.errors, ...status.errors] };
}

function metadataUpdate(stored: Pod, input: unknown, path: string): { metadata: ObjectMeta; errors: FieldError[] } {
  const old = stored.metadata;
  if (input === undefined || input === null) return { metadata: old, errors: [] };
  if (!isObject(input)) return { metadata: old, errors: [invalid(path, input, 'must be an object')] };
  const errors: FieldError[] = [];
  const str = (field: string): string | undefined => {
    const v = input[field];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    errors.push(invalid(`${path}.${field}`, v, 'must be a string'));
    return undefined;
  };
  const map = (field: 'labels' | 'annotations'): Record<string, string> | undefined => {
    const v = input[field];
    if (v === undefined || v === null) return undefined;
    if (!isObject(v)) {
      errors.push(invalid(`${path}.${field}`, v, 'must be an object'));
      return old[field];
    }
    const bad = Object.entries(v).filter(([, value]) => typeof value !== 'string');
    for (const [key, value] of bad) errors.push(invalid(`${path}.${field}[${key}]`, value, 'must be a string'));
    return bad.length ? old[field] : (v as Record<string, string>);
  };
  const name = str('name');
  const namespace = str('namespace');
  const uid = str('uid');
  if (name !== undefined && name !== old.name) errors.push(invalid(`${path}.name`, name, FIELD_IMMUTABLE_MESSAGE));
  if (namespace !== undefined && namespace !== old.namespace) errors.push(invalid(`${path}.namespace`, namespace, FIELD_IMMUTABLE_MESSAGE));
  if (uid && uid !== old.uid) errors.push(invalid(`${path}.uid`, uid, FIELD_IMMUTABLE_MESSAGE));
  const labels = map('labels');
  const annotations = map('annotations');
  errors.push(...validateLabels(labels, `${path}.labels`), ...validateAnnotations(annotations, `${path}.annotations`));
  const ownerReferences = ownerReferencesUpdate(old.ownerReferences ?? [], input.ownerReferences, `${path}.ownerReferences`, errors);
  const finalizers = finalizersUpdate(old, input.finalizers, `${path}.finalizers`, errors);
  const generateName = str('generateName');
  // What only the server writes (uid, creation, generation, the deletion) stays as stored, as BeforeUpdate resets it.
  const metadata: ObjectMeta = {
    ...old,
    ...(generateName !== undefined ? { generateName } : {}),
    labels,
    annotations,
    ownerReferences: ownerReferences.length ? ownerReferences : undefined,
    finalizers: finalizers.length ? finalizers : undefined,
  };
  for (const key of ['labels', 'annotations', 'ownerReferences', 'finalizers'] as const) if (metadata[key] === undefined) delete metadata[key];
  return { metadata, errors };
}

const OWNER_REFERENCE_MESSAGE =
  'jobfleet sets the owner of a pod itself (the Job whose selector matches its labels adopts it): a client may only remove owner references';

/**
 * Owner references may be kept or removed (the Job controller then adopts the orphan back if its
 * labels still match, or another Job adopts it); adding or changing one is refused, since only the
 * Job controller's adoption keeps a pod counted by the Job it names.
 */
function ownerReferencesUpdate(old: OwnerReference[], input: unknown, path: string, errors: FieldError[]): OwnerReference[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input)) {
    errors.push(invalid(path, input, 'must be a list'));
    return old;
  }
  const refs: OwnerReference[] = [];
  let firstController = '';
  input.forEach((item, i) => {
    if (!isObject(item)) {
      errors.push(invalid(`${path}[${i}]`, item, 'must be an object'));
      return;
    }
    const ref = item as unknown as OwnerReference;
    const fields = { apiVersion: 'version', kind: 'kind', name: 'name', uid: 'uid' } as const;
    let ok = true;
    for (const [field, what] of Object.entries(fields) as [keyof typeof fields, string][]) {
      const value = item[field];
      if (typeof value !== 'string' || value === '' || (field === 'apiVersion' && value.split('/').pop() === '')) {
        errors.push(invalid(`${path}.${field}`, value ?? '', `${what} must not be empty`));
        ok = false;
      }
    }
    if (ref.controller === true) {
      const current = `${textOf(ref.kind)}/${textOf(ref.name)}`;
      if (firstController) {
        errors.push(invalid(path, input, `Only one reference can have Controller set to true. Found "true" in references for ${firstController} and ${current}`));
      } else firstController = current;
    }
    if (!ok) return;
    if (!old.some((o) => deepEqual(o, ref))) errors.push(forbidden(`${path}[${i}]`, OWNER_REFERENCE_MESSAGE));
    refs.push(ref);
  });
  return refs;
}

function finalizersUpdate(old: ObjectMeta, input: unknown, path: string, errors: FieldError[]): string[] {
  if (input === undefined || input === null) return [];
  if (!Array.isArray(input) || !input.every((f) => typeof f === 'string')) {
    errors.push(invalid(path, input, 'must be a list of strings'));
    return old.finalizers ?? [];
  }
  const finalizers = input as string[];
  finalizers.forEach((f, i) => {
    for (const message of isQualifiedName(f)) errors.push(invalid(`${path}[${i}]`, f, message));
  });
  const added = finalizers.filter((f) => !(old.finalizers ?? []).includes(f));
  if (old.deletionTimestamp && added.length > 0) {
    errors.push(forbidden(path, `no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`));
  } else if (added.some((f) => f !== JOB_TRACKING_FINALIZER)) {
    // A finalizer holds a deleted object until its controller removes it: jobfleet runs none but the Job's.
    errors.push(forbidden(path, `not supported by jobfleet: a client may only remove finalizers (found new finalizers ${JSON.stringify(added)})`));
  }
  return [...new Set(finalizers)];
}

/**
 * Kubernetes' validateOnlyAddedTolerations for a pod update: every toleration the pod has must still
 * be there, the same but for its tolerationSeconds; new ones may be added (on a running pod too: a
 * toleration added in time keeps it from a NoExecute taint's eviction); then ValidateTolerations of the
 * whole list. The new list when it differs from the old one, undefined when it does not (or is refused).
 */
function updatedTolerations(old: readonly Toleration[], input: unknown, errors: FieldError[]): Toleration[] | undefined {
  if (input === undefined || input === null) {
    if (old.length > 0) errors.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
    return undefined;
  }
  const parsed = tolerationsSchema.safeParse(input);
  if (!parsed.success) {
    errors.push(invalid('spec.tolerations', input, 'must be a list of tolerations'));
    return undefined;
  }
  const next: Toleration[] = parsed.data;
  const same = (a: Toleration, b: Toleration) => (a.key ?? '') === (b.key ?? '') && (a.operator ?? '') === (b.operator ?? '') && (a.value ?? '') === (b.value ?? '') && (a.effect ?? '') === (b.effect ?? '');
  if (!old.every((o) => next.some((n) => same(o, n)))) {
    errors.push(forbidden('spec.tolerations', 'existing toleration can not be modified except its tolerationSeconds'));
    return undefined;
  }
  const invalidOnes = validateTolerations(next, 'spec.tolerations');
  if (invalidOnes.length > 0) {
    errors.push(...invalidOnes);
    return undefined;
  }
  return deepEqual(normalized(next), normalized(old)) ? undefined : next;
}

/** Empty values (null, "", {}, []) are left out, as Kubernetes' semantic equality finds them equal to unset ones. */
function normalized(value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map(normalized);
    return items.length ? items : undefined;
  }
  if (!isObject(value)) return value === null || value === '' ? undefined : value;
  const entries = Object.entries(value)
    .map(([k, v]) => [k, normalized(v)] as const)
    .filter(([, v]) => v !== undefined);
  return entries.length ? Object.fromEntries(entries) : undefined;
}

const RUNNING_POD_CHANGE = 'a worker runs this pod already, with the value it started with: jobfleet does not restart a running container with a new spec; delete the pod instead';

function specUpdate(stored: Pod, input: unknown): { spec: PodSpec; errors: FieldError[] } {
  const old = stored.spec;
  if (input === undefined || input === null) return { spec: old, errors: [] };
  if (!isObject(input)) return { spec: old, errors: [invalid('spec', input, 'must be an object')] };
  const errors: FieldError[] = [];
  const next = structuredClone(input);
  // Before the deep comparison, the fields a client may change take the stored values (mungedPodSpec).
  const running = Boolean(old.nodeName) && !isPodFinished(stored);
  let changed = false;
  for (const list of ['containers', 'initContainers'] as const) {
    const before = old[list] ?? [];
    const after = next[list];
    if (after === undefined || after === null) {
      if (before.length > 0) errors.push(forbidden(`spec.${list}`, 'pod updates may not add or remove containers'));
      continue;
    }
    if (!Array.isArray(after) || after.length !== before.length) {
      errors.push(forbidden(`spec.${list}`, 'pod updates may not add or remove containers'));
      return { spec: old, errors };
    }
    after.forEach((container: unknown, i) => {
      if (!isObject(container)) return;
      const image = container.image;
      const field = `spec.${list}[${i}].image`;
      if (typeof image !== 'string' || image.length === 0) errors.push(required(field));
      else if (image.trim() !== image) errors.push(invalid(field, image, 'must not have leading or trailing whitespace'));
      else if (image !== before[i]?.image) {
        if (!isImageReference(image)) errors.push(invalid(field, image, IMAGE_REFERENCE_MESSAGE));
        else if (running) errors.push(forbidden(field, RUNNING_POD_CHANGE));
        else changed = true;
      }
      container.image = before[i]?.image;
    });
  }
  const deadline = next.activeDeadlineSeconds;
  const oldDeadline = old.activeDeadlineSeconds;
  if (deadline !== undefined && deadline !== null) {
    if (typeof deadline !== 'number' || !Number.isInteger(deadline) || deadline < 0 || deadline > 2 ** 31 - 1) {
      errors.push(invalid('spec.activeDeadlineSeconds', deadline, `must be between 0 and ${2 ** 31 - 1}, inclusive`));
    } else if (oldDeadline !== undefined && oldDeadline < deadline) {
      errors.push(invalid('spec.activeDeadlineSeconds', deadline, 'must be less than or equal to previous value'));
    } else if (deadline !== oldDeadline) {
      if (running) errors.push(forbidden('spec.activeDeadlineSeconds', RUNNING_POD_CHANGE));
      else changed = true;
    }
  } else if (oldDeadline !== undefined) {
    errors.push(invalid('spec.activeDeadlineSeconds', null, 'must not update from a positive integer to nil value'));
  }
  next.activeDeadlineSeconds = oldDeadline;
  const tolerations = updatedTolerations(old.tolerations ?? [], next.tolerations, errors);
  if (tolerations) changed = true;
  next.tolerations = old.tolerations;
  if (errors.length === 0 && !deepEqual(normalized(next), normalized(old))) {
    errors.push(forbidden('spec', `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff(old, next)}`));
  }
  if (errors.length > 0 || !changed) return { spec: old, errors };
  const imageOf = (list: unknown, i: number, fallback: string) => {
    const item = Array.isArray(list) ? (list[i] as unknown) : undefined;
    return isObject(item) && typeof item.image === 'string' ? item.image : fallback;
  };
  const spec: PodSpec = {
    ...old,
    containers: old.containers.map((c, i) => ({ ...c, image: imageOf(input.containers, i, c.image) })),
    ...(old.initContainers ? { initContainers: old.initContainers.map((c, i) => ({ ...c, image: imageOf(input.initContainers, i, c.image) })) } : {}),
  };
  if (typeof input.activeDeadlineSeconds === 'number') spec.activeDeadlineSeconds = input.activeDeadlineSeconds;
  if (tolerations) spec.tolerations = tolerations;
  return { spec, errors };
}

/** The paths where two specs differ, with both values: Kubernetes prints a diff of the specs there. */
function specDiff(old: unknown, next: unknown): string {
  const lines: string[] = [];
  const walk = (a: unknown, b: unknown, path: string) => {
    if (lines.length >= 20 || deepEqual(normalized(a), normalized(b))) return;
    if (isObject(a) && isObject(b)) {
      for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) walk(a[key], b[key], `${path}.${key}`);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((item, i) => walk(item, b[i], `${path}[${i}]`));
      return;
    }
    lines.push(`- ${path}: ${JSON.stringify(a) ?? 'null'}`, `+ ${path}: ${JSON.stringify(b) ?? 'null'}`);
  };
  walk(old, next, 'spec');
  return lines.join('\n');
}

function statusUpdate(stored: Pod, input: unknown): { status: PodStatus; errors: FieldError[] } {
  const old = stored.status;
  if (input === undefined || input === null) return { status: old, errors: [] };
  if (!isObject(input)) return { status: old, errors: [invalid('status', input, 'must be an object')] };
  const errors: FieldError[] = [];
  const { conditions: rawConditions, ...rest } = input;
  const { conditions: oldConditions = [], ...oldRest } = old;
  if (!deepEqual(normalized(rest), normalized(oldRest))) {
    const fields = [...new Set([...Object.keys(rest), ...Object.keys(oldRest)])].filter((k) => !deepEqual(normalized(rest[k]), normalized((oldRest as JsonObject)[k])));
    for (const field of fields.sort()) {
      errors.push(forbidden(`status.${field}`, "jobfleet's workers own the pod's status: a client may only add, change or remove conditions of its own types"));
    }
  }
  if (rawConditions !== undefined && rawConditions !== null && !Array.isArray(rawConditions)) {
    return { status: old, errors: [...errors, invalid('status.conditions', rawConditions, 'must be a list')] };
  }
  const conditions: PodCondition[] = [];
  ((rawConditions as unknown[] | undefined) ?? []).forEach((item, i) => {
    const path = `status.conditions[${i}]`;
    if (!isObject(item) || typeof item.type !== 'string' || typeof item.status !== 'string') {
      errors.push(invalid(path, item, 'must be an object with string type and status'));
      return;
    }
    // ValidatePodStatusUpdate checks the type under "metadata.conditions", as Kubernetes prints it.
    if (!['PodScheduled', 'Ready', 'Initialized'].includes(item.type)) {
      for (const message of isQualifiedName(item.type)) errors.push(invalid(`metadata.conditions[${i}].Type`, item.type, message));
    }
    for (const field of ['reason', 'message', 'lastProbeTime', 'lastTransitionTime'] as const) {
      const v = item[field];
      if (v !== undefined && v !== null && typeof v !== 'string') errors.push(invalid(`${path}.${field}`, v, 'must be a string'));
    }
    conditions.push(item as unknown as PodCondition);
  });
  const owned = (list: readonly PodCondition[]) => list.filter((c) => WORKER_POD_CONDITIONS.includes(c.type));
  // A worker's condition left out of the request stays (a merge patch replaces the whole list); one sent must be as stored.
  const changedOwned = owned(conditions).filter((c) => !deepEqual(normalized(c), normalized(oldConditions.find((o) => o.type === c.type))));
  if (changedOwned.length > 0) {
    errors.push(forbidden('status.conditions', `the conditions ${WORKER_POD_CONDITIONS.map((c) => JSON.stringify(c)).join(', ')} are set by jobfleet's workers`));
  }
  if (errors.length > 0) return { status: old, errors };
  const clientConditions = conditions.filter((c) => !WORKER_POD_CONDITIONS.includes(c.type));
  // The workers' conditions stay where they are; the client's follow in its order.
  return { status: { ...old, conditions: [...owned(oldConditions), ...clientConditions] }, errors };
}
