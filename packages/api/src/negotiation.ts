/**
 * Content negotiation as the Kubernetes API server does it (apiserver's handlers/negotiation and
 * goautoneg): which media type a response is written in (Accept), which one a request body is read
 * in (Content-Type). Pure; http.ts, tables.ts and watch.ts apply it.
 *
 * Served: application/json (the default), application/yaml, application/vnd.kubernetes.protobuf;
 * watches in JSON or protobuf (`;stream=watch`). A Table (`;as=Table;g=meta.k8s.io;v=v1`) only in
 * JSON or YAML, as Kubernetes.
 */
import { JobfleetError, UnsupportedMediaTypeError } from '@jobfleet/kube';

export const MEDIA_JSON = 'application/json';
export const MEDIA_YAML = 'application/yaml';
export const MEDIA_PROTOBUF = 'application/vnd.kubernetes.protobuf';
export type MediaType = typeof MEDIA_JSON | typeof MEDIA_YAML | typeof MEDIA_PROTOBUF;

/** In the API server's order: the first is the default. */
export const SUPPORTED: readonly MediaType[] = [MEDIA_JSON, MEDIA_YAML, MEDIA_PROTOBUF];
/** The media types that have a stream (watch) serializer. */
const STREAMING: ReadonlySet<MediaType> = new Set([MEDIA_JSON, MEDIA_PROTOBUF]);

export interface AcceptClause {
  type: string;
  subType: string;
  q: number;
  params: Record<string, string>;
}

/**
 * An Accept header's clauses, best first: by q (default 1), then the more specific before `*`, as
 * goautoneg's ParseAccept (which keeps q=0 clauses, last, as the API server does).
 */
export function parseAccept(header: string): AcceptClause[] {
  const clauses: AcceptClause[] = [];
  for (const part of header.split(',')) {
    const [range = '', ...rest] = part.trim().split(';');
    const pieces = range.split('/');
    const type = (pieces[0] ?? '').trim().toLowerCase();
    let subType: string;
    if (pieces.length === 1 && type === '*') subType = '*';
    else if (pieces.length === 2) subType = (pieces[1] ?? '').trim().toLowerCase();
    else continue;
    const clause: AcceptClause = { type, subType, q: 1, params: {} };
    for (const param of rest) {
      const eq = param.indexOf('=');
      if (eq < 0) continue;
      const key = param.slice(0, eq).trim();
      const value = param.slice(eq + 1).trim();
      if (key === 'q') {
        const q = Number(value);
        clause.q = Number.isFinite(q) ? q : 0;
      } else {
        clause.params[key] = value;
      }
    }
    clauses.push(clause);
  }
  const rank = (c: AcceptClause) => (c.type === '*' ? 0 : 2) + (c.subType === '*' ? 0 : 1);
  // Stable: clauses the ordering does not separate keep the client's order.
  return clauses.map((c, i) => ({ c, i })).sort((a, b) => b.c.q - a.c.q || rank(b.c) - rank(a.c) || a.i - b.i).map(({ c }) => c);
}

export interface Conversion {
  kind: string;
  group: string;
  version: string;
}

export interface Negotiated {
  mediaType: MediaType;
  /** `as`/`g`/`v`: what the object is turned into (only a meta.k8s.io Table here). */
  convert?: Conversion;
  /** `stream=watch` was asked for. */
  stream?: string;
}

export interface NegotiationOptions {
  /** The endpoint can answer as a meta.k8s.io Table (the resource endpoints). */
  table: boolean;
}

/**
 * The clause's options when the endpoint can serve them, as the API server's
 * acceptMediaTypeOptions with a resource endpoint's restrictions; undefined to skip the clause.
 */
function acceptOptions(params: Record<string, string>, mediaType: MediaType, options: NegotiationOptions): Negotiated | undefined {
  const out: Negotiated = { mediaType };
  for (const [key, value] of Object.entries(params)) {
    switch (key) {
      case 'as':
        out.convert = { ...(out.convert ?? { group: '', version: '' }), kind: value };
        break;
      case 'g':
        out.convert = { ...(out.convert ?? { kind: '', version: '' }), group: value };
        break;
      case 'v':
        out.convert = { ...(out.convert ?? { kind: '', group: '' }), version: value };
        break;
      case 'stream':
        if (value !== '' && (!STREAMING.has(mediaType) || value !== 'watch')) return undefined;
        out.stream = value;
        break;
      case 'sv':
        if (value !== '' && value !== 'v1') return undefined;
        break;
      default:
        // pretty, export and unknown parameters change nothing here.
        break;
    }
  }
  if (out.convert && !allowsConversion(out.convert, mediaType, options)) return undefined;
  return out;
}

/** Only a Table of meta.k8s.io/v1 (or v1beta1), only in JSON or YAML, only where the endpoint prints tables. */
function allowsConversion(target: Conversion, mediaType: MediaType, options: NegotiationOptions): boolean {
  if (target.group !== 'meta.k8s.io' || (target.version !== 'v1' && target.version !== 'v1beta1')) return false;
  return target.kind === 'Table' && options.table && (mediaType === MEDIA_JSON || mediaType === MEDIA_YAML);
}

/**
 * The media type (and conversion) of the response to a request with this Accept header, or
 * undefined when the header names nothing jobfleet serves (a 406). No header: JSON.
 */
export function negotiateOutput(accept: string | undefined, options: NegotiationOptions): Negotiated | undefined {
  if (!accept) return { mediaType: MEDIA_JSON };
  for (const clause of parseAccept(accept)) {
    for (const mediaType of SUPPORTED) {
      const [type, subType] = mediaType.split('/') as [string, string];
      const matches = (clause.type === type && (clause.subType === subType || clause.subType === '*')) || (clause.type === '*' && clause.subType === '*');
      if (!matches) continue;
      const accepted = acceptOptions(clause.params, mediaType, options);
      if (accepted) return accepted;
    }
  }
  return undefined;
}

/** 406 NotAcceptable with the API server's message. */
export function notAcceptable(stream = false): JobfleetError {
  const types = stream ? SUPPORTED.filter((t) => STREAMING.has(t)).map((t) => `${t};stream=watch`) : SUPPORTED;
  return new JobfleetError(`only the following media types are accepted: ${types.join(', ')}`, 406, 'NotAcceptable');
}

/** The response format of a request; NotAcceptable (406) when there is none. */
export function negotiateOrThrow(accept: string | undefined, options: NegotiationOptions): Negotiated {
  const negotiated = negotiateOutput(accept, options);
  if (!negotiated) throw notAcceptable();
  return negotiated;
}

/** The format of a watch stream: as negotiateOutput, and the type chosen must have a stream form (not YAML). */
export function negotiateStream(accept: string | undefined, options: NegotiationOptions): Negotiated {
  const negotiated = negotiateOutput(accept, options);
  if (!negotiated || !STREAMING.has(negotiated.mediaType)) throw notAcceptable(true);
  return negotiated;
}

/**
 * The media type a request body is in, from its Content-Type (Go's mime.ParseMediaType: type and
 * subtype, case-insensitive, parameters ignored); none means JSON. 415 for anything else.
 */
export function negotiateInput(contentType: string | undefined): MediaType {
  const raw = (contentType ?? '').trim();
  if (raw === '') return MEDIA_JSON;
  const type = (raw.split(';')[0] ?? '').trim().toLowerCase();
  const found = SUPPORTED.find((t) => t === type);
  if (!found) throw new UnsupportedMediaTypeError(`the body of the request was in an unknown format - accepted media types include: ${SUPPORTED.join(', ')}`);
  return found;
}
