/**
 * Kubernetes objects between their JSON form (what jobfleet stores and serves) and their protobuf
 * messages, walking the message types of Kubernetes' generated.proto files.
 *
 * The proto field names are the JSON names (but where the Go tags say otherwise, see GoField).
 * Types with a JSON form of their own are converted by hand, as apimachinery does: Time
 * ("2006-01-02T15:04:05Z" ↔ seconds, nanos), MicroTime (6 fractional digits), Quantity (string),
 * IntOrString (number or string ↔ type, intVal, strVal), RawExtension and FieldsV1 (embedded JSON ↔
 * bytes), Verbs and ExtraValue (array ↔ items), int64 (number ↔ Long), bytes (base64 ↔ bytes).
 *
 * Protobuf has no "unset" for a Go field that is not a pointer: Go writes such fields always,
 * zero or not. From a message to JSON, a zero value is therefore kept only where Go's JSON would
 * write it (a pointer, or a field without omitempty), so a body sent in protobuf reads as the JSON
 * the same client would have sent.
 */
import { assertManifestShape } from '@jobfleet/kube';
import protobuf from 'protobufjs';
import { META_V1, type GoField, type ProtobufSchema } from './schema.js';

/** A message that cannot be read (a wrong value, an impossible time): the request's fault. */
export class ProtobufDecodeError extends Error {
  override name = 'ProtobufDecodeError';
}

/** An object jobfleet cannot write as its message: jobfleet's fault. */
export class ProtobufEncodeError extends Error {
  override name = 'ProtobufEncodeError';
}

type Json = unknown;
type JsonObject = Record<string, unknown>;

const TIME = `.${META_V1}.Time`;
const MICRO_TIME = `.${META_V1}.MicroTime`;
const DURATION = `.${META_V1}.Duration`;
const FIELDS_V1 = `.${META_V1}.FieldsV1`;
const VERBS = `.${META_V1}.Verbs`;
const QUANTITY = '.k8s.io.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = '.k8s.io.apimachinery.pkg.util.intstr.IntOrString';
const RAW_EXTENSION = '.k8s.io.apimachinery.pkg.runtime.RawExtension';
/** Go types that are a []string: their message wraps the array in `items`. */
const STRING_ARRAYS = new Set([VERBS, '.k8s.io.api.authorization.v1.ExtraValue', '.k8s.io.api.authentication.v1.ExtraValue']);

const INT_TYPES = new Set(['int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64', 'fixed32', 'fixed64', 'sfixed32', 'sfixed64']);
const INT32_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int32: [-(2 ** 31), 2 ** 31 - 1],
  sint32: [-(2 ** 31), 2 ** 31 - 1],
  sfixed32: [-(2 ** 31), 2 ** 31 - 1],
  uint32: [0, 2 ** 32 - 1],
  fixed32: [0, 2 ** 32 - 1],
};

interface FieldPlan {
  field: protobuf.Field;
  go: GoField;
  /** The message type of the field (of its values, for a map), if it holds messages. */
  nested: protobuf.Type | undefined;
}

interface TypePlan {
  /** The full name when the type has a JSON form of its own (Time, Quantity, …). */
  special: string | undefined;
  fields: FieldPlan[];
  /** The JSON names of the fields, the inline structs' included. */
  known: Set<string>;
}

/** Per message type, what the walks need (protobufjs computes fullName on every read). */
const plans = new WeakMap<protobuf.Type, TypePlan>();

