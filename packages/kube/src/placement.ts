/**
 * Where a pod may run: the default scheduler's filters (Kubernetes 1.32, pkg/scheduler/framework/
 * plugins: NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodeResourcesFit), the
 * pod's requests as component-helpers' resource.PodRequests counts them, and the FitError message
 * a pod that fits nowhere gets ("0/3 nodes are available: …"). Pure: no I/O, no clock.
 */
import { effectiveTaints, nodeLabelsWithSpec, nodeSelectorMatches, TAINT_UNSCHEDULABLE, type NodeSpecRecord } from './cluster-objects.js';
import { parseQuantity } from './quantity.js';
import type { Container, NodeSelectorRequirement, NodeSelectorTerm, PodSpec, Taint, TaintEffect, Toleration } from './types.js';
import { isLabelValue, isQualifiedName } from './validation-meta.js';

/** Canonical units: cpu in millicores, memory and ephemeral-storage in bytes, other resources (pods, nvidia.com/gpu) as counts. */
export type ResourceList = Record<string, number>;

export const RESOURCE_CPU = 'cpu';
export const RESOURCE_MEMORY = 'memory';
export const RESOURCE_EPHEMERAL_STORAGE = 'ephemeral-storage';
export const RESOURCE_PODS = 'pods';
/** The taint a cordoned node has; a pod that tolerates it may go to an unschedulable node. */

/** The filters' reasons (Kubernetes 1.32's texts). */
export const REASON_UNSCHEDULABLE = 'node(s) were unschedulable';
export const REASON_NODE_NAME = "node(s) didn't match the requested node name";
export const REASON_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const REASON_TOO_MANY_PODS = 'Too many pods';
export const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
/** The scheduler's answer when there is no node at all (ErrNoNodesAvailable). */
export const NO_NODES_AVAILABLE = 'no nodes available to schedule pods';

/** TaintToleration's reason for the first taint the pod does not tolerate. */
export function untoleratedTaintReason(taint: Taint): string {
  return `node(s) had untolerated taint {${taint.key}: ${taint.value ?? ''}}`;
}

/** NodeResourcesFit's reason for a resource the node lacks. */
export function insufficientReason(resource: string): string {
  return `Insufficient ${resource}`;
}

/** A quantity in the resource's canonical unit, rounded up as resource.Quantity.MilliValue and Value do. */
function canonical(name: string, quantity: string | number): number {
  const value = parseQuantity(quantity);
  // toPrecision(15) drops binary noise such as 1.1 * 1000 = 1100.0000000000002 before rounding up.
  const exact = (x: number) => Number(x.toPrecision(15));
  return name === RESOURCE_CPU ? Math.ceil(exact(value * 1000)) : Math.ceil(exact(value));
}

/** Quantities (as a manifest has them) in canonical units. Throws BadRequestError on a malformed quantity. */
export function toResourceList(quantities: Record<string, string | number> | undefined): ResourceList {
  const list: ResourceList = {};
  for (const [name, quantity] of Object.entries(quantities ?? {})) list[name] = canonical(name, quantity);
  return list;
}

function add(into: ResourceList, list: ResourceList): void {
  for (const [name, value] of Object.entries(list)) into[name] = (into[name] ?? 0) + value;
}

function max(into: ResourceList, list: ResourceList): void {
  for (const [name, value] of Object.entries(list)) into[name] = Math.max(into[name] ?? 0, value);
}

/** A container's requests after the API server's defaulting: a resource with a limit and no request requests its limit. */
function containerRequests(container: Container): ResourceList {
  const { limits, requests } = container.resources ?? {};
  return { ...toResourceList(limits), ...toResourceList(requests) };
}

/**
 * Kubernetes' resourcehelper.PodRequests (k8s.io/component-helpers/resource): the regular
 * containers and the sidecars (restartable init containers) run together; each other init
 * container runs alone beside the sidecars started before it; the pod needs the larger of the two.
 */
