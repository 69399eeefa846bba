/**
 * The core/v1 objects jobfleet serves besides Jobs and Pods: Events (written by the Job
 * controller), and the Nodes and Namespaces it synthesises from its own records. Pure: the API
 * server reads the records and the time, these functions build the Kubernetes objects.
 */
import { k8sTime } from './controller/time.js';
import type { ConditionStatus, ObjectMeta } from './types.js';

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
  spec: { unschedulable?: boolean };
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
  capacity: { pods: number; cpu?: string | number; memory?: string | number };
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

/** A core/v1 Node from a worker's heartbeat record; uid and creationTimestamp come from its start. */
export function nodeFromHeartbeat(hb: NodeHeartbeat, now: number, graceMs: number): Node {
  const capacity: Record<string, string> = { pods: String(hb.capacity.pods) };
  if (hb.capacity.cpu !== undefined) capacity.cpu = String(hb.capacity.cpu);
  if (hb.capacity.memory !== undefined) capacity.memory = String(hb.capacity.memory);
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: hb.name,
      uid: `node-${hb.name}-${hb.startedAt ?? 0}`,
      resourceVersion: String(hb.heartbeat),
      ...(hb.startedAt !== undefined ? { creationTimestamp: k8sTime(hb.startedAt) } : {}),
      labels: nodeLabels(hb.name, hb.labels),
      annotations: { [ANNOTATION_RUNNING_PODS]: String(hb.running ?? 0) },
    },
    spec: {},
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
