/**
 * The three patch formats of a Kubernetes PATCH, applied to a JSON object (pure):
 * - application/json-patch+json: RFC 6902 (add, remove, replace, move, copy, test);
 * - application/merge-patch+json: RFC 7386 (null deletes, objects merge, anything else replaces);
 * - application/strategic-merge-patch+json: apimachinery's strategic merge patch, where lists
 *   with a patch strategy merge by key (containers by name, env by name, ...) and the
 *   `$patch`, `$retainKeys`, `$setElementOrder/…` and `$deleteFromPrimitiveList/…` directives
 *   that `kubectl apply` computes are honoured.
 * Errors are PatchErrors; the routes answer them with 422 (json-patch) or 400 (malformed patch).
 */

import { JobfleetError } from '@jobfleet/kube';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

export class PatchError extends Error {
  override name = 'PatchError';
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

// ---------------------------------------------------------------- RFC 7386

export function applyMergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return clone(patch);
  const result: JsonObject = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = applyMergePatch(result[key] ?? null, value);
  }
  return result;
}

// ---------------------------------------------------------------- RFC 6902

export interface JsonPatchOperation {
  op: string;
  path: string;
  from?: string;
  value?: Json;
}

function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) throw new PatchError(`invalid JSON pointer "${pointer}": it must start with "/"`);
  return pointer
    .slice(1)
    .split('/')
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function arrayIndex(token: string, length: number, forInsert: boolean): number {
  if (forInsert && token === '-') return length;
  if (!/^(0|[1-9][0-9]*)$/.test(token)) throw new PatchError(`invalid array index "${token}"`);
  const index = Number(token);
  if (index > length || (!forInsert && index === length)) throw new PatchError(`array index ${index} out of bounds`);
  return index;
}

/** The container of the pointer's last token, and that token. */
function resolveParent(doc: Json, tokens: string[], pointer: string): { parent: Json; key: string } {
  let node: Json = doc;
  for (const token of tokens.slice(0, -1)) {
    if (Array.isArray(node)) node = node[arrayIndex(token, node.length, false)] ?? null;
    else if (isObject(node) && Object.hasOwn(node, token)) node = node[token] ?? null;
    else throw new PatchError(`path "${pointer}" does not exist`);
  }
  return { parent: node, key: tokens[tokens.length - 1] ?? '' };
}

function getAt(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return doc;
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) return parent[arrayIndex(key, parent.length, false)] ?? null;
  if (isObject(parent) && Object.hasOwn(parent, key)) return parent[key] ?? null;
  throw new PatchError(`path "${pointer}" does not exist`);
}

function addAt(doc: Json, pointer: string, value: Json): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) return value;
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, true), 0, value);
  else if (isObject(parent)) parent[key] = value;
  else throw new PatchError(`path "${pointer}" does not exist`);
  return doc;
}

function removeAt(doc: Json, pointer: string): Json {
  const tokens = parsePointer(pointer);
  if (tokens.length === 0) throw new PatchError('cannot remove the whole document');
  const { parent, key } = resolveParent(doc, tokens, pointer);
  if (Array.isArray(parent)) parent.splice(arrayIndex(key, parent.length, false), 1);
  else if (isObject(parent) && Object.hasOwn(parent, key)) delete parent[key];
  else throw new PatchError(`unable to remove nonexistent key: ${key}: missing value`);
  return doc;
}

/** Kubernetes' cap on the operations of one JSON patch (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10_000;
/**
 * How many bytes (of JSON) `copy` operations may add to the document in one patch, like
 * json-patch's AccumulatedCopySizeLimit: each copy of the root into itself doubles it, and thirty
 * of them in a 2 KB patch would take minutes and all the memory of the process.
 */
export const MAX_COPY_BYTES = 3 * 1024 * 1024;

