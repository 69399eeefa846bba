/**
 * The reviews clients use to ask what they may do, answered from jobfleet's real access rules
 * (README, "Securing a fleet"): one credential per door and no finer authorization, so whoever gets
 * past the token check (`--token`), or anyone when no token is configured, may do everything
 * jobfleet serves, and nothing it does not serve.
 *
 * - SelfSubjectAccessReview (authorization.k8s.io/v1): `kubectl auth can-i VERB RESOURCE` — allowed
 *   exactly when the discovery documents list the verb for that resource (or subresource); non-resource
 *   URLs: GET on the paths jobfleet serves (health, version, discovery, OpenAPI).
 * - SelfSubjectRulesReview: `kubectl auth can-i --list` — those same rules.
 * - SelfSubjectReview (authentication.k8s.io/v1): `kubectl auth whoami` — the user `jobfleet` in
 *   `system:authenticated` when a token is configured, else `system:anonymous` in `system:unauthenticated`
 *   (Kubernetes' names for an anonymous request).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, InvalidError, invalid, textOf } from '@jobfleet/kube';
import { ALL_GROUP_VERSIONS, AUTHENTICATION_V1, AUTHORIZATION_V1, groupVersion, type GroupVersionDef } from '../discovery.js';
import { decodeBody, sendJson } from '../http.js';
import { writeOptions } from '../write-options.js';
import { checkKind } from './jobs.js';

export interface ResourceAttributes {
  namespace?: string;
  verb?: string;
  group?: string;
  version?: string;
  resource?: string;
  subresource?: string;
  name?: string;
}

export interface NonResourceAttributes {
  path?: string;
  verb?: string;
}

export interface Decision {
  allowed: boolean;
  reason: string;
}

/** Who the caller is: with a token configured only its holders get this far. */
export interface Caller {
  tokenConfigured: boolean;
}

/** Non-resource URLs jobfleet serves (GET only); a trailing `*` matches any rest, as in RBAC. */
export const NON_RESOURCE_URLS = ['/healthz', '/livez', '/readyz', '/version', '/version/', '/api', '/api/*', '/apis', '/apis/*', '/openapi/v2', '/openapi/v3', '/openapi/v3/*'] as const;

function allowedReason(caller: Caller): string {
  return caller.tokenConfigured
    ? 'jobfleet: the holder of the API token may do everything jobfleet serves'
    : 'jobfleet: no API token is configured, so every client may do everything jobfleet serves';
}

const qualified = (resource: string, group: string) => (group ? `${resource}.${group}` : resource);

/** SelfSubjectAccessReview's answer for resource attributes (pure). */
export function reviewResource(attrs: ResourceAttributes, caller: Caller, served: readonly GroupVersionDef[] = ALL_GROUP_VERSIONS): Decision {
  const group = attrs.group ?? '';
  const resource = attrs.resource ?? '';
  const verb = attrs.verb ?? '';
  const subresource = attrs.subresource ?? '';
  const what = qualified(subresource ? `${resource}/${subresource}` : resource, group);
  if ([group, resource, verb, subresource].includes('*')) {
    return { allowed: false, reason: `jobfleet serves only some verbs of some resources, not every one: ask about one verb of one resource (${verb} ${what})` };
  }
  // RBAC ignores the version; so does this (each group has one).
  const versions = served.filter((gv) => gv.group === group && (!attrs.version || gv.version === attrs.version));
  const def = versions.flatMap((gv) => gv.resources).find((r) => r.name === resource);
  if (!def) return { allowed: false, reason: `jobfleet does not serve ${qualified(resource, group)}` };
  const verbs = subresource ? def.subresources?.find((s) => s.name === subresource)?.verbs : def.verbs;
  if (!verbs) return { allowed: false, reason: `jobfleet does not serve ${what}` };
  if (!verbs.includes(verb)) return { allowed: false, reason: `jobfleet serves ${what} with the verbs ${verbs.join(', ')} only` };
  return { allowed: true, reason: allowedReason(caller) };
}

/** SelfSubjectAccessReview's answer for a non-resource URL (pure). */
export function reviewNonResource(attrs: NonResourceAttributes, caller: Caller): Decision {
  const path = attrs.path ?? '';
  const verb = attrs.verb ?? '';
  const served = NON_RESOURCE_URLS.some((url) => (url.endsWith('*') ? path.startsWith(url.slice(0, -1)) : path === url));
  if (!served) return { allowed: false, reason: `jobfleet does not serve ${path}` };
  if (verb !== 'get') return { allowed: false, reason: `jobfleet serves ${path} with the verb get only` };
  return { allowed: true, reason: allowedReason(caller) };
}

