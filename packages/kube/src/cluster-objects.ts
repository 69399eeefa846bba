/**
 * The core/v1 objects jobfleet serves besides Jobs and Pods: Events (written by the Job
 * controller), and the Nodes and Namespaces it synthesises from its own records. Pure: the API
 * server reads the records and the time, these functions build the Kubernetes objects.
 */
import { k8sTime } from './controller/time.js';
import type { ConditionStatus, ObjectMeta, Taint } from './types.js';
import { duplicate, invalid, notSupported, required, type FieldError } from './field-errors.js';
import { isLabelValue, isQualifiedName, validateAnnotations, validateLabels } from './validation-meta.js';

/** core/v1 Event, as the Job controller records it. */
export interface CoreEvent {
  apiVersion: 'v1';
  kind: 'Event';
  metadata: ObjectMeta;
  involvedObject: {
    apiVersion?: string;
    kind?: string;
    namespace?: string;
    name?: string;
    uid?: string;
    resourceVersion?: string;
    fieldPath?: string;
  };
  reason?: string;
  message?: string;
  source?: { component?: string; host?: string };
  firstTimestamp?: string;
  lastTimestamp?: string;
  eventTime?: string | null;
  series?: { count?: number; lastObservedTime?: string };
  count?: number;
  type?: string;
  reportingComponent?: string;
  reportingInstance?: string;
}

export interface NodeCondition {
  type: string;
  status: ConditionStatus;
  reason?: string;
  message?: string;
  lastHeartbeatTime?: string;
  lastTransitionTime?: string;
}

export interface Node {
  apiVersion: 'v1';
  kind: 'Node';
  metadata: ObjectMeta;
  spec: { unschedulable?: boolean; taints?: Taint[] };
  status: {
    capacity: Record<string, string>;
    allocatable: Record<string, string>;
    conditions: NodeCondition[];
    addresses: { type: string; address: string }[];
    nodeInfo: {
      kubeletVersion: string;
      containerRuntimeVersion: string;
      operatingSystem: string;
      architecture: string;
      osImage: string;
      kernelVersion: string;
      kubeProxyVersion: string;
      machineID: string;
      systemUUID: string;
      bootID: string;
    };
  };
}

export interface Namespace {
  apiVersion: 'v1';
  kind: 'Namespace';
  metadata: ObjectMeta;
  spec: { finalizers: string[] };
  status: { phase: 'Active' | 'Terminating' };
}

/** What a worker node writes into the node registry at each heartbeat (the fields read here). */
export interface NodeHeartbeat {
  name: string;
  /** status.capacity (= allocatable): pods, and cpu, memory, nvidia.com/gpu … where known, as quantities. */
  capacity: { pods: number; cpu?: string | number; memory?: string | number; [resource: string]: string | number | undefined };
  /** The sum of the requests of the pods it runs (canonical units: cpu in millicores, bytes, counts). */
  requested?: Record<string, number>;
  running?: number;
  /** ms of the last heartbeat. */
  heartbeat: number;
  /** Whether its Docker Engine answered at that heartbeat. */
  docker: boolean;
  /** ms when the worker process started. */
  startedAt?: number;
  labels?: Record<string, string>;
  /** The node's address (--node-ip, or detected): its InternalIP. */
  address?: string;
}

export const NODE_KUBELET_VERSION = 'jobfleet';
export const ANNOTATION_RUNNING_PODS = 'jobfleet.io/running-pods';
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
export const LABEL_OS = 'kubernetes.io/os';
export const LABEL_ARCH = 'kubernetes.io/arch';
export const LABEL_NAMESPACE_NAME = 'kubernetes.io/metadata.name';

/** A worker's Node labels, as the kubelet sets them: its name, then (when known) its Docker host's OS and architecture. */
export function nodeLabels(name: string, extra: Record<string, string> | undefined): Record<string, string> {
  return { [LABEL_HOSTNAME]: name, ...(extra ?? {}) };
}

/** Whether a pod's `nodeSelector` lets it run on a node with these labels: every key present, with that value. */
export function nodeSelectorMatches(selector: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(selector ?? {}).every(([key, value]) => Object.hasOwn(labels, key) && labels[key] === value);
}

/**
 * The node's Ready condition, as the node lifecycle controller and kubelet would set it: True
 * while it heartbeats and Docker answers, False when Docker does not, Unknown once the heartbeat
 * is older than the grace period.
 */
export function nodeReadyCondition(hb: NodeHeartbeat, now: number, graceMs: number): NodeCondition {
  const at = k8sTime(hb.heartbeat);
  const base = { type: 'Ready', lastHeartbeatTime: at, lastTransitionTime: at };
  if (now - hb.heartbeat > graceMs) {
    return { ...base, status: 'Unknown', reason: 'NodeStatusUnknown', message: 'Kubelet stopped posting node status.' };
  }
  if (!hb.docker) {
    return { ...base, status: 'False', reason: 'KubeletNotReady', message: 'container runtime is down: the Docker Engine does not answer' };
  }
  return { ...base, status: 'True', reason: 'KubeletReady', message: 'jobfleet worker is posting ready status' };
}

