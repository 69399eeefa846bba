/**
 * A pod's quality-of-service class (status.qosClass), as Kubernetes' GetPodQOS computes it
 * (pkg/apis/core/v1/helper/qos): from the cpu and memory requests and limits of all its containers.
 */
import { tryParseQuantity } from './quantity.js';
import type { Container, PodQOSClass, PodSpec } from './types.js';

/** The resources QoS is computed from (isSupportedQoSComputeResource). */
const QOS_RESOURCES = ['cpu', 'memory'] as const;

/** A positive amount of a QoS resource (zero, negative and unreadable amounts count as unset). */
function positive(value: unknown): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const n = tryParseQuantity(value);
  return n !== undefined && n > 0 ? n : undefined;
}

/**
 * BestEffort: no container requests or limits cpu or memory. Guaranteed: every container limits
 * both, and every request equals its limit (a request left out defaults to the limit, as the API
 * server defaults it). Burstable otherwise.
 */
export function podQOSClass(spec: Pick<PodSpec, 'containers' | 'initContainers'>): PodQOSClass {
  const requests = new Map<string, number>();
  const limits = new Map<string, number>();
  let guaranteed = true;
  // A pod read back from the store may be malformed: what is not a list of containers counts as none.
  const list = (value: unknown): Container[] => (Array.isArray(value) ? value.filter((c): c is Container => typeof c === 'object' && c !== null) : []);
  const all = [...list(spec.containers), ...list(spec.initContainers)];
  for (const c of all) {
    let limitsFound = 0;
    for (const name of QOS_RESOURCES) {
      const limit = positive(c.resources?.limits?.[name]);
      // The API server defaults a missing request to the limit.
      const request = positive(c.resources?.requests?.[name] ?? c.resources?.limits?.[name]);
      if (request !== undefined) requests.set(name, (requests.get(name) ?? 0) + request);
      if (limit !== undefined) {
        limits.set(name, (limits.get(name) ?? 0) + limit);
        limitsFound++;
      }
    }
    if (limitsFound < QOS_RESOURCES.length) guaranteed = false;
  }
  if (requests.size === 0 && limits.size === 0) return 'BestEffort';
  if (guaranteed) {
    for (const [name, request] of requests) {
      if (limits.get(name) !== request) guaranteed = false;
    }
  }
  return guaranteed && requests.size === limits.size ? 'Guaranteed' : 'Burstable';
}
