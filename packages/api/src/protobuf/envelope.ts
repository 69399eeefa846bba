/**
 * `application/vnd.kubernetes.protobuf` bodies as the API server writes and reads them: the magic
 * `k8s\0`, then a runtime.Unknown whose typeMeta names the apiVersion and kind and whose raw holds
 * the object's message. Watch streams (`;stream=watch`) are frames of a 4-byte big-endian length
 * and a metav1.WatchEvent (no magic: the stream serializer is the raw one), whose object is a
 * RawExtension holding the object's own envelope.
 *
 * Every body is checked before protobufjs reads it (checkWire): the message nesting and the
 * number of fields are bounded as for JSON and YAML (MAX_NESTING_DEPTH, MAX_TOKENS), so a hostile
 * body is a 400 or 413 Status, never a deep recursion or a memory blow-up.
 */
import { BadRequestError, MAX_NESTING_DEPTH, MAX_TOKENS, RequestEntityTooLargeError } from '@jobfleet/kube';
import protobuf from 'protobufjs';
import { ProtobufDecodeError, ProtobufEncodeError, fromMessage, toMessage } from './convert.js';
import { META_V1, protobufSchema } from './schema.js';

export const PROTOBUF_MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
const UNKNOWN = 'k8s.io.apimachinery.pkg.runtime.Unknown';
const WATCH_EVENT = `${META_V1}.WatchEvent`;

type JsonObject = Record<string, unknown>;

/** Whether jobfleet has a protobuf message for this object's apiVersion and kind. */
export function canEncode(obj: unknown): boolean {
  const { apiVersion, kind } = (obj ?? {}) as { apiVersion?: unknown; kind?: unknown };
  return typeof apiVersion === 'string' && typeof kind === 'string' && protobufSchema().messageFor(apiVersion, kind) !== undefined;
}

/** The protobuf body of a Kubernetes object (its apiVersion and kind pick the message). */
export function encodeObject(obj: JsonObject): Buffer {
  const schema = protobufSchema();
  const { apiVersion, kind } = obj;
  const type = typeof apiVersion === 'string' && typeof kind === 'string' ? schema.messageFor(apiVersion, kind) : undefined;
  if (!type || typeof apiVersion !== 'string' || typeof kind !== 'string') {
    throw new ProtobufEncodeError(`object ${String(apiVersion)}/${String(kind)} does not implement the protobuf marshalling interface and cannot be encoded to a protobuf message`);
  }
  const raw = type.encode(toMessage(schema, type, obj)).finish();
  // Go's marshaller writes every field of Unknown, the empty ones too.
  const unknown = schema.type(UNKNOWN).encode({ typeMeta: { apiVersion, kind }, raw, contentEncoding: '', contentType: '' }).finish();
  return Buffer.concat([PROTOBUF_MAGIC, unknown]);
}

/**
 * The fields of an object that its protobuf message has no place for (they would be lost in
 * protobuf): for tests that check every kind jobfleet serves fits its message.
 */
export function fieldsWithoutProtobuf(obj: JsonObject): string[] {
  const schema = protobufSchema();
  const type = schema.messageFor(String(obj.apiVersion), String(obj.kind));
  if (!type) return ['(the whole object: no message for its apiVersion and kind)'];
  const unknown: string[] = [];
  toMessage(schema, type, obj, '', unknown);
  return unknown;
}

/** One frame of a protobuf watch stream: length, then the WatchEvent whose object is the object's envelope. */
export function encodeWatchEvent(type: string, object: JsonObject): Buffer {
  const event = protobufSchema().type(WATCH_EVENT).encode({ type, object: { raw: encodeObject(object) } }).finish();
  const length = Buffer.alloc(4);
  length.writeUInt32BE(event.length);
  return Buffer.concat([length, event]);
}

/**
 * The Kubernetes object of a protobuf body, in its JSON form with apiVersion and kind from the
 * envelope. BadRequestError for anything that is not a well-formed envelope of a kind jobfleet
 * knows; RequestEntityTooLargeError past MAX_TOKENS fields.
 */
export function decodeObject(body: Uint8Array): JsonObject {
  const schema = protobufSchema();
  if (body.length < PROTOBUF_MAGIC.length || !PROTOBUF_MAGIC.equals(body.subarray(0, PROTOBUF_MAGIC.length))) {
    throw new BadRequestError(`provided data does not appear to be a protobuf message, expected prefix [${[...PROTOBUF_MAGIC].join(' ')}]`);
  }
  const envelope = body.subarray(PROTOBUF_MAGIC.length);
  const unknownType = schema.type(UNKNOWN);
  checkWire(unknownType, envelope);
  const unknown = decode(unknownType, envelope) as { typeMeta?: { apiVersion?: string; kind?: string }; raw?: Uint8Array; contentEncoding?: string };
  const apiVersion = unknown.typeMeta?.apiVersion ?? '';
  const kind = unknown.typeMeta?.kind ?? '';
  if (kind === '') throw new BadRequestError("Object 'Kind' is missing in the protobuf envelope");
  if (unknown.contentEncoding) throw new BadRequestError(`unsupported contentEncoding ${JSON.stringify(unknown.contentEncoding)} in the protobuf envelope`);
  const type = schema.messageFor(apiVersion, kind);
  if (!type) throw new BadRequestError(`no kind ${JSON.stringify(kind)} is registered for version ${JSON.stringify(apiVersion)}`);
  const raw = unknown.raw ?? new Uint8Array();
  checkWire(type, raw);
  try {
    return { apiVersion, kind, ...(fromMessage(schema, type, decode(type, raw)) as JsonObject) };
  } catch (err) {
    if (err instanceof ProtobufDecodeError) throw new BadRequestError(`error decoding ${kind}: ${err.message}`);
    throw err;
  }
}