function labelText(labels: Record<string, string> | undefined, key: string): string {
  const value = labels?.[key];
  return typeof value === 'string' ? value : '';
}

/**
 * What users set on a Node (kubectl label, annotate, taint, cordon) and what its worker registered
 * with (--node-labels, --register-with-taints), kept apart from the heartbeat, which the worker
 * rewrites every few seconds. `version` counts its changes (part of the Node's resourceVersion).
 */
export interface NodeSpecRecord {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  taints?: Taint[];
  unschedulable?: boolean;
  version?: number;
}

/**
 * A node spec record as read from Redis (anyone who can write there may have written anything):
 * only string maps of labels and annotations, taints that are objects with a string key and a known
 * effect, a boolean unschedulable and a finite version are kept.
 */
export function sanitizeNodeSpec(raw: unknown): NodeSpecRecord {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return {};
  const r = raw as Record<string, unknown>;
  const taints = Array.isArray(r.taints)
    ? r.taints.flatMap((t: unknown): Taint[] => {
        if (typeof t !== 'object' || t === null) return [];
        const { key, value, effect, timeAdded } = t as Record<string, unknown>;
        if (typeof key !== 'string' || typeof effect !== 'string' || !TAINT_EFFECTS.includes(effect)) return [];
        return [{ key, ...(typeof value === 'string' ? { value } : {}), effect: effect as Taint['effect'], ...(typeof timeAdded === 'string' ? { timeAdded } : {}) }];
      })
    : [];
  return {
    ...(isStringRecord(r.labels) ? { labels: r.labels } : {}),
    ...(isStringRecord(r.annotations) ? { annotations: r.annotations } : {}),
    taints,
    ...(r.unschedulable === true ? { unschedulable: true } : {}),
    ...(typeof r.version === 'number' && Number.isFinite(r.version) ? { version: r.version } : {}),
  };
}

/** The taint Kubernetes' node lifecycle controller puts on a cordoned (unschedulable) node. */
export const TAINT_UNSCHEDULABLE = 'node.kubernetes.io/unschedulable';

