/** Request and response helpers shared by the routes: body decoding, errors as metav1.Status. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { assertManifestShape, BadRequestError, UnsupportedMediaTypeError, parseManifests } from '@jobfleet/spec';
import { isPatchContentType, PATCH_CONTENT_TYPES } from './patch.js';

/** Decodes a JSON or YAML body into exactly one object. */
export function decodeBody(request: FastifyRequest): Record<string, unknown> {
  if (String(request.headers['content-type'] ?? '').includes('protobuf')) {
    throw new UnsupportedMediaTypeError(
      'jobfleet reads JSON and YAML only, not protobuf: send application/json (e.g. `kubectl create job … --dry-run=client -o yaml | kubectl create -f -`)',
    );
  }
  const raw = request.body;
  if (raw === undefined || raw === null || raw === '') throw new BadRequestError('the request body is empty: send a Job as JSON or YAML');
  const text = Buffer.isBuffer(raw) ? raw.toString('utf8') : String(raw);
  const docs = parseManifests(text);
  if (docs.length !== 1 || typeof docs[0] !== 'object' || docs[0] === null || Array.isArray(docs[0])) {
    throw new BadRequestError(`the request body must hold exactly one object, found ${docs.length}`);
  }
  return docs[0] as Record<string, unknown>;
}

export function queryString(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, unknown>)[name];
  if (Array.isArray(value)) return value.length ? String(value[value.length - 1]) : undefined;
  return value === undefined ? undefined : String(value);
}

export function queryBool(request: FastifyRequest, name: string): boolean {
  const v = queryString(request, name);
  return v === 'true' || v === '1';
}

export function queryInt(request: FastifyRequest, name: string): number | undefined {
  const v = queryString(request, name);
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new BadRequestError(`${name}: must be a non-negative integer, got "${v}"`);
  return n;
}

export function sendJson(reply: FastifyReply, code: number, body: unknown): FastifyReply {
  return reply.code(code).header('content-type', 'application/json').send(JSON.stringify(body));
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
