import { podQOSClass } from '../qos.js';
import type { Affinity, Container, Job, NodeSelectorRequirement, Pod, PodStatus } from '../types.js';
import { COMPLETION_INDEX_ENV, COMPLETION_INDEX_KEY, JOB_TRACKING_FINALIZER, jobPodLabels } from './labels.js';
import { k8sTime, parseTime } from './time.js';

/** The alphabet and length of the random suffix the API server appends to generateName. */
const NAME_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';
const MAX_GENERATE_NAME_BASE = 58;

export function randomSuffix(random: () => number = Math.random, length = 5): string {
  let out = '';
  for (let i = 0; i < length; i++) out += NAME_ALPHABET[Math.floor(random() * NAME_ALPHABET.length)];
  return out;
}

/**
 * The pod's generateName base, at most 58 characters. An Indexed pod keeps its "-<index>-" tail:
 * the Job name is shortened instead (Kubernetes' podGenerateNameWithIndex).
 */
export function podGenerateName(job: Job, index: number | undefined): string {
  const name = job.metadata.name ?? '';
  if (index === undefined) return `${name}-`.slice(0, MAX_GENERATE_NAME_BASE);
  const tail = `-${index}-`;
  const base = `${name}${tail}`;
  return base.length > MAX_GENERATE_NAME_BASE ? name.slice(0, MAX_GENERATE_NAME_BASE - tail.length) + tail : base;
}

export function isIndexed(job: Job): boolean {
  return job.spec.completionMode === 'Indexed';
}

export interface NewPodParams {
  name: string;
  uid: string;
  index?: number;
  now: number;
  /** Added to the template's annotations (e.g. the index's failure counts under backoffLimitPerIndex). */
  annotations?: Record<string, string>;
}