/** The events of a protobuf watch stream (complete frames only), for clients and tests. */
export function decodeWatchEvents(stream: Uint8Array): { type: string; object: JsonObject }[] {
  const type = protobufSchema().type(WATCH_EVENT);
  const events: { type: string; object: JsonObject }[] = [];
  const data = Buffer.from(stream.buffer, stream.byteOffset, stream.byteLength);
  for (let at = 0; at + 4 <= data.length; ) {
    const length = data.readUInt32BE(at);
    if (at + 4 + length > data.length) break;
    const frame = data.subarray(at + 4, at + 4 + length);
    checkWire(type, frame);
    const event = decode(type, frame) as { type?: string; object?: { raw?: Uint8Array } };
    events.push({ type: event.type ?? '', object: decodeObject(event.object?.raw ?? new Uint8Array()) });
    at += 4 + length;
  }
  return events;
}

function decode(type: protobuf.Type, bytes: Uint8Array): protobuf.Message {
  try {
    return type.decode(bytes);
  } catch (err) {
    throw new BadRequestError(`error decoding ${type.name}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

const WIRE = { varint: 0, fixed64: 1, bytes: 2, startGroup: 3, endGroup: 4, fixed32: 5 } as const;

interface Frame {
  /** The message being read; undefined for a map entry, whose value type is `value`. */
  type: protobuf.Type | undefined;
  value?: protobuf.Type | undefined;
  end: number;
  depth: number;
}

/**
 * Walks the wire format of `bytes` as `type` without building anything, iteratively: throws
 * BadRequestError for malformed data, groups (which Kubernetes never writes, and which protobufjs
 * skips by recursion) or messages nested deeper than MAX_NESTING_DEPTH, and
 * RequestEntityTooLargeError past MAX_TOKENS fields.
 */
export function checkWire(type: protobuf.Type, bytes: Uint8Array, limits = { maxDepth: MAX_NESTING_DEPTH, maxFields: MAX_TOKENS }): void {
  const bad = (what: string) => new BadRequestError(`error decoding ${type.name}: ${what}`);
  let pos = 0;
  const varint = (end: number): number => {
    let value = 0;
    for (let i = 0; i < 10; i++) {
      if (pos >= end) throw bad('unexpected end of data');
      const b = bytes[pos++] as number;
      if (i < 5) value += (b & 0x7f) * 2 ** (7 * i);
      if (!(b & 0x80)) return value;
    }
    throw bad('varint overflows 64 bits');
  };
  const stack: Frame[] = [{ type, end: bytes.length, depth: 1 }];
  let fields = 0;
  while (stack.length > 0) {
    const frame = stack[stack.length - 1] as Frame;
    if (pos === frame.end) {
      stack.pop();
      continue;
    }
    const tag = varint(frame.end);
    const number = Math.floor(tag / 8);
    const wire = tag % 8;
    if (number === 0) throw bad('illegal tag 0');
    if (++fields > limits.maxFields) throw new RequestEntityTooLargeError(`the protobuf message has more than ${limits.maxFields} fields: split it, or shorten its lists`);
    switch (wire) {
      case WIRE.varint:
        varint(frame.end);
        break;
      case WIRE.fixed64:
      case WIRE.fixed32:
        pos += wire === WIRE.fixed64 ? 8 : 4;
        if (pos > frame.end) throw bad('unexpected end of data');
        break;
      case WIRE.bytes: {
        const length = varint(frame.end);
        if (length > frame.end - pos) throw bad('unexpected end of data');
        const child = childFrame(frame, number);
        if (child.type || child.value) {
          if (frame.depth + 1 > limits.maxDepth) throw new BadRequestError(`the document nests more than ${limits.maxDepth} levels deep`);
          stack.push({ type: child.type, value: child.value, end: pos + length, depth: frame.depth + 1 });
        } else {
          pos += length;
        }
        break;
      }
      default:
        throw bad(`wire type ${wire} is not supported`);
    }
  }
}

/** What a length-delimited field holds: a message to walk into, or opaque bytes (strings, packed numbers, unknown fields). */
function childFrame(frame: Frame, number: number): { type?: protobuf.Type; value?: protobuf.Type } {
  // A map entry: key 1, value 2.
  if (!frame.type) return number === 2 && frame.value ? { type: frame.value } : {};
  const field = frame.type.fieldsById[number];
  const resolved = field?.resolvedType instanceof protobuf.Type ? field.resolvedType : undefined;
  if (!field || !resolved) return {};
  return field.map ? { value: resolved } : { type: resolved };
}

export { ProtobufDecodeError, ProtobufEncodeError };
