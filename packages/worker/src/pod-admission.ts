/**
 * What a worker checks of a pod it claimed before it asks Docker for anything: the pod record comes
 * from Redis, which anyone with access to it (a second API server with another policy, a script, an
 * attacker) can fill with any shape. Pure: no I/O.
 */
import {
  DISALLOWED_BY_CLUSTER_POLICY,
  JOB_RESTART_POLICIES,
  PRIVILEGED_NOT_ALLOWED,
  decodeJob,
  formatFieldError,
  k8sTime,
  notSupported,
  isDns1123Label,
  isDns1123Subdomain,
  validatePodSpec,
  type ContainerStatus,
  type FieldError,
  type PodCondition,
  type PodStatus,
} from '@jobfleet/kube';

export interface AdmissionPolicy {
  /** Privileged containers, added capabilities, host namespaces and hostPath volumes (`--allow-privileged`). */
  allowPrivileged: boolean;
  nodeName: string;
}

/** Why a worker refuses a pod: the pod's final reason and message, and the field errors behind them. */
export interface Refusal {
  reason: 'Forbidden' | 'InvalidImageName' | 'CreateContainerConfigError';
  message: string;
  errors: FieldError[];
}

/** The errors listed in a refusal's message, and how much of each: a message must stay readable and small. */
const MAX_LISTED_ERRORS = 10;
const MAX_ERROR_TEXT = 400;
/** Pod uids are UUIDs; anything of Docker's name characters is accepted (they go into volume names). */
const UID = /^[a-zA-Z0-9][a-zA-Z0-9-]{0,63}$/;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Checks a pod record as the API would have checked its Job's template (types, then Kubernetes'
 * validation with this node's policy), plus what the worker itself relies on (name, namespace and
 * uid go into Docker names). Returns undefined when the pod may run here, else why not.
 *
 * Reasons: `Forbidden` when the pod asks for more than this node allows (the kubelet's way of
 * rejecting a pod at admission: phase Failed, a reason, a "Pod was rejected" message);
 * `InvalidImageName` for an image that is not a Docker reference (the kubelet's reason); else
 * `CreateContainerConfigError` (the kubelet's reason when it cannot build a container's config).
 */
export function admitPod(pod: unknown, policy: AdmissionPolicy): Refusal | undefined {
  let errors: FieldError[];
  try {
    errors = podErrors(pod, policy);
  } catch (err) {
    // A record deep or odd enough to break the checks themselves is refused as well.
    errors = [{ type: 'FieldValueInvalid', field: 'spec', badValue: '', detail: `cannot be read: ${err instanceof Error ? err.message : String(err)}` }];
  }
  if (errors.length === 0) return undefined;
  const forbidden = errors.filter(isPolicyError);
  const reason = forbidden.length > 0 ? 'Forbidden' : errors.some((e) => /\.image$/.test(e.field)) ? 'InvalidImageName' : 'CreateContainerConfigError';
  const listed = (forbidden.length > 0 ? forbidden : errors).slice(0, MAX_LISTED_ERRORS).map((e) => clip(describe(e, policy)));
  const more = (forbidden.length > 0 ? forbidden : errors).length - listed.length;
  const hint = forbidden.length > 0 ? ` (node ${policy.nodeName} runs no privileged pods: start its worker with --allow-privileged or JOBFLEET_ALLOW_PRIVILEGED=true to allow them)` : '';
  return { reason, message: `Pod was rejected: ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}${hint}`, errors };
}

function podErrors(pod: unknown, policy: AdmissionPolicy): FieldError[] {
  if (!isObject(pod)) return [invalid('', 'must be an object')];
  const errors: FieldError[] = [];
  const meta = pod.metadata;
  if (!isObject(meta)) return [invalid('metadata', 'must be an object')];
  if (typeof meta.name !== 'string' || isDns1123Subdomain(meta.name).length > 0) errors.push(invalid('metadata.name', 'must be a DNS-1123 subdomain', meta.name));
  if (typeof meta.namespace !== 'string' || isDns1123Label(meta.namespace).length > 0) errors.push(invalid('metadata.namespace', 'must be a DNS-1123 label', meta.namespace));
  if (typeof meta.uid !== 'string' || !UID.test(meta.uid)) errors.push(invalid('metadata.uid', 'must be a uid', meta.uid));
  if (meta.ownerReferences !== undefined && (!Array.isArray(meta.ownerReferences) || !meta.ownerReferences.every((o) => isObject(o) && typeof o.name === 'string' && typeof o.uid === 'string'))) {
    errors.push(invalid('metadata.ownerReferences', 'must be a list of owner references'));
  }
  for (const key of ['labels', 'annotations'] as const) {
    const map = meta[key];
    if (map !== undefined && (!isObject(map) || !Object.values(map).every((v) => typeof v === 'string'))) errors.push(invalid(`metadata.${key}`, 'must be a map of strings'));
  }
  if (!isObject(pod.status)) errors.push(invalid('status', 'must be an object'));
  const spec = pod.spec;
  if (!isObject(spec)) return [...errors, invalid('spec', 'must be an object')];
  const { nodeName, hostname, subdomain, ...templateSpec } = spec;
  if (nodeName !== undefined && typeof nodeName !== 'string') errors.push(invalid('spec.nodeName', 'must be a string'));
  // Set by the Job controller (Indexed Jobs); Docker checks the host name it is given.
  if (hostname !== undefined && typeof hostname !== 'string') errors.push(invalid('spec.hostname', 'must be a string'));
  if (subdomain !== undefined && typeof subdomain !== 'string') errors.push(invalid('spec.subdomain', 'must be a string'));
  return [...errors, ...templateSpecErrors(templateSpec, policy)];
}

/** Spec checks done, by the policy and the spec's JSON: the pods of a Job share their template's spec. */
const specChecks = new Map<string, readonly FieldError[]>();
const SPEC_CHECKS_KEPT = 256;
/** A spec whose JSON is longer is checked every time (the cache keeps at most 256 × 16 Ki characters, ~8 MiB). */
const SPEC_CHECK_KEY_MAX = 16 * 1024;

/**
 * The spec's errors, exactly as the API checks a Job's pod template (types, then Kubernetes'
 * validation with this node's policy). The checks took ~45 µs a pod, as much as a tenth of a
 * worker's CPU for short pods: an identical spec (same JSON, same policy) is checked once. The
 * result depends on nothing else, so a cached answer is the answer.
 */
function templateSpecErrors(templateSpec: Record<string, unknown>, policy: AdmissionPolicy): readonly FieldError[] {
  const json = JSON.stringify(templateSpec);
  const key = json.length <= SPEC_CHECK_KEY_MAX ? `${policy.allowPrivileged ? 'p' : '-'}${json}` : undefined;
  const cached = key === undefined ? undefined : specChecks.get(key);
  if (cached) return cached;
  const errors = checkTemplateSpec(templateSpec, policy);
  if (key !== undefined) {
    if (specChecks.size >= SPEC_CHECKS_KEPT) specChecks.delete(specChecks.keys().next().value as string);
    specChecks.set(key, errors);
  }
  return errors;
}

function checkTemplateSpec(templateSpec: Record<string, unknown>, policy: AdmissionPolicy): FieldError[] {
  const decoded = decodeJob({ apiVersion: 'batch/v1', kind: 'Job', metadata: {}, spec: { template: { spec: templateSpec } } });
  const typeErrors = decoded.errors.map((e) => ({ ...e, field: e.field.replace(/^spec\.template\.spec/, 'spec') }));
  const typed = decoded.job?.spec.template.spec;
  if (typeErrors.length > 0 || !typed) return typeErrors;
  const errors: FieldError[] = [];
  const restartPolicy = typed.restartPolicy ?? '';
  if (!JOB_RESTART_POLICIES.includes(restartPolicy)) errors.push(notSupported('spec.restartPolicy', restartPolicy, JOB_RESTART_POLICIES));
  return [...errors, ...validatePodSpec(typed, 'spec', { allowPrivileged: policy.allowPrivileged })];
}

function invalid(field: string, detail: string, badValue?: unknown): FieldError {
  const shown = typeof badValue === 'string' || typeof badValue === 'number' ? badValue : '';
  return { type: 'FieldValueInvalid', field, badValue: shown, detail };
}

/** The errors the node's policy causes, as opposed to a broken pod. */
function isPolicyError(e: FieldError): boolean {
  return e.type === 'FieldValueForbidden' && (e.detail === PRIVILEGED_NOT_ALLOWED || e.detail === DISALLOWED_BY_CLUSTER_POLICY);
}

function describe(e: FieldError, policy: AdmissionPolicy): string {
  // The API's wording names the API's flag; here the worker is the one refusing.
  return isPolicyError(e) ? `${e.field}: Forbidden: not allowed on node ${policy.nodeName}` : formatFieldError(typeof e.badValue === 'string' ? { ...e, badValue: clip(e.badValue, 200) } : e);
}

function clip(text: string, max = MAX_ERROR_TEXT): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}