/** A Pod as the Job controller creates it from the Job's template: Pending, not yet on a node. */
export function newPodForJob(job: Job, params: NewPodParams): Pod {
  const { name, uid, index, now } = params;
  const jobName = job.metadata.name ?? '';
  const jobUid = job.metadata.uid ?? '';
  const template = job.spec.template;
  const labels = { ...(template.metadata?.labels ?? {}), ...jobPodLabels(jobName, jobUid) };
  const annotations = { ...(template.metadata?.annotations ?? {}), ...(params.annotations ?? {}) };
  if (index !== undefined) {
    labels[COMPLETION_INDEX_KEY] = String(index);
    annotations[COMPLETION_INDEX_KEY] = String(index);
  }
  const withIndexEnv = (c: Container): Container =>
    index === undefined
      ? c
      : {
          ...c,
          env: [
            ...(c.env ?? []),
            {
              name: COMPLETION_INDEX_ENV,
              valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.labels['${COMPLETION_INDEX_KEY}']` } },
            },
          ],
        };
  const { nodeName: pinnedTo, ...templateSpec } = template.spec;
  const spec = {
    ...templateSpec,
    // A template's nodeName becomes required node affinity to that node, as Kubernetes' DaemonSet
    // controller does (ReplaceDaemonSetPodNodeNameNodeAffinity): the pod waits, Pending, for that worker
    // to take it like any other, and spec.nodeName says where it runs once it does.
    ...(pinnedTo ? { affinity: withNodeNameAffinity(template.spec.affinity, pinnedTo) } : {}),
    // As SetDefaults_PodSpec: every pod has a securityContext (kubectl debug reads it without a nil check).
    securityContext: template.spec.securityContext ?? {},
    containers: template.spec.containers.map(withIndexEnv),
    ...(template.spec.initContainers ? { initContainers: template.spec.initContainers.map(withIndexEnv) } : {}),
    ...(index !== undefined ? { hostname: `${jobName}-${index}` } : {}),
  };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      generateName: podGenerateName(job, index),
      namespace: job.metadata.namespace,
      uid,
      creationTimestamp: k8sTime(now),
      labels,
      ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      ownerReferences: [
        { apiVersion: 'batch/v1', kind: 'Job', name: jobName, uid: jobUid, controller: true, blockOwnerDeletion: true },
      ],
      finalizers: [JOB_TRACKING_FINALIZER],
    },
    spec,
    status: pendingStatus(job),
  };
}

/** `affinity` with its required node terms ANDed with `metadata.name In [node]` (one term of that alone when it had none). */
function withNodeNameAffinity(affinity: Affinity | undefined, node: string): Affinity {
  const byName: NodeSelectorRequirement = { key: 'metadata.name', operator: 'In', values: [node] };
  const required = affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  const terms = required?.nodeSelectorTerms?.length ? required.nodeSelectorTerms : [{}];
  const nodeSelectorTerms = terms.map((t) => ({ ...t, matchFields: [...(t.matchFields ?? []).filter((f) => f.key !== 'metadata.name'), byName] }));
  return { ...affinity, nodeAffinity: { ...affinity?.nodeAffinity, requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms } } };
}

function pendingStatus(job: Job): PodStatus {
  return {
    phase: 'Pending',
    conditions: [{ type: 'PodScheduled', status: 'False', reason: 'Unschedulable', message: 'waiting for a worker node' }],
    // imageID and lastState: the Kubernetes schema requires them of every container status.
    containerStatuses: job.spec.template.spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      imageID: '',
      ready: false,
      restartCount: 0,
      started: false,
      state: { waiting: { reason: 'ContainerCreating' } },
      lastState: {},
    })),
    qosClass: podQOSClass(job.spec.template.spec),
  };
}

export function podIndex(pod: Pod): number | undefined {
  const raw = pod.metadata.annotations?.[COMPLETION_INDEX_KEY];
  return raw === undefined ? undefined : Number(raw);
}

/** Ended: Succeeded or Failed (false for a record without a status, as hostile data may be). */
export function isPodFinished(pod: Pod): boolean {
  const phase = (pod.status as Pod['status'] | undefined)?.phase;
  return phase === 'Succeeded' || phase === 'Failed';
}

export function podRestartCount(pod: Pod): number {
  const all = [...(pod.status.initContainerStatuses ?? []), ...(pod.status.containerStatuses ?? [])];
  return all.reduce((n, s) => n + s.restartCount, 0);
}

export function isPodReady(pod: Pod): boolean {
  return pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
}

/**
 * When the pod finished, for the controller's re-creation backoff, as Kubernetes' getFinishedTime
 * (pkg/controller/job/backoff_utils.go): the latest finishedAt when every container terminated
 * with one; else the lastTransitionTime of a Ready=False condition; else the deletionTimestamp
 * less the grace period; else the creationTimestamp. A pod that never started (missing image,
 * refused config) has no container finish time and still gets one, so it backs off like any
 * failed pod. Undefined only when even the creationTimestamp is missing or unreadable.
 */
export function podFinishTime(pod: Pod): number | undefined {
  return finishTimeFromContainers(pod) ?? readyFalseTime(pod) ?? deletionTime(pod) ?? parseTime(pod.metadata.creationTimestamp);
}

function finishTimeFromContainers(pod: Pod): number | undefined {
  const statuses = pod.status.containerStatuses ?? [];
  let latest: number | undefined;
  for (const s of statuses) {
    const t = parseTime(s.state.terminated?.finishedAt);
    // One container not finished (or with no time) and the pod's time comes from elsewhere.
    if (t === undefined) return undefined;
    if (latest === undefined || t > latest) latest = t;
  }
  return latest;
}

function readyFalseTime(pod: Pod): number | undefined {
  const ready = pod.status.conditions?.find((c) => c.type === 'Ready');
  return ready?.status === 'False' ? parseTime(ready.lastTransitionTime) : undefined;
}

function deletionTime(pod: Pod): number | undefined {
  const at = parseTime(pod.metadata.deletionTimestamp);
  if (at === undefined) return undefined;
  const grace = pod.metadata.deletionGracePeriodSeconds;
  return at - (typeof grace === 'number' && Number.isFinite(grace) ? grace : 0) * 1000;
}

/**
 * A typical pod of the Job, finished, as JSON: the dictionary its pods are compressed with in
 * Redis. Pods of one Job share nearly everything (template, labels, owner, condition shapes), so
 * a stored pod shrinks from ~1.8 KB to under 100 bytes.
 */
export function podDictionary(job: Job): string {
  const pending = newPodForJob(job, { name: `${job.metadata.name}-bcdfg`, uid: '00000000-0000-0000-0000-000000000000', now: 0 });
  const t = '1970-01-01T00:00:00Z';
  const condition = (type: string, status: string) => ({ type, status, lastProbeTime: null, lastTransitionTime: t });
  // A copy of what differs only (a structuredClone of the whole pod took ~40 µs of each Job's creation).
  const pod: Pod = { ...pending, spec: { ...pending.spec, nodeName: 'node' } };
  // As a worker reports it (the kubelet's conditions, in its order; the node's fields last).
  pod.status = {
    startTime: t,
    containerStatuses: job.spec.template.spec.containers.map((c) => ({
      name: c.name,
      image: c.image,
      containerID: 'docker://',
      ready: false,
      started: false,
      restartCount: 0,
      state: { terminated: { exitCode: 0, reason: 'Completed', startedAt: t, finishedAt: t, containerID: 'docker://' } },
      imageID: 'docker://sha256:',
      lastState: {},
    })),
    phase: 'Succeeded',
    conditions: [
      condition('PodReadyToStartContainers', 'False'),
      { ...condition('Initialized', 'True'), reason: 'PodCompleted' },
      { ...condition('Ready', 'False'), reason: 'PodCompleted' },
      { ...condition('ContainersReady', 'False'), reason: 'PodCompleted' },
      condition('PodScheduled', 'True'),
    ] as PodStatus['conditions'],
    hostIP: '',
    hostIPs: [{ ip: '' }],
    qosClass: pending.status.qosClass ?? 'BestEffort',
  };
  // Both shapes a pod is mostly stored in; the finished one last, where deflate finds it cheapest.
  return JSON.stringify(pending) + JSON.stringify(pod);
}