function planOf(schema: ProtobufSchema, type: protobuf.Type): TypePlan {
  let plan = plans.get(type);
  if (!plan) {
    const fullName = type.fullName;
    const special = [TIME, MICRO_TIME, DURATION, FIELDS_V1, QUANTITY, INT_OR_STRING, RAW_EXTENSION].includes(fullName) || STRING_ARRAYS.has(fullName) ? fullName : undefined;
    const fields = type.fieldsArray.map((field) => ({ field, go: schema.goField(type, field), nested: field.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined }));
    const known = new Set<string>();
    for (const { go, nested } of fields) {
      if (go.inline && nested) for (const f of nested.fieldsArray) known.add(schema.goField(nested, f).json);
      else known.add(go.json);
    }
    plan = { special, fields, known };
    plans.set(type, plan);
  }
  return plan;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

// ------------------------------------------------------------------ JSON → message

/**
 * The protobufjs value of a JSON object as the message `type` (for type.encode). Fields the message
 * does not have are left out (as Go's JSON decoding would; their paths go to `unknown` when given);
 * a value of the wrong type throws.
 */
export function toMessage(schema: ProtobufSchema, type: protobuf.Type, value: Json, path = '', unknown?: string[]): JsonObject {
  const plan = planOf(schema, type);
  if (plan.special) return toSpecial(plan.special, value, path);
  if (!isObject(value)) throw new ProtobufEncodeError(`${path || type.name}: expected an object for ${type.name}, got ${describe(value)}`);
  const out: JsonObject = {};
  for (const { field, go, nested } of plan.fields) {
    if (go.inline && nested) {
      // The inline struct's fields are this object's.
      const inner = toMessage(schema, nested, value, path);
      if (Object.keys(inner).length > 0) out[field.name] = inner;
      continue;
    }
    const v = value[go.json];
    if (v === undefined || v === null) continue;
    const at = path ? `${path}.${go.json}` : go.json;
    if (field.map) {
      if (!isObject(v)) throw new ProtobufEncodeError(`${at}: expected an object, got ${describe(v)}`);
      const entries: JsonObject = {};
      for (const [k, item] of Object.entries(v)) if (item !== null && item !== undefined) entries[k] = toValue(schema, field, nested, item, `${at}[${k}]`, unknown);
      out[field.name] = entries;
    } else if (field.repeated) {
      if (!Array.isArray(v)) throw new ProtobufEncodeError(`${at}: expected an array, got ${describe(v)}`);
      out[field.name] = v.map((item, i) => toValue(schema, field, nested, item, `${at}[${i}]`, unknown));
    } else {
      out[field.name] = toValue(schema, field, nested, v, at, unknown);
    }
  }
  // apiVersion and kind (Go's inline TypeMeta) travel in the envelope, and list items have none in protobuf.
  if (unknown) {
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined && !plan.known.has(key) && key !== 'apiVersion' && key !== 'kind') unknown.push(path ? `${path}.${key}` : key);
    }
  }
  return out;
}

function toValue(schema: ProtobufSchema, field: protobuf.Field, nested: protobuf.Type | undefined, value: Json, path: string, unknown?: string[]): unknown {
  if (nested) return toMessage(schema, nested, value, path, unknown);
  const type = field.type;
  if (type === 'string') {
    if (typeof value !== 'string') throw new ProtobufEncodeError(`${path}: expected a string, got ${describe(value)}`);
    return value;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') throw new ProtobufEncodeError(`${path}: expected a boolean, got ${describe(value)}`);
    return value;
  }
  if (type === 'bytes') {
    if (typeof value !== 'string') throw new ProtobufEncodeError(`${path}: expected base64 text, got ${describe(value)}`);
    return Buffer.from(value, 'base64');
  }
  if (type === 'double' || type === 'float') {
    if (typeof value !== 'number') throw new ProtobufEncodeError(`${path}: expected a number, got ${describe(value)}`);
    return value;
  }
  if (INT_TYPES.has(type)) {
    if (typeof value !== 'number' || !Number.isInteger(value)) throw new ProtobufEncodeError(`${path}: expected an integer, got ${describe(value)}`);
    const range = INT32_RANGE[type];
    if (range && (value < range[0] || value > range[1])) throw new ProtobufEncodeError(`${path}: ${value} does not fit ${type}`);
    return value;
  }
  throw new ProtobufEncodeError(`${path}: field type ${type} is not supported`);
}

