/** Request and response helpers shared by the routes: body decoding, errors as metav1.Status. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertManifestShape, BadRequestError, JobfleetError, UnsupportedMediaTypeError, parseManifests } from '@jobfleet/kube';
import { stringify as stringifyYaml } from 'yaml';
import { MEDIA_JSON, MEDIA_PROTOBUF, MEDIA_YAML, negotiateInput, negotiateOutput, negotiateStream, notAcceptable, type Negotiated } from './negotiation.js';
import { isPatchContentType, PATCH_CONTENT_TYPES } from './patch.js';
import { canEncode, decodeObject, encodeObject } from './protobuf/envelope.js';

/**
 * Decodes a request body into exactly one object, in the format its Content-Type names (as the
 * API server: none is JSON; 415 for a type it does not read): JSON or YAML text, or a protobuf
 * envelope (application/vnd.kubernetes.protobuf, what kubectl's typed commands send), whose
 * apiVersion and kind come from the envelope. Protobuf bodies are bounded like text ones.
 */
export function decodeBody(request: FastifyRequest): Record<string, unknown> {
  const mediaType = negotiateInput(request.headers['content-type']);
  const raw = request.body;
  if (raw === undefined || raw === null || raw === '') throw new BadRequestError('the request body is empty: send a Job as JSON or YAML');
  if (mediaType === MEDIA_PROTOBUF) return decodeObject(Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw)));
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
  const docs = parseManifests(text);
  if (docs.length !== 1 || typeof docs[0] !== 'object' || docs[0] === null || Array.isArray(docs[0])) {
    throw new BadRequestError(`the request body must hold exactly one object, found ${docs.length}`);
  }
  return docs[0] as Record<string, unknown>;
}

/**
 * A query parameter as the API server reads it: the first value when it is repeated (Go's
 * url.Values.Get and apimachinery's Convert_Slice_string_To_* all take values[0]).
 */
export function queryString(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  if (Array.isArray(value)) return value.length ? String(value[0]) : undefined;
  return value === undefined ? undefined : String(value);
}