export function applyJsonPatch(target: Json, operations: unknown): Json {
  if (!Array.isArray(operations)) throw new PatchError('a JSON patch must be a list of operations');
  if (operations.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new PatchError(`The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${operations.length}`);
  }
  let doc = clone(target);
  let copiedBytes = 0;
  for (const raw of operations) {
    if (!isObject(raw) || typeof raw.op !== 'string' || typeof raw.path !== 'string') {
      throw new PatchError('each JSON patch operation needs "op" and "path"');
    }
    const op = raw as unknown as JsonPatchOperation;
    const hasValue = Object.hasOwn(raw, 'value');
    switch (op.op) {
      case 'add':
        if (!hasValue) throw new PatchError('add operation does not have a value');
        doc = addAt(doc, op.path, clone(op.value ?? null));
        break;
      case 'remove':
        doc = removeAt(doc, op.path);
        break;
      case 'replace':
        if (!hasValue) throw new PatchError('replace operation does not have a value');
        getAt(doc, op.path); // must exist
        doc = op.path === '' ? clone(op.value ?? null) : addAt(removeAt(doc, op.path), op.path, clone(op.value ?? null));
        break;
      case 'move': {
        if (typeof op.from !== 'string') throw new PatchError('move operation does not have a from');
        const value = getAt(doc, op.from);
        doc = addAt(removeAt(doc, op.from), op.path, value);
        break;
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw new PatchError('copy operation does not have a from');
        const value = getAt(doc, op.from);
        copiedBytes += JSON.stringify(value).length;
        if (copiedBytes > MAX_COPY_BYTES) {
          throw new PatchError(`unable to complete the copy, the accumulated size increase of copy is ${copiedBytes}, exceeding the limit ${MAX_COPY_BYTES}`);
        }
        doc = addAt(doc, op.path, clone(value));
        break;
      }
      case 'test':
        if (JSON.stringify(canonical(getAt(doc, op.path))) !== JSON.stringify(canonical(op.value ?? null))) {
          throw new PatchError(`testing value ${op.path} failed: test failed`);
        }
        break;
      default:
        throw new PatchError(`unexpected kind: ${op.op}`);
    }
  }
  return doc;
}

/** Key order does not matter when comparing JSON values. */
function canonical(value: Json): Json {
  if (Array.isArray(value)) return value.map(canonical);
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((k) => [k, canonical(value[k] ?? null)]));
}

// ---------------------------------------------------------------- strategic merge patch

/** How a list field merges: by the value of `mergeKey` (objects), as a set (primitives), or replaced. */
export interface ListStrategy {
  mergeKey?: string;
}

/**
 * The patch strategy of a field, looked up by its path of field names from the object's root
 * (list elements add no segment): e.g. ["spec","template","spec","containers","env"].
 * Undefined means "replace" for lists (and plain merge for maps).
 */
export type PatchSchema = (path: readonly string[]) => ListStrategy | undefined;

const POD_SPEC_LISTS: Record<string, ListStrategy> = {
  containers: { mergeKey: 'name' },
  initContainers: { mergeKey: 'name' },
  ephemeralContainers: { mergeKey: 'name' },
  volumes: { mergeKey: 'name' },
  imagePullSecrets: { mergeKey: 'name' },
  hostAliases: { mergeKey: 'ip' },
  resourceClaims: { mergeKey: 'name' },
  schedulingGates: { mergeKey: 'name' },
};
const CONTAINER_LISTS: Record<string, ListStrategy> = {
  env: { mergeKey: 'name' },
  ports: { mergeKey: 'containerPort' },
  volumeMounts: { mergeKey: 'mountPath' },
  volumeDevices: { mergeKey: 'devicePath' },
};
const OBJECT_META_LISTS: Record<string, ListStrategy> = {
  finalizers: {},
  ownerReferences: { mergeKey: 'uid' },
};
const CONTAINER_FIELDS = new Set(['containers', 'initContainers', 'ephemeralContainers']);