export function podRequests(spec: PodSpec): ResourceList {
  const requests: ResourceList = {};
  for (const container of spec.containers) add(requests, containerRequests(container));
  const sidecars: ResourceList = {};
  const initPeak: ResourceList = {};
  for (const container of spec.initContainers ?? []) {
    const own = containerRequests(container);
    if (container.restartPolicy === 'Always') {
      add(requests, own);
      add(sidecars, own);
      max(initPeak, sidecars);
    } else {
      const running: ResourceList = { ...own };
      add(running, sidecars);
      max(initPeak, running);
    }
  }
  max(requests, initPeak);
  return requests;
}

/** What the filters know of a node. */
export interface NodeView {
  name: string;
  labels: Record<string, string>;
  taints: Taint[];
  unschedulable: boolean;
  /** Includes `pods`. */
  allocatable: ResourceList;
  /** Sum of podRequests of pods bound to it and not finished. */
  requested: ResourceList;
  podCount: number;
}

/**
 * A node as placement sees it: its kubelet labels (name, OS, architecture) over what was set on it,
 * its taints with the cordon's, what it has and what its pods hold.
 */
export function nodeView(node: { name: string; labels?: Record<string, string> | undefined }, spec: NodeSpecRecord, allocatable: ResourceList, requested: ResourceList, podCount: number): NodeView {
  return { name: node.name, labels: nodeLabelsWithSpec(node, spec), taints: effectiveTaints(spec), unschedulable: spec.unschedulable === true, allocatable, requested, podCount };
}

export interface Fit {
  reasons: string[];
  /**
   * True when the node can never take the pod as it is (affinity, selector, taints, node name,
   * unschedulable, or a request above allocatable), false when only current use is in the way.
   */
  unresolvable: boolean;
}

const FITS: Fit = { reasons: [], unresolvable: false };
const DO_NOT_SCHEDULE: TaintEffect[] = ['NoSchedule', 'NoExecute'];

/**
 * Runs the filters in the default scheduler's order: NodeUnschedulable, NodeName,
 * TaintToleration, NodeAffinity (nodeSelector AND required node affinity), NodeResourcesFit
 * (incl. "Too many pods"). As the scheduler, it stops at the first filter that fails, so the
 * reasons are that filter's. Empty reasons = fits.
 */
export function fitsNode(spec: PodSpec, requests: ResourceList, node: NodeView): Fit {
  const tolerations = spec.tolerations;
  if (node.unschedulable && !tolerationsTolerate(tolerations, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' })) {
    return { reasons: [REASON_UNSCHEDULABLE], unresolvable: true };
  }
  if (spec.nodeName && spec.nodeName !== node.name) return { reasons: [REASON_NODE_NAME], unresolvable: true };
  const taint = untoleratedTaint(node.taints, tolerations, DO_NOT_SCHEDULE);
  if (taint) return { reasons: [untoleratedTaintReason(taint)], unresolvable: true };
  if (!nodeAffinityMatches(spec, node)) return { reasons: [REASON_NODE_AFFINITY], unresolvable: true };
  return resourcesFit(requests, node);
}

/** NodeResourcesFit's fitsRequest: pods first, then cpu, memory, ephemeral-storage, then the others by name. */
function resourcesFit(requests: ResourceList, node: NodeView): Fit {
  const allocatable = (name: string) => node.allocatable[name] ?? 0;
  const reasons: string[] = [];
  let unresolvable = false;
  const lacking = (reason: string, requested: number, name: string) => {
    reasons.push(reason);
    if (requested > allocatable(name)) unresolvable = true;
  };
  if (node.podCount + 1 > allocatable(RESOURCE_PODS)) lacking(REASON_TOO_MANY_PODS, 1, RESOURCE_PODS);
  const others = Object.keys(requests)
    .filter((name) => ![RESOURCE_CPU, RESOURCE_MEMORY, RESOURCE_EPHEMERAL_STORAGE, RESOURCE_PODS].includes(name))
    .sort();
  for (const name of [RESOURCE_CPU, RESOURCE_MEMORY, RESOURCE_EPHEMERAL_STORAGE, ...others]) {
    const requested = requests[name] ?? 0;
    if (requested > 0 && requested > allocatable(name) - (node.requested[name] ?? 0)) lacking(insufficientReason(name), requested, name);
  }
  return reasons.length === 0 ? FITS : { reasons, unresolvable };
}

/**
 * Kubernetes' v1helper.FindMatchingUntoleratedTaint: the first taint with one of `effects` that no
 * toleration tolerates.
 */
export function untoleratedTaint(taints: Taint[], tolerations: Toleration[] | undefined, effects: TaintEffect[]): Taint | undefined {
  return taints.find((taint) => effects.includes(taint.effect) && !tolerationsTolerate(tolerations, taint));
}

function tolerationsTolerate(tolerations: Toleration[] | undefined, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  return (tolerations ?? []).some((toleration) => toleratesTaint(toleration, taint));
}

/**
 * core/v1 Toleration.ToleratesTaint: an empty effect matches every effect, an empty key (with
 * Exists) every key; Equal (or no operator) needs the same value.
 */
export function toleratesTaint(toleration: Toleration, taint: Pick<Taint, 'key' | 'value' | 'effect'>): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  const operator: string = toleration.operator ?? '';
  if (operator === '' || operator === 'Equal') return (toleration.value ?? '') === (taint.value ?? '');
  return operator === 'Exists';
}