/** A node's taints as pods see them: its own, and the unschedulable one while it is cordoned (as Kubernetes shows it). */
export function effectiveTaints(spec: NodeSpecRecord): Taint[] {
  const taints = Array.isArray(spec.taints) ? spec.taints : [];
  if (spec.unschedulable !== true || taints.some((t) => t.key === TAINT_UNSCHEDULABLE)) return taints;
  return [...taints, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' }];
}

/** A node's labels: the kubelet's own (name, OS, architecture; they always win), over those users and its flags set. */
export function nodeLabelsWithSpec(hb: Pick<NodeHeartbeat, 'name' | 'labels'>, spec: NodeSpecRecord): Record<string, string> {
  return { ...(isStringRecord(spec.labels) ? spec.labels : {}), ...nodeLabels(hb.name, hb.labels) };
}

function isStringRecord(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

/** A core/v1 Node from a worker's heartbeat record and what was set on it; uid and creationTimestamp come from its start. */
export function nodeFromHeartbeat(hb: NodeHeartbeat, now: number, graceMs: number, spec: NodeSpecRecord = {}): Node {
  const capacity: Record<string, string> = { pods: String(hb.capacity.pods) };
  for (const [resource, value] of Object.entries(hb.capacity)) {
    if (resource !== 'pods' && (typeof value === 'string' || typeof value === 'number')) capacity[resource] = String(value);
  }
  const taints = effectiveTaints(spec);
  const annotations = isStringRecord(spec.annotations) ? spec.annotations : {};
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: hb.name,
      uid: `node-${hb.name}-${hb.startedAt ?? 0}`,
      // Changes with each heartbeat and each edit (kubectl label, taint, cordon).
      resourceVersion: String(hb.heartbeat * 1000 + ((spec.version ?? 0) % 1000)),
      ...(hb.startedAt !== undefined ? { creationTimestamp: k8sTime(hb.startedAt) } : {}),
      labels: nodeLabelsWithSpec(hb, spec),
      annotations: { ...annotations, [ANNOTATION_RUNNING_PODS]: String(hb.running ?? 0) },
    },
    spec: { ...(spec.unschedulable === true ? { unschedulable: true } : {}), ...(taints.length > 0 ? { taints } : {}) },
    status: {
      capacity,
      allocatable: { ...capacity },
      conditions: [nodeReadyCondition(hb, now, graceMs)],
      addresses: [...(typeof hb.address === 'string' && hb.address ? [{ type: 'InternalIP', address: hb.address }] : []), { type: 'Hostname', address: hb.name }],
      nodeInfo: {
        kubeletVersion: NODE_KUBELET_VERSION,
        containerRuntimeVersion: 'docker',
        operatingSystem: labelText(hb.labels, LABEL_OS),
        architecture: labelText(hb.labels, LABEL_ARCH),
        osImage: '',
        kernelVersion: '',
        kubeProxyVersion: '',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
}

export interface NamespaceRecord {
  uid?: string;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/** A core/v1 Namespace; always Active (jobfleet does not delete namespaces). */
export function namespaceObject(name: string, record: NamespaceRecord = {}): Namespace {
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: {
      name,
      ...(record.uid ? { uid: record.uid } : {}),
      ...(record.creationTimestamp ? { creationTimestamp: record.creationTimestamp } : {}),
      labels: { ...(record.labels ?? {}), [LABEL_NAMESPACE_NAME]: name },
      ...(record.annotations && Object.keys(record.annotations).length > 0 ? { annotations: record.annotations } : {}),
    },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

const TAINT_EFFECTS: readonly string[] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];

/**
 * NoExecute taints get the time they were added (timeAdded), which the taint eviction counts
 * tolerationSeconds from: the one they had before (same key and effect), else `now`; a client's
 * own is kept. Other taints are left as they are.
 */
export function stampNoExecuteTaints(taints: Taint[], before: Taint[], now: number): Taint[] {
  return taints.map((t) => {
    if (t.effect !== 'NoExecute' || t.timeAdded) return t;
    const earlier = before.find((b) => b.key === t.key && b.effect === t.effect)?.timeAdded;
    return { ...t, timeAdded: earlier ?? k8sTime(now) };
  });
}

/**
 * The Node fields users may change (kubectl label, annotate, taint, cordon) from a patched Node:
 * labels and annotations validated as any object's, taints as Kubernetes' validateNodeTaints (a
 * label key and value, a known effect, unique by key and effect), unschedulable a boolean. The
 * cordon taint is the API's own view of `unschedulable` and is not stored.
 */
export function nodeSpecFromNode(node: { metadata?: unknown; spec?: unknown }): { spec: NodeSpecRecord; errors: FieldError[] } {
  const meta = (typeof node.metadata === 'object' && node.metadata !== null ? node.metadata : {}) as Record<string, unknown>;
  const spec = (typeof node.spec === 'object' && node.spec !== null ? node.spec : {}) as Record<string, unknown>;
  const errors: FieldError[] = [];
  const map = (value: unknown, field: string): Record<string, string> => {
    if (value === undefined || value === null) return {};
    if (isStringRecord(value)) return value;
    errors.push(invalid(field, value, 'must be a map of strings'));
    return {};
  };
  const { [ANNOTATION_RUNNING_PODS]: _running, ...annotations } = map(meta.annotations, 'metadata.annotations');
  const labels = map(meta.labels, 'metadata.labels');
  errors.push(...validateLabels(labels, 'metadata.labels'), ...validateAnnotations(annotations, 'metadata.annotations'));
  let unschedulable = false;
  if (spec.unschedulable !== undefined && spec.unschedulable !== null) {
    if (typeof spec.unschedulable === 'boolean') unschedulable = spec.unschedulable;
    else errors.push(invalid('spec.unschedulable', spec.unschedulable, 'must be a boolean'));
  }
  const taints: Taint[] = [];
  const raw = spec.taints ?? [];
  if (!Array.isArray(raw)) errors.push(invalid('spec.taints', raw, 'must be a list of taints'));
  else {
    const seen = new Set<string>();
    raw.forEach((t: unknown, i) => {
      const field = `spec.taints[${i}]`;
      if (typeof t !== 'object' || t === null || Array.isArray(t)) {
        errors.push(invalid(field, t, 'must be an object'));
        return;
      }
      const { key, value, effect, timeAdded } = t as Record<string, unknown>;
      const k = typeof key === 'string' ? key : '';
      const v = typeof value === 'string' ? value : '';
      const e = typeof effect === 'string' ? effect : '';
      errors.push(...isQualifiedName(k).map((m) => invalid(`${field}.key`, k, m)));
      const valueErrors = isLabelValue(v);
      if (valueErrors.length > 0) errors.push(invalid(`${field}.value`, v, valueErrors.join(';')));
      if (e === '') errors.push(required(`${field}.effect`));
      else if (!TAINT_EFFECTS.includes(e)) errors.push(notSupported(`${field}.effect`, e, TAINT_EFFECTS));
      if (seen.has(`${e}\u0000${k}`)) {
        errors.push({ ...duplicate(field, t), detail: 'taints must be unique by key and effect pair' });
        return;
      }
      seen.add(`${e}\u0000${k}`);
      // The cordon taint shows `unschedulable`; it is not kept as a taint of its own.
      if (k === TAINT_UNSCHEDULABLE && e === 'NoSchedule') return;
      taints.push({ key: k, ...(v ? { value: v } : {}), effect: e as Taint['effect'], ...(typeof timeAdded === 'string' ? { timeAdded } : {}) });
    });
  }
  return { spec: { labels, annotations, taints, unschedulable }, errors };
}