/** Every value of a query parameter that Kubernetes reads as a list (dryRun). */
export function queryStrings(request: FastifyRequest, name: string): string[] {
  const value = (request.query as Record<string, unknown>)[name];
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

/**
 * A boolean query parameter (watch, follow, timestamps, allowWatchBookmarks, …) as apimachinery's
 * Convert_Slice_string_To_bool reads it: absent, "0" or "false" in any case is false; anything else,
 * the empty string included, is true. So the Python client's `watch=True` and `follow=True` are true,
 * and no value is ever an error (the API server answers none with 400).
 */
export function queryBool(request: FastifyRequest, name: string): boolean {
  const v = queryString(request, name);
  return v !== undefined && parseQueryBool(v);
}

export function parseQueryBool(value: string): boolean {
  return value !== '0' && value.toLowerCase() !== 'false';
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * An integer query parameter (limit, timeoutSeconds, tailLines, …) as apimachinery reads it, with
 * strconv.ParseInt(value, 10, 64): an optional sign and decimal digits, within int64. Anything else,
 * the empty string included, is a 400 with Go's message (`strconv.ParseInt: parsing "x": invalid
 * syntax`). What a negative value means is the caller's business, as in Kubernetes.
 */
export function queryInt(request: FastifyRequest, name: string): number | undefined {
  const v = queryString(request, name);
  return v === undefined ? undefined : parseQueryInt(v);
}

export function parseQueryInt(value: string): number {
  if (!/^[+-]?[0-9]+$/.test(value)) throw new BadRequestError(`strconv.ParseInt: parsing ${goQuote(value)}: invalid syntax`);
  const n = BigInt(value);
  if (n < INT64_MIN || n > INT64_MAX) throw new BadRequestError(`strconv.ParseInt: parsing ${goQuote(value)}: value out of range`);
  return Number(n);
}

/** strconv.Quote, close enough for messages: JSON's escaping of a string. */
function goQuote(text: string): string {
  return JSON.stringify(text);
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1,
  us: 1e3,
  'µs': 1e3, // U+00B5
  'μs': 1e3, // U+03BC
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/**
 * Go's time.ParseDuration, for the `timeout` query parameter: nanoseconds, or an Error with Go's
 * message (`time: invalid duration "x"`, `time: missing unit in duration "1"`,
 * `time: unknown unit "d" in duration "1d"`).
 */
export function parseGoDuration(text: string): number {
  const invalid = () => new Error(`time: invalid duration ${goQuote(text)}`);
  let s = text;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0;
  if (s === '') throw invalid();
  let total = 0;
  while (s !== '') {
    const number = /^([0-9]*)(\.([0-9]*))?/.exec(s);
    const whole = number?.[1] ?? '';
    const fraction = number?.[3] ?? '';
    if (!number || (whole === '' && fraction === '')) throw invalid();
    s = s.slice(number[0].length);
    const unit = /^[^0-9.]*/.exec(s)?.[0] ?? '';
    if (unit === '') throw new Error(`time: missing unit in duration ${goQuote(text)}`);
    const scale = DURATION_UNITS[unit];
    if (scale === undefined) throw new Error(`time: unknown unit ${goQuote(unit)} in duration ${goQuote(text)}`);
    s = s.slice(unit.length);
    total += Number(`${whole || '0'}.${fraction || '0'}`) * scale;
    if (total > Number(INT64_MAX)) throw invalid();
  }
  return negative ? -total : total;
}

/**
 * The `timeout` query parameter of a short request, checked as the API server's request-deadline
 * filter does: a value Go cannot parse is a 400 `invalid timeout specified in the request URL - …`.
 * Watches and logs are long-running requests, which the filter leaves alone. jobfleet answers every
 * short request well within any timeout, so the value itself is not used.
 */
export function checkRequestTimeout(request: FastifyRequest): void {
  const value = queryString(request, 'timeout');
  if (value === undefined || value === '' || queryBool(request, 'watch')) return;
  if (/\/log\/?$/.test(request.url.split('?')[0] ?? '')) return;
  try {
    parseGoDuration(value);
  } catch (err) {
    throw new BadRequestError(`invalid timeout specified in the request URL - ${(err as Error).message}`);
  }
}

/**
 * Sends a response body. A Kubernetes object (it has a kind and an apiVersion) is written in the
 * format the request's Accept header negotiates (JSON, YAML or protobuf; a 406 when none fits,
 * but a Status, which then goes as JSON, as the API server's errors do); anything else as JSON.
 */
export function sendJson(reply: FastifyReply, code: number, body: unknown): FastifyReply {
  const object = body as { kind?: unknown; apiVersion?: unknown } | null;
  const isObject = typeof object?.kind === 'string' && typeof object.apiVersion === 'string';
  const format = isObject ? responseFormat(reply.request) : undefined;
  if (isObject && !format && object?.kind !== 'Status') throw notAcceptable();
  if (format?.mediaType === MEDIA_YAML) return reply.code(code).header('content-type', MEDIA_YAML).send(stringifyYaml(body, { lineWidth: 0 }));
  if (format?.mediaType === MEDIA_PROTOBUF) {
    if (!canEncode(body)) {
      throw new JobfleetError(`object ${String(object?.kind)} does not implement the protobuf marshalling interface and cannot be encoded to a protobuf message`, 406, 'NotAcceptable');
    }
    return reply.code(code).header('content-type', MEDIA_PROTOBUF).send(encodeObject(body as Record<string, unknown>));
  }
  return reply.code(code).header('content-type', MEDIA_JSON).send(JSON.stringify(body));
}

const negotiated = new WeakMap<FastifyRequest, Negotiated | null>();

/** The resource endpoints (/api/v1/{resource}…, /apis/{group}/{version}/{resource}…), which serve Tables; pod logs are text. */
export function isResourcePath(url: string): boolean {
  const path = url.split('?')[0] ?? '';
  if (/\/log\/?$/.test(path)) return false;
  const segments = path.split('/').filter((s) => s !== '');
  return (segments[0] === 'api' && segments.length >= 3) || (segments[0] === 'apis' && segments.length >= 4);
}

/** The format the request's Accept header negotiates (once per request); undefined when nothing fits. */
export function responseFormat(request: FastifyRequest): Negotiated | undefined {
  if (!negotiated.has(request)) negotiated.set(request, negotiateOutput(request.headers.accept, { table: isResourcePath(request.url) }) ?? null);
  return negotiated.get(request) ?? undefined;
}

/**
 * For every request before its handler: a resource request whose Accept names nothing jobfleet
 * serves (for a watch: nothing with a stream form) is a 406 before anything is done, as in Kubernetes.
 */
export function checkAcceptable(request: FastifyRequest): void {
  if (!isResourcePath(request.url)) return;
  if (request.method === 'GET' && queryBool(request, 'watch')) negotiateStream(request.headers.accept, { table: true });
  else if (!responseFormat(request)) throw notAcceptable();
}

/** The patch format of a PATCH request; 415 for any other Content-Type. */
export function patchContentType(request: FastifyRequest): (typeof PATCH_CONTENT_TYPES)[number] {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (!isPatchContentType(type)) {
    throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format - accepted media types include: ${PATCH_CONTENT_TYPES.join(', ')}`);
  }
  return type;
}

/** The JSON body of a PATCH request; 400 when it is empty or not JSON. */
export function patchBody(request: FastifyRequest): unknown {
  const raw = request.body;
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : typeof raw === 'string' ? raw : '';
  if (text.trim() === '') throw new BadRequestError('the request body is empty: send a patch');
  assertManifestShape(text);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new BadRequestError(`error decoding patch: ${err instanceof Error ? err.message : String(err)}`);
  }
}
