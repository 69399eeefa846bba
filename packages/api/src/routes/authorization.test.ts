import { describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.js';
import { CORE_V1, type GroupVersionDef } from '../discovery.js';
import { buildServer } from '../server.js';
import { reviewNonResource, reviewResource, rulesReviewStatus, userInfo } from './authorization.js';

const anyone = { tokenConfigured: false };
const holder = { tokenConfigured: true };

describe('SelfSubjectAccessReview decisions: whatever jobfleet serves, nothing else', () => {
  it.each([
    { attrs: { verb: 'create', group: 'batch', resource: 'jobs' }, allowed: true },
    { attrs: { verb: 'deletecollection', group: 'batch', resource: 'jobs', namespace: 'any' }, allowed: true },
    { attrs: { verb: 'watch', group: '', resource: 'pods' }, allowed: true },
    { attrs: { verb: 'get', group: '', resource: 'pods', subresource: 'log' }, allowed: true },
    { attrs: { verb: 'get', group: 'batch', resource: 'jobs', subresource: 'status', version: 'v1' }, allowed: true },
    { attrs: { verb: 'create', group: 'authorization.k8s.io', resource: 'selfsubjectaccessreviews' }, allowed: true },
    { attrs: { verb: 'create', group: 'batch', resource: 'cronjobs' }, allowed: true },
    { attrs: { verb: 'update', group: 'batch', resource: 'cronjobs', subresource: 'status', namespace: 'any' }, allowed: true },
    { attrs: { verb: 'create', group: 'batch', resource: 'cronjobs', subresource: 'instantiate' }, allowed: false, reason: 'jobfleet does not serve cronjobs/instantiate.batch' },
    { attrs: { verb: 'create', group: 'apps', resource: 'deployments' }, allowed: false, reason: 'jobfleet does not serve deployments.apps' },
    { attrs: { verb: 'create', group: 'batch', resource: 'jobs', version: 'v2' }, allowed: false, reason: 'jobfleet does not serve jobs.batch' },
    { attrs: { verb: 'create', group: '', resource: 'nodes' }, allowed: false, reason: 'jobfleet serves nodes with the verbs delete, get, list, patch, watch only' },
    { attrs: { verb: 'create', group: '', resource: 'pods', subresource: 'exec' }, allowed: false, reason: 'jobfleet does not serve pods/exec' },
    { attrs: { verb: '*', group: 'batch', resource: 'jobs' }, allowed: false },
    { attrs: { verb: 'get', group: '*', resource: '*' }, allowed: false },
  ])('$attrs.verb $attrs.resource $attrs.subresource (group "$attrs.group") → $allowed', ({ attrs, allowed, reason }) => {
    const decision = reviewResource(attrs, holder);
    expect(decision.allowed).toBe(allowed);
    if (reason) expect(decision.reason).toBe(reason);
  });

  it('follows the served verbs: a verb added to a resource is allowed at once', () => {
    const withDelete: GroupVersionDef = { ...CORE_V1, resources: CORE_V1.resources.map((r) => (r.name === 'pods' ? { ...r, verbs: [...r.verbs, 'delete'] } : r)) };
    expect(reviewResource({ verb: 'delete', resource: 'pods' }, holder, [withDelete]).allowed).toBe(true);
    expect(reviewResource({ verb: 'delete', resource: 'pods' }, holder, [CORE_V1]).allowed).toBe(CORE_V1.resources.find((r) => r.name === 'pods')?.verbs.includes('delete'));
  });

  it.each([
    { attrs: { path: '/version', verb: 'get' }, allowed: true },
    { attrs: { path: '/openapi/v3/apis/batch/v1', verb: 'get' }, allowed: true },
    { attrs: { path: '/healthz', verb: 'post' }, allowed: false },
    { attrs: { path: '/metrics', verb: 'get' }, allowed: false },
  ])('non-resource $attrs.verb $attrs.path → $allowed', ({ attrs, allowed }) => {
    expect(reviewNonResource(attrs, anyone).allowed).toBe(allowed);
  });

  it('says why it allows: the token, or no token at all', () => {
    expect(reviewResource({ verb: 'get', group: 'batch', resource: 'jobs' }, holder).reason).toMatch(/holder of the API token/);
    expect(reviewResource({ verb: 'get', group: 'batch', resource: 'jobs' }, anyone).reason).toMatch(/no API token is configured/);
  });

  it('lists the same rules for SelfSubjectRulesReview, and names the user for SelfSubjectReview', () => {
    const status = rulesReviewStatus();
    expect(status.incomplete).toBe(false);
    expect(status.resourceRules).toContainEqual({ verbs: expect.arrayContaining(['create', 'delete', 'get', 'list', 'patch', 'update', 'watch']), apiGroups: ['batch'], resources: ['jobs'] });
    expect(status.resourceRules).toContainEqual({ verbs: ['get'], apiGroups: [''], resources: ['pods/log'] });
    expect(userInfo(holder)).toEqual({ username: 'jobfleet', groups: ['system:authenticated'] });
    expect(userInfo(anyone)).toEqual({ username: 'system:anonymous', groups: ['system:unauthenticated'] });
  });
});

/** No store: these routes never touch it (a boundary these tests are not about). */
function server(token?: string): FastifyInstance {
  return buildServer({} as ApiContext, { token });
}

async function post(app: FastifyInstance, url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await app.inject({ method: 'POST', url, payload: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.statusCode, body: res.json() as Record<string, unknown> };
}

describe('the review endpoints', () => {
  const SSAR = '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews';

  it('answers a SelfSubjectAccessReview with 201 and the spec echoed, as the API server', async () => {
    const spec = { resourceAttributes: { namespace: 'default', verb: 'create', group: 'batch', resource: 'jobs' } };
    const res = await post(server(), SSAR, { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      kind: 'SelfSubjectAccessReview',
      apiVersion: 'authorization.k8s.io/v1',
      metadata: { creationTimestamp: null },
      spec,
      status: { allowed: true, reason: expect.stringMatching(/^jobfleet: /) },
    });
  });

  it('refuses a review without attributes, or with both, with Kubernetes\' 422; a wrong type with 400', async () => {
    const none = await post(server(), SSAR, { kind: 'SelfSubjectAccessReview', spec: {} });
    expect(none.status).toBe(422);
    expect(none.body.message).toBe(
      'SelfSubjectAccessReview.authorization.k8s.io "" is invalid: spec.resourceAttributes: Invalid value: "null": exactly one of nonResourceAttributes or resourceAttributes must be specified',
    );
    const both = await post(server(), SSAR, { spec: { resourceAttributes: { verb: 'get' }, nonResourceAttributes: { path: '/version', verb: 'get' } } });
    expect(both.status).toBe(422);
    expect(both.body.message).toMatch(/spec.nonResourceAttributes: Invalid value: .*cannot be specified in combination with resourceAttributes/);
    const typed = await post(server(), SSAR, { spec: { resourceAttributes: { verb: 5 } } });
    expect(typed.status).toBe(400);
    const wrongKind = await post(server(), SSAR, { apiVersion: 'batch/v1', kind: 'Job', spec: {} });
    expect(wrongKind.status).toBe(400);
  });

  it('answers rules and whoami; with a token configured, only its holder gets an answer', async () => {
    const rules = await post(server(), '/apis/authorization.k8s.io/v1/selfsubjectrulesreviews', { spec: { namespace: 'default' } });
    expect(rules.status).toBe(201);
    expect(rules.body.status).toMatchObject({ incomplete: false });
    const whoami = await post(server('s3cret'), '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview' }, { authorization: 'Bearer s3cret' });
    expect(whoami.status).toBe(201);
    expect(whoami.body).toMatchObject({ kind: 'SelfSubjectReview', apiVersion: 'authentication.k8s.io/v1', status: { userInfo: { username: 'jobfleet', groups: ['system:authenticated'] } } });
    const stranger = await post(server('s3cret'), '/apis/authentication.k8s.io/v1/selfsubjectreviews', { kind: 'SelfSubjectReview' });
    expect(stranger.status).toBe(401);
    const anonymous = await post(server(), '/apis/authentication.k8s.io/v1/selfsubjectreviews', {});
    expect(anonymous.body.status).toEqual({ userInfo: { username: 'system:anonymous', groups: ['system:unauthenticated'] } });
  });
});

describe('discovery of the review groups, /version, and trailing slashes', () => {
  it('lists authorization.k8s.io and authentication.k8s.io, and serves paths with a trailing slash as the API server', async () => {
    const app = server();
    const get = async (url: string) => {
      const res = await app.inject({ method: 'GET', url });
      return { status: res.statusCode, body: res.json() as Record<string, unknown> };
    };
    const apis = await get('/apis/');
    expect(apis.status).toBe(200);
    expect((apis.body.groups as { name: string }[]).map((g) => g.name)).toEqual(['batch', 'authentication.k8s.io', 'authorization.k8s.io']);
    const authz = await get('/apis/authorization.k8s.io/v1/');
    expect(authz.body).toMatchObject({ kind: 'APIResourceList', groupVersion: 'authorization.k8s.io/v1' });
    expect((await get('/api/')).body.kind).toBe('APIVersions');
    expect((await get('/apis/batch/v1/')).body.groupVersion).toBe('batch/v1');
    const version = await get('/version/');
    expect(version.status).toBe(200);
    expect(version.body).toMatchObject({ major: '1', minor: '33', compiler: 'jobfleet', gitVersion: expect.stringMatching(/^v1\.33\.0-jobfleet\.\d+\.\d+\.\d+/) });
    for (const field of ['gitCommit', 'gitTreeState', 'buildDate', 'goVersion', 'platform']) expect(typeof version.body[field], field).toBe('string');
    // /version/ is as open as /version, as system:public-info-viewer allows both.
    const tokenApp = server('s3cret');
    expect((await tokenApp.inject({ method: 'GET', url: '/version/' })).statusCode).toBe(200);
    expect((await tokenApp.inject({ method: 'GET', url: '/apis/' })).statusCode).toBe(401);
    // The request-deadline filter runs before authentication: a malformed timeout is a 400 even then.
    const badTimeout = await tokenApp.inject({ method: 'GET', url: '/apis?timeout=5' });
    expect(badTimeout.statusCode).toBe(400);
    expect(badTimeout.json()).toMatchObject({ reason: 'BadRequest', message: 'invalid timeout specified in the request URL - time: missing unit in duration "5"' });
    expect((await app.inject({ method: 'GET', url: '/apis?timeout=32s' })).statusCode).toBe(200);
  });
});