/** A table's own entry (never one of Object.prototype's, which a path segment such as "constructor" would find). */
function entry(table: Record<string, ListStrategy>, key: string | undefined): ListStrategy | undefined {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

function objectMetaStrategy(path: readonly string[]): ListStrategy | undefined {
  return path.length === 2 && path[0] === 'metadata' ? entry(OBJECT_META_LISTS, path[1]) : undefined;
}

/** A PodSpec's lists, by the path from the PodSpec: ["containers"], ["containers","env"]. */
function podSpecStrategy(path: readonly string[]): ListStrategy | undefined {
  if (path.length === 1) return entry(POD_SPEC_LISTS, path[0]);
  if (path.length === 2 && CONTAINER_FIELDS.has(path[0] ?? '')) return entry(CONTAINER_LISTS, path[1]);
  return undefined;
}

/** A JobSpec's lists (those of its pod template), by the path from the JobSpec. */
function jobSpecStrategy(path: readonly string[]): ListStrategy | undefined {
  if (path[0] !== 'template') return undefined;
  if (path[1] === 'metadata') return objectMetaStrategy(path.slice(1));
  return path[1] === 'spec' ? podSpecStrategy(path.slice(2)) : undefined;
}

/** batch/v1 Job's patch strategies (the patchStrategy/patchMergeKey tags of k8s.io/api). */
export const JOB_PATCH_SCHEMA: PatchSchema = (path) => {
  if (path.join('.') === 'status.conditions') return { mergeKey: 'type' };
  return objectMetaStrategy(path) ?? (path[0] === 'spec' ? jobSpecStrategy(path.slice(1)) : undefined);
};

/**
 * batch/v1 CronJob's patch strategies: its metadata's, and in spec.jobTemplate those of a Job's
 * metadata and spec (containers by name, env by name, …). status.active is atomic (replaced).
 */
export const CRONJOB_PATCH_SCHEMA: PatchSchema = (path) => {
  if (path[0] !== 'spec' || path[1] !== 'jobTemplate') return objectMetaStrategy(path);
  if (path[2] === 'metadata') return objectMetaStrategy(path.slice(2));
  return path[2] === 'spec' ? jobSpecStrategy(path.slice(3)) : undefined;
};

/** core/v1 Pod's patch strategies (k8s.io/api core/v1 tags): its spec's lists as in a Job's template, its status' conditions and IPs. */
export const POD_PATCH_SCHEMA: PatchSchema = (path) => {
  const key = path.join('.');
  const meta = objectMetaStrategy(path);
  if (meta) return meta;
  if (key === 'status.conditions') return { mergeKey: 'type' };
  if (key === 'status.podIPs' || key === 'status.hostIPs') return { mergeKey: 'ip' };
  return path[0] === 'spec' ? podSpecStrategy(path.slice(1)) : undefined;
};

/** core/v1 Node's patch strategies: its metadata's; spec.taints has none (replaced whole, as kubectl taint sends it); status lists by type. */
export const NODE_PATCH_SCHEMA: PatchSchema = (path) => {
  const key = path.join('.');
  if (key === 'status.conditions' || key === 'status.addresses') return { mergeKey: 'type' };
  return objectMetaStrategy(path);
};

/** The patch strategies of objects that have only metadata lists (Namespaces). */
export const METADATA_PATCH_SCHEMA: PatchSchema = objectMetaStrategy;

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER = '$setElementOrder/';
const DELETE_PRIMITIVE = '$deleteFromPrimitiveList/';

export function applyStrategicMergePatch(target: Json, patch: Json, schema: PatchSchema): Json {
  if (!isObject(patch)) throw new PatchError('a strategic merge patch must be a JSON object');
  return mergeMap(isObject(target) ? target : {}, patch, [], schema);
}

function mergeMap(original: JsonObject, patch: JsonObject, path: string[], schema: PatchSchema): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    const { [DIRECTIVE]: _d, ...rest } = patch;
    return stripDirectives(rest) as JsonObject;
  }
  if (directive === 'delete') return {};
  if (directive !== undefined && directive !== 'merge') throw new PatchError(`Unknown patch type: ${typeof directive === 'string' ? directive : JSON.stringify(directive)} in map: ${JSON.stringify(patch)}`);

  let result: JsonObject = { ...original };
  const retain = patch[RETAIN_KEYS];
  if (retain !== undefined) {
    if (!Array.isArray(retain) || !retain.every((k) => typeof k === 'string')) throw new PatchError(`${RETAIN_KEYS} must be a list of strings`);
    const keep = new Set(retain);
    result = Object.fromEntries(Object.entries(result).filter(([k]) => keep.has(k)));
  }
  const orders = new Map<string, Json[]>();
  for (const [key, value] of Object.entries(patch)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS) continue;
    if (key.startsWith(SET_ORDER)) {
      if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
      orders.set(key.slice(SET_ORDER.length), value);
      continue;
    }
    if (key.startsWith(DELETE_PRIMITIVE)) {
      const field = key.slice(DELETE_PRIMITIVE.length);
      if (!Array.isArray(value)) throw new PatchError(`${key} must be a list`);
      const current = result[field];
      if (Array.isArray(current)) {
        const drop = new Set(value.map((v) => JSON.stringify(v)));
        result[field] = current.filter((v) => !drop.has(JSON.stringify(v)));
      }
      continue;
    }
    const childPath = [...path, key];
    if (value === null) {
      delete result[key];
    } else if (isObject(value)) {
      const child = mergeMap(isObject(result[key]) ? (result[key] as JsonObject) : {}, value, childPath, schema);
      if (value[DIRECTIVE] === 'delete') delete result[key];
      else result[key] = child;
    } else if (Array.isArray(value)) {
      result[key] = mergeList(Array.isArray(result[key]) ? (result[key] as Json[]) : [], value, childPath, schema);
    } else {
      result[key] = value;
    }
  }
  for (const [field, order] of orders) {
    const current = result[field];
    if (Array.isArray(current)) result[field] = applyOrder(current, order, schema([...path, field])?.mergeKey);
  }
  return result;
}