/**
 * The final status of a pod the worker refused: Failed with the refusal's reason and message,
 * its containers waiting with that reason (as the kubelet shows a container it never created).
 * Reads nothing of the pod's own status, which may be anything.
 */
export function refusedPodStatus(pod: unknown, refusal: Refusal, now: number): PodStatus {
  const t = k8sTime(now);
  const spec = isObject(pod) && isObject(pod.spec) ? pod.spec : {};
  const named = (list: unknown): { name: string; image: string }[] =>
    Array.isArray(list) ? list.filter((c): c is { name: string; image: string } => isObject(c) && typeof c.name === 'string' && typeof c.image === 'string') : [];
  const waiting = (c: { name: string; image: string }): ContainerStatus => ({
    name: c.name.slice(0, 253),
    image: c.image.slice(0, 1024),
    imageID: '',
    ready: false,
    started: false,
    restartCount: 0,
    state: { waiting: { reason: refusal.reason, message: refusal.message } },
    lastState: {},
  });
  const init = named(spec.initContainers).map(waiting);
  const condition = (type: PodCondition['type'], ok: boolean, reason?: string): PodCondition => ({ type, status: ok ? 'True' : 'False', lastProbeTime: null, lastTransitionTime: t, ...(reason ? { reason } : {}) });
  return {
    phase: 'Failed',
    reason: refusal.reason,
    message: refusal.message,
    startTime: t,
    // The kubelet's conditions, in its order: no sandbox was made for a rejected pod.
    conditions: [
      condition('PodReadyToStartContainers', false),
      condition('Initialized', init.length === 0, init.length ? 'ContainersNotInitialized' : undefined),
      condition('Ready', false, 'PodFailed'),
      condition('ContainersReady', false, 'PodFailed'),
      condition('PodScheduled', true),
    ],
    ...(init.length ? { initContainerStatuses: init } : {}),
    containerStatuses: named(spec.containers).map(waiting),
  };
}