/** The message value of a type with a JSON form of its own. */
function toSpecial(fullName: string, value: Json, path: string): JsonObject {
  switch (fullName) {
    case TIME:
    case MICRO_TIME: {
      if (typeof value !== 'string') throw new ProtobufEncodeError(`${path}: expected a time, got ${describe(value)}`);
      return parseTime(value, path);
    }
    case QUANTITY:
      if (typeof value === 'number' && Number.isFinite(value)) return { string: String(value) };
      if (typeof value !== 'string') throw new ProtobufEncodeError(`${path}: expected a quantity, got ${describe(value)}`);
      return { string: value };
    case INT_OR_STRING:
      // Go's marshaller writes all three fields.
      if (typeof value === 'number' && Number.isInteger(value)) return { type: 0, intVal: value, strVal: '' };
      if (typeof value === 'string') return { type: 1, intVal: 0, strVal: value };
      throw new ProtobufEncodeError(`${path}: expected an integer or a string, got ${describe(value)}`);
    case RAW_EXTENSION:
      return { raw: Buffer.from(JSON.stringify(value)) };
    case FIELDS_V1:
      return { Raw: Buffer.from(JSON.stringify(value)) };
    case DURATION:
      throw new ProtobufEncodeError(`${path}: metav1.Duration is not served by jobfleet`);
    default:
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw new ProtobufEncodeError(`${path}: expected an array of strings, got ${describe(value)}`);
      return { items: value };
  }
}

const TIME_TEXT = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/;

