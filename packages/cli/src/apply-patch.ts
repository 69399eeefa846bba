/**
 * What `jobfleet apply` sends for a Job that exists: a JSON merge patch (RFC 7386) holding
 * - each field the manifest sets whose live value differs; what the server filled in where the
 *   manifest says nothing (defaults, the generated selector and labels) counts as no difference;
 * - null for each field the previous apply set (the last-applied-configuration annotation) that the
 *   manifest no longer sets, so the server drops or re-defaults it (kubectl apply's deletions).
 * Lists are sent whole. A null in the manifest means "not set". An empty patch means the Job already
 * is as the manifest says. Pure.
 */

export const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

export type JsonObject = Record<string, unknown>;

export function applyPatch(desired: JsonObject, live: unknown, lastApplied: unknown): JsonObject {
  const liveObject = isPlainObject(live) ? live : {};
  const lastObject = isPlainObject(lastApplied) ? lastApplied : {};
  const patch: JsonObject = {};
  for (const key of new Set([...Object.keys(desired), ...Object.keys(lastObject)])) {
    const want = desired[key];
    const have = liveObject[key];
    if (isUnset(want)) {
      if (!isUnset(lastObject[key]) && !isUnset(have)) patch[key] = null;
    } else if (isPlainObject(want) && isPlainObject(have)) {
      const nested = applyPatch(want, have, lastObject[key]);
      if (Object.keys(nested).length > 0) patch[key] = nested;
    } else if (!isSubset(want, have)) {
      patch[key] = want;
    }
  }
  return patch;
}

/** The configuration the last apply recorded on the object, if any. */
export function lastAppliedOf(object: { metadata?: { annotations?: Record<string, string> } }): JsonObject | undefined {
  const text = object.metadata?.annotations?.[LAST_APPLIED_ANNOTATION];
  if (!text) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isPlainObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether the live value already has everything the desired one sets: equal scalars, objects whose
 * set fields all match, lists of the same length matching element by element.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && desired.length === live.length && desired.every((item, i) => isSubset(item, live[i]));
  }
  if (isPlainObject(desired)) {
    return isPlainObject(live) && Object.entries(desired).every(([key, value]) => isUnset(value) || isSubset(value, live[key]));
  }
  return desired === live;
}

function isUnset(value: unknown): value is null | undefined {
  return value === null || value === undefined;
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