/** SelfSubjectRulesReview's status: one rule per served resource and subresource, and the non-resource URLs. */
export function rulesReviewStatus(served: readonly GroupVersionDef[] = ALL_GROUP_VERSIONS) {
  const resourceRules = served.flatMap((gv) =>
    gv.resources.flatMap((r) => [
      { verbs: r.verbs, apiGroups: [gv.group], resources: [r.name] },
      ...(r.subresources ?? []).map((s) => ({ verbs: s.verbs, apiGroups: [gv.group], resources: [`${r.name}/${s.name}`] })),
    ]),
  );
  return { resourceRules, nonResourceRules: [{ verbs: ['get'], nonResourceURLs: [...NON_RESOURCE_URLS] }], incomplete: false };
}

/** SelfSubjectReview's user. */
export function userInfo(caller: Caller) {
  return caller.tokenConfigured ? { username: 'jobfleet', groups: ['system:authenticated'] } : { username: 'system:anonymous', groups: ['system:unauthenticated'] };
}

const ATTRIBUTE_FIELDS = {
  resourceAttributes: ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'],
  nonResourceAttributes: ['path', 'verb'],
} as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The string attributes of spec[field], checked as Kubernetes decodes them (a wrong type is a 400);
 * undefined when absent or null. Other fields (fieldSelector, labelSelector) are echoed, not used.
 */
function attributes(spec: Record<string, unknown>, field: keyof typeof ATTRIBUTE_FIELDS): Record<string, string> | undefined {
  const value = spec[field];
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) throw new BadRequestError(`SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: spec.${field}: must be an object, got ${textOf(value)}`);
  const out: Record<string, string> = {};
  for (const key of ATTRIBUTE_FIELDS[field]) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    if (typeof v !== 'string') throw new BadRequestError(`SelfSubjectAccessReview in version "v1" cannot be handled as a SelfSubjectAccessReview: spec.${field}.${key}: must be a string, got ${textOf(v)}`);
    out[key] = v;
  }
  return out;
}

function reviewBody(req: FastifyRequest, gv: GroupVersionDef, kind: string): Record<string, unknown> {
  writeOptions(req);
  const body = decodeBody(req);
  checkKind(body, groupVersion(gv), kind);
  const spec = body.spec ?? {};
  if (!isObject(spec)) throw new BadRequestError(`${kind} in version "${gv.version}" cannot be handled as a ${kind}: spec: must be an object, got ${textOf(spec)}`);
  return { ...body, spec };
}

/** Metadata as the API server answers a review it does not store: the request's, with creationTimestamp null. */
function answerMetadata(body: Record<string, unknown>): Record<string, unknown> {
  const meta = isObject(body.metadata) ? body.metadata : {};
  return { ...meta, creationTimestamp: null };
}

function accessReview(req: FastifyRequest, caller: Caller) {
  const body = reviewBody(req, AUTHORIZATION_V1, 'SelfSubjectAccessReview');
  const spec = body.spec as Record<string, unknown>;
  const resource = attributes(spec, 'resourceAttributes');
  const nonResource = attributes(spec, 'nonResourceAttributes');
  const target = { group: 'authorization.k8s.io', kind: 'SelfSubjectAccessReview', name: '' };
  if (resource && nonResource) {
    throw new InvalidError({ ...target, errors: [invalid('spec.nonResourceAttributes', spec.nonResourceAttributes, 'cannot be specified in combination with resourceAttributes')] });
  }
  if (!resource && !nonResource) {
    throw new InvalidError({ ...target, errors: [invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified')] });
  }
  const decision = resource ? reviewResource(resource, caller) : reviewNonResource(nonResource ?? {}, caller);
  return {
    kind: 'SelfSubjectAccessReview',
    apiVersion: groupVersion(AUTHORIZATION_V1),
    metadata: answerMetadata(body),
    spec,
    status: decision.allowed ? { allowed: true, reason: decision.reason } : { allowed: false, reason: decision.reason },
  };
}

function rulesReview(req: FastifyRequest) {
  const body = reviewBody(req, AUTHORIZATION_V1, 'SelfSubjectRulesReview');
  return { kind: 'SelfSubjectRulesReview', apiVersion: groupVersion(AUTHORIZATION_V1), metadata: answerMetadata(body), spec: body.spec, status: rulesReviewStatus() };
}

function selfReview(req: FastifyRequest, caller: Caller) {
  const body = reviewBody(req, AUTHENTICATION_V1, 'SelfSubjectReview');
  return { kind: 'SelfSubjectReview', apiVersion: groupVersion(AUTHENTICATION_V1), metadata: answerMetadata(body), status: { userInfo: userInfo(caller) } };
}

export function registerAuthorizationRoutes(app: FastifyInstance, caller: Caller): void {
  const authz = `/apis/${groupVersion(AUTHORIZATION_V1)}`;
  app.post(`${authz}/selfsubjectaccessreviews`, async (req, reply) => sendJson(reply, 201, accessReview(req, caller)));
  app.post(`${authz}/selfsubjectrulesreviews`, async (req, reply) => sendJson(reply, 201, rulesReview(req)));
  app.post(`/apis/${groupVersion(AUTHENTICATION_V1)}/selfsubjectreviews`, async (req, reply) => sendJson(reply, 201, selfReview(req, caller)));
}
