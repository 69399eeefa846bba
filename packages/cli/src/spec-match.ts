/**
 * Whether a live Job already has everything a manifest asks for: every field set in the manifest has the
 * same value in the live object, and fields the server filled in (defaults, generated selector and
 * labels) are ignored. Arrays must have the same length and match element by element.
 */
export function isSubset(desired: unknown, live: unknown): boolean {
  if (Array.isArray(desired)) {
    return Array.isArray(live) && desired.length === live.length && desired.every((item, i) => isSubset(item, live[i]));
  }
  if (isPlainObject(desired)) {
    return isPlainObject(live) && Object.entries(desired).every(([key, value]) => value === null || value === undefined || isSubset(value, live[key]));
  }
  return desired === live;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