/**
 * Kubernetes' taint-eviction controller (pkg/controller/tainteviction, processPodOnNode) for a pod
 * bound to a node with these taints: 'now' when a NoExecute taint is tolerated by none of the pod's
 * tolerations; else, when the tolerations used (the first that tolerates each NoExecute taint) set
 * tolerationSeconds, the time the pod goes: the earliest `since(taint)` + its seconds (a negative
 * one counting as 0; `since`: from when the taint applies to the pod); undefined when it may stay (no
 * NoExecute taint, or every one tolerated for ever).
 */
export function noExecuteEviction(tolerations: Toleration[] | undefined, taints: Taint[], since: (taint: Taint) => number): 'now' | number | undefined {
  let at: number | undefined;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const used = (tolerations ?? []).find((t) => toleratesTaint(t, taint));
    if (!used) return 'now';
    if (typeof used.tolerationSeconds === 'number') at = Math.min(at ?? Infinity, since(taint) + Math.max(0, used.tolerationSeconds) * 1000);
  }
  return at;
}

/** The scheduler's highest score per plugin (framework.MaxNodeScore). */
const MAX_NODE_SCORE = 100;
/** The default profile's weights of the two score plugins jobfleet runs (kube-scheduler config v1 defaults). */
const NODE_AFFINITY_WEIGHT = 2;
const TAINT_TOLERATION_WEIGHT = 3;

/**
 * Whether a node's score could be below another's for this pod: the pod has preferred node affinity
 * (a term of non-zero weight), or the node has a PreferNoSchedule taint the pod does not tolerate.
 * False: every node scores the same or this one is among the best, so no other is preferred to it.
 */
export function mayPreferOtherNodes(spec: PodSpec, node: Pick<NodeView, 'taints'>): boolean {
  return preferredTerms(spec).length > 0 || intolerablePreferNoSchedule(spec, node.taints) > 0;
}

/**
 * The default scheduler's score of each node for a pod from its NodeAffinity and TaintToleration
 * plugins (pkg/scheduler/framework/plugins/{nodeaffinity,tainttoleration}, Kubernetes 1.32): the sum
 * of the weights of the preferred terms a node matches, and the number of PreferNoSchedule taints it
 * has that the pod does not tolerate, each normalized over `nodes` to 0–100 (the taints' reversed:
 * fewer is better) as DefaultNormalizeScore does, times the plugin's weight (2 and 3). The other
 * score plugins (resources, spread, image locality) are not run.
 */
export function preferenceScores(spec: PodSpec, nodes: readonly Pick<NodeView, 'name' | 'labels' | 'taints'>[]): number[] {
  const terms = preferredTerms(spec);
  const affinity = nodes.map((node) => terms.reduce((sum, term) => (termMatches(term.preference, node) ? sum + term.weight : sum), 0));
  const taints = nodes.map((node) => intolerablePreferNoSchedule(spec, node.taints));
  const affinityScores = normalizeScores(affinity, false);
  const taintScores = normalizeScores(taints, true);
  return nodes.map((_, i) => NODE_AFFINITY_WEIGHT * (affinityScores[i] ?? 0) + TAINT_TOLERATION_WEIGHT * (taintScores[i] ?? 0));
}