/** An RFC 3339 time (Go's time.RFC3339 layout, fraction optional) as seconds and nanoseconds. */
function parseTime(text: string, path: string): { seconds: number; nanos: number } {
  const m = TIME_TEXT.exec(text);
  const ms = m ? Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}${m[8]?.toUpperCase() ?? 'Z'}`) : Number.NaN;
  if (!m || Number.isNaN(ms)) throw new ProtobufEncodeError(`${path}: ${JSON.stringify(text)} is not an RFC 3339 time`);
  return { seconds: Math.floor(ms / 1000), nanos: Number((m[7] ?? '').padEnd(9, '0')) };
}

// ------------------------------------------------------------------ message → JSON

/**
 * The JSON object of a decoded message, as Go's JSON would write the struct it decodes into:
 * fields not on the wire are left out, and so are zero values of fields that are neither pointers
 * nor without omitempty. Throws ProtobufDecodeError for a value that has no JSON form.
 */
export function fromMessage(schema: ProtobufSchema, type: protobuf.Type, message: protobuf.Message | JsonObject | null | undefined, path = ''): Json {
  // A map entry without its value holds no message: Go reads the zero value.
  const own = (message ?? {}) as JsonObject;
  const plan = planOf(schema, type);
  if (plan.special) return fromSpecial(plan.special, own, path);
  const out: JsonObject = {};
  for (const { field, go, nested } of plan.fields) {
    if (!Object.prototype.hasOwnProperty.call(own, field.name)) continue;
    const v = own[field.name];
    const at = path ? `${path}.${go.json}` : go.json;
    if (go.inline && nested) {
      Object.assign(out, fromMessage(schema, nested, v as JsonObject, path));
      continue;
    }
    if (field.map) {
      const entries = Object.entries((v ?? {}) as JsonObject);
      if (entries.length === 0 && go.omitEmpty) continue;
      out[go.json] = Object.fromEntries(entries.map(([k, item]) => [k, fromValue(schema, field, nested, item, `${at}[${k}]`)]));
    } else if (field.repeated) {
      const items = (v ?? []) as unknown[];
      if (items.length === 0 && go.omitEmpty) continue;
      out[go.json] = items.map((item, i) => fromValue(schema, field, nested, item, `${at}[${i}]`));
    } else {
      const value = fromValue(schema, field, nested, v, at);
      if (value === undefined) continue;
      if (isZero(value) && go.omitEmpty && !go.pointer) continue;
      out[go.json] = value;
    }
  }
  return out;
}

function isZero(value: unknown): boolean {
  return value === 0 || value === false || value === '';
}

function fromValue(schema: ProtobufSchema, field: protobuf.Field, nested: protobuf.Type | undefined, value: unknown, path: string): unknown {
  if (nested) return fromMessage(schema, nested, value as JsonObject, path);
  switch (field.type) {
    case 'bytes':
      return Buffer.from(value as Uint8Array).toString('base64');
    case 'string':
    case 'bool':
    case 'double':
    case 'float':
      return value;
    default:
      return toNumber(value, path);
  }
}

/** A decoded integer (a Long for 64-bit fields) as a number; one past 2^53 cannot be kept exactly. */
function toNumber(value: unknown, path: string): number {
  if (typeof value === 'number') return value;
  const long = value as Partial<protobuf.Long> | undefined;
  const n = typeof long?.low === 'number' && typeof long.high === 'number' ? (long.unsigned ? long.high >>> 0 : long.high) * 2 ** 32 + (long.low >>> 0) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new ProtobufDecodeError(`${path}: integer out of range`);
  return n;
}

function fromSpecial(fullName: string, message: JsonObject, path: string): unknown {
  switch (fullName) {
    case TIME:
    case MICRO_TIME: {
      const seconds = Object.prototype.hasOwnProperty.call(message, 'seconds') ? toNumber(message.seconds, path) : 0;
      const nanos = Object.prototype.hasOwnProperty.call(message, 'nanos') ? toNumber(message.nanos, path) : 0;
      // An empty message is Go's zero time, whose JSON is null: left out.
      if (seconds === 0 && nanos === 0) return undefined;
      return formatTime(seconds, nanos, fullName === MICRO_TIME, path);
    }
    case QUANTITY:
      return typeof message.string === 'string' ? message.string : '';
    case INT_OR_STRING:
      return toNumber(message.type ?? 0, path) === 1 ? String(message.strVal ?? '') : toNumber(message.intVal ?? 0, path);
    case RAW_EXTENSION:
    case FIELDS_V1: {
      const raw = (fullName === RAW_EXTENSION ? message.raw : message.Raw) as Uint8Array | undefined;
      if (!raw || raw.length === 0) return undefined;
      return parseEmbeddedJson(Buffer.from(raw), path);
    }
    case DURATION:
      throw new ProtobufDecodeError(`${path}: metav1.Duration is not served by jobfleet`);
    default:
      // A []string type (Verbs, ExtraValue).
      return (message.items as unknown[] | undefined) ?? [];
  }
}

/** Embedded JSON (a RawExtension or FieldsV1 sent by a client), bounded as a JSON body is (nesting, tokens). */
function parseEmbeddedJson(raw: Buffer, path: string): unknown {
  const text = raw.toString('utf8');
  assertManifestShape(text);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ProtobufDecodeError(`${path}: the embedded object is not JSON`);
  }
}

/** Go's RFC 3339 text of a time (metav1.Time: seconds; MicroTime: six fractional digits), in UTC. */
function formatTime(seconds: number, nanos: number, micro: boolean, path: string): string {
  const date = new Date(seconds * 1000);
  const year = date.getUTCFullYear();
  // Go's JSON marshaller refuses years outside 0–9999.
  if (Number.isNaN(date.getTime()) || year < 0 || year > 9999 || nanos < 0 || nanos > 999_999_999) {
    throw new ProtobufDecodeError(`${path}: Time.MarshalJSON: year outside of range [0,9999]`);
  }
  const text = date.toISOString().replace(/\.\d{3}Z$/, '');
  return micro ? `${text}.${String(Math.floor(nanos / 1000)).padStart(6, '0')}Z` : `${text}Z`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value;
}