function mergeList(original: Json[], patch: Json[], path: string[], schema: PatchSchema): Json[] {
  const strategy = schema(path);
  if (!strategy) return patch.map(stripDirectives);
  const { mergeKey } = strategy;
  if (mergeKey === undefined) {
    // A set of primitives: the union, in order of first appearance; {"$patch":"replace"} replaces.
    if (patch.some((item) => isObject(item) && item[DIRECTIVE] === 'replace')) return patch.filter((item) => !isObject(item));
    const out = [...original];
    for (const item of patch) if (!out.some((v) => JSON.stringify(v) === JSON.stringify(item))) out.push(item);
    return out;
  }
  if (patch.some((item) => isObject(item) && item[DIRECTIVE] === 'replace' && !Object.hasOwn(item, mergeKey))) {
    return patch.filter((item) => !(isObject(item) && item[DIRECTIVE] === 'replace')).map(stripDirectives);
  }
  const out = [...original];
  for (const item of patch) {
    if (!isObject(item)) throw new PatchError(`the list at ${path.join('.')} must hold objects with the key "${mergeKey}"`);
    if (!Object.hasOwn(item, mergeKey)) throw new PatchError(`map: ${JSON.stringify(item)} does not contain declared merge key: ${mergeKey}`);
    const index = out.findIndex((existing) => isObject(existing) && JSON.stringify(existing[mergeKey]) === JSON.stringify(item[mergeKey]));
    if (item[DIRECTIVE] === 'delete') {
      if (index >= 0) out.splice(index, 1);
      continue;
    }
    if (index >= 0) out[index] = mergeMap(out[index] as JsonObject, item, path, schema);
    else out.push(mergeMap({}, item, path, schema));
  }
  return out;
}

/** `$setElementOrder`: the listed elements in that order, the others after them as they were. */
function applyOrder(list: Json[], order: Json[], mergeKey: string | undefined): Json[] {
  const identity = (item: Json) => JSON.stringify(mergeKey !== undefined && isObject(item) ? item[mergeKey] : item);
  const wanted = order.map(identity);
  const ranked = list.map((item, i) => ({ item, i, rank: wanted.indexOf(identity(item)) }));
  ranked.sort((a, b) => (a.rank < 0 ? Infinity : a.rank) - (b.rank < 0 ? Infinity : b.rank) || a.i - b.i);
  return ranked.map((r) => r.item);
}

/** Removes directives from values that replace (nothing to merge them into). */
function stripDirectives(value: Json): Json {
  if (Array.isArray(value)) return value.map(stripDirectives);
  if (!isObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === DIRECTIVE || key === RETAIN_KEYS || key.startsWith(SET_ORDER) || key.startsWith(DELETE_PRIMITIVE)) continue;
    if (child !== null) out[key] = stripDirectives(child);
  }
  return out;
}

// ---------------------------------------------------------------- dispatch

export const PATCH_CONTENT_TYPES = ['application/json-patch+json', 'application/merge-patch+json', 'application/strategic-merge-patch+json'] as const;
export type PatchContentType = (typeof PATCH_CONTENT_TYPES)[number];

export function isPatchContentType(value: string): value is PatchContentType {
  return (PATCH_CONTENT_TYPES as readonly string[]).includes(value);
}

/**
 * applyPatch for a route: a PatchError is the client's (422 Invalid, as Kubernetes answers), and
 * the result must be a JSON object.
 */
export function applyPatchOrFail(type: PatchContentType, current: unknown, patch: unknown, schema: PatchSchema): JsonObject {
  let patched: Json;
  try {
    patched = applyPatch(type, current as Json, patch, schema);
  } catch (err) {
    if (err instanceof PatchError) throw new JobfleetError(err.message, 422, 'Invalid');
    throw err;
  }
  if (!isObject(patched)) throw new JobfleetError('the patched object is not a JSON object', 422, 'Invalid');
  return patched;
}

/** Applies a parsed patch body of the given type. */
export function applyPatch(type: PatchContentType, target: Json, patch: unknown, schema: PatchSchema): Json {
  switch (type) {
    case 'application/json-patch+json':
      return applyJsonPatch(target, patch);
    case 'application/merge-patch+json':
      if (!isObject(patch)) throw new PatchError('a merge patch must be a JSON object');
      return applyMergePatch(target, patch as Json);
    case 'application/strategic-merge-patch+json':
      return applyStrategicMergePatch(target, patch as Json, schema);
  }
}