/** The preferred terms that count: non-zero weight and a non-empty preference (NewPreferredSchedulingTerms). */
function preferredTerms(spec: PodSpec) {
  const terms = spec.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? [];
  return terms.filter((t) => t.weight !== 0 && ((t.preference.matchExpressions ?? []).length > 0 || (t.preference.matchFields ?? []).length > 0));
}

/** countIntolerableTaintsPreferNoSchedule: the tolerations with effect PreferNoSchedule or none, against the node's PreferNoSchedule taints. */
function intolerablePreferNoSchedule(spec: PodSpec, taints: readonly Taint[]): number {
  const tolerations = (spec.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule');
  return taints.filter((taint) => taint.effect === 'PreferNoSchedule' && !tolerationsTolerate(tolerations, taint)).length;
}

/** helper.DefaultNormalizeScore(MaxNodeScore, reverse): scaled to 0–100 by the highest (integer division); all 0 (reversed: 100) when the highest is 0. */
function normalizeScores(scores: number[], reverse: boolean): number[] {
  const max = Math.max(0, ...scores);
  if (max === 0) return scores.map(() => (reverse ? MAX_NODE_SCORE : 0));
  return scores.map((score) => {
    const scaled = Math.trunc((MAX_NODE_SCORE * score) / max);
    return reverse ? MAX_NODE_SCORE - scaled : scaled;
  });
}

/** The node fields a matchFields requirement can select on. */
const NODE_NAME_FIELD = 'metadata.name';

/**
 * Kubernetes' nodeaffinity.GetRequiredNodeAffinity(pod).Match(node): the nodeSelector's labels,
 * and one of the required terms (ORed; a term's requirements ANDed; an empty term or one that does
 * not parse matches nothing).
 */
export function nodeAffinityMatches(spec: PodSpec, node: { name: string; labels: Record<string, string> }): boolean {
  if (!nodeSelectorMatches(spec.nodeSelector, node.labels)) return false;
  const required = spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return required.nodeSelectorTerms.some((term) => termMatches(term, node));
}


/** nodeSelectorTerm.match: matchExpressions against the labels, matchFields against metadata.name. */
function termMatches(term: NodeSelectorTerm, node: { name: string; labels: Record<string, string> }): boolean {
  const expressions = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (expressions.length === 0 && fields.length === 0) return false;
  if (!expressions.every(parsesAsLabelRequirement) || !fields.every(parsesAsFieldRequirement)) return false;
  return expressions.every((rq) => labelRequirementMatches(rq, node.labels)) && fields.every((rq) => fieldRequirementMatches(rq, node.name));
}

/** labels.NewRequirement's checks: a label key, the operator's number of values, label values, integers for Gt and Lt. */
function parsesAsLabelRequirement(rq: NodeSelectorRequirement): boolean {
  const values = rq.values ?? [];
  if (isQualifiedName(rq.key).length > 0) return false;
  if (!values.every((value) => isLabelValue(value).length === 0)) return false;
  const operator: string = rq.operator;
  switch (operator) {
    case 'In':
    case 'NotIn':
      return values.length > 0;
    case 'Exists':
    case 'DoesNotExist':
      return values.length === 0;
    case 'Gt':
    case 'Lt':
      return values.length === 1 && parseInt64(values[0] ?? '') !== undefined;
    default:
      return false;
  }
}

function labelRequirementMatches(rq: NodeSelectorRequirement, labels: Record<string, string>): boolean {
  const has = Object.hasOwn(labels, rq.key);
  const label = has ? labels[rq.key] ?? '' : '';
  const values = rq.values ?? [];
  switch (rq.operator) {
    case 'In':
      return has && values.includes(label);
    case 'NotIn':
      return !has || !values.includes(label);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      const actual = has ? parseInt64(label) : undefined;
      const bound = parseInt64(values[0] ?? '');
      if (actual === undefined || bound === undefined) return false;
      return rq.operator === 'Gt' ? actual > bound : actual < bound;
    }
    default:
      return false;
  }
}

/** nodeSelectorRequirementsAsFieldSelector: In or NotIn with exactly one value. */
function parsesAsFieldRequirement(rq: NodeSelectorRequirement): boolean {
  const operator: string = rq.operator;
  return (operator === 'In' || operator === 'NotIn') && (rq.values ?? []).length === 1;
}

/** A field the node does not have reads as "" (fields.Set.Get); a node without a name has no fields to check. */
function fieldRequirementMatches(rq: NodeSelectorRequirement, nodeName: string): boolean {
  if (nodeName === '') return true;
  const actual = rq.key === NODE_NAME_FIELD ? nodeName : '';
  const equal = actual === (rq.values ?? [])[0];
  return rq.operator === 'In' ? equal : !equal;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's strconv.ParseInt(text, 10, 64): an optional sign and decimal digits, within int64. */
function parseInt64(text: string): bigint | undefined {
  if (!/^[+-]?[0-9]+$/.test(text)) return undefined;
  const value = BigInt(text);
  return value < INT64_MIN || value > INT64_MAX ? undefined : value;
}

/**
 * The default scheduler's message for a pod that fits on no node: Kubernetes' FitError.Error()
 * (pkg/scheduler/framework/types.go, 1.32) followed by the default preemption's message
 * (defaultpreemption's PostFilter: "preemption: " and the FitError of its dry run). jobfleet's pods
 * all have the same priority, so preemption never finds victims: a node that failed only on
 * resources (NodeResourcesFit, which answers Unschedulable in 1.32) reports "No preemption victims
 * found for incoming pod", any other node (and one missing from `reasonsPerNode`) "Preemption is
 * not helpful for scheduling". No node at all is the scheduler's ErrNoNodesAvailable.
 */
export function unschedulableMessage(nodeCount: number, reasonsPerNode: string[][]): string {
  if (nodeCount === 0) return NO_NODES_AVAILABLE;
  const preemption = reasonsPerNode.map((reasons) => [
    reasons.length > 0 && reasons.every(isResourceReason) ? NO_PREEMPTION_VICTIMS : PREEMPTION_NOT_HELPFUL,
  ]);
  for (let i = reasonsPerNode.length; i < nodeCount; i++) preemption.push([PREEMPTION_NOT_HELPFUL]);
  const postFilterMsg = `preemption: ${fitErrorMessage(nodeCount, preemption)}`;
  return fitErrorMessage(nodeCount, reasonsPerNode, { postFilterMsg });
}

/** What FitError.Error() prints besides the filters' reasons (Diagnosis.PreFilterMsg and PostFilterMsg). */
export interface FitDiagnosis {
  preFilterMsg?: string;
  postFilterMsg?: string;
}

/**
 * Kubernetes' FitError.Error() (1.32): "0/N nodes are available:", then the PreFilter message or
 * the histogram of the nodes' reasons ("<count> <reason>", sorted as Go's sort.Strings sorts
 * them), each followed by a period, then the PostFilter message as it is.
 */
export function fitErrorMessage(nodeCount: number, reasonsPerNode: readonly (readonly string[])[], diagnosis: FitDiagnosis = {}): string {
  let message = `0/${nodeCount} nodes are available:`;
  if (diagnosis.preFilterMsg) {
    message += ` ${diagnosis.preFilterMsg}.`;
  } else {
    const filterMsg = histogram(reasonsPerNode);
    if (filterMsg.length > 0) message += ` ${filterMsg.join(', ')}.`;
  }
  if (diagnosis.postFilterMsg) message += ` ${diagnosis.postFilterMsg}`;
  return message;
}

/** "<count> <reason>" for each distinct reason. */
function histogram(reasonsPerNode: readonly (readonly string[])[]): string[] {
  const counts = new Map<string, number>();
  for (const reasons of reasonsPerNode) for (const reason of reasons) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...counts].map(([reason, count]) => `${count} ${reason}`).sort(byBytes);
}

const utf8 = new TextEncoder();

/** Go compares strings byte by byte (UTF-8); JavaScript's default sort compares UTF-16 units. */
function byBytes(a: string, b: string): number {
  const x = utf8.encode(a);
  const y = utf8.encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = (x[i] ?? 0) - (y[i] ?? 0);
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function isResourceReason(reason: string): boolean {
  return reason === REASON_TOO_MANY_PODS || reason.startsWith('Insufficient ');
}
