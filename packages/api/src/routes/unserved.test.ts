import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { methodNotAllowedStatus, resourceOfPath, RouteMethods } from './unserved.js';

const request = (method: string, url: string) => ({ method, url }) as FastifyRequest;

describe('the resource a path names', () => {
  it.each([
    ['/api/v1/nodes', { group: '', resource: 'nodes' }],
    ['/api/v1/nodes/n1/status', { group: '', resource: 'nodes/status' }],
    ['/api/v1/namespaces', { group: '', resource: 'namespaces' }],
    ['/api/v1/namespaces/team', { group: '', resource: 'namespaces' }],
    ['/api/v1/namespaces/team/status', { group: '', resource: 'namespaces/status' }],
    ['/api/v1/namespaces/team/pods', { group: '', resource: 'pods' }],
    ['/api/v1/namespaces/team/pods/p/log', { group: '', resource: 'pods/log' }],
    ['/apis/batch/v1/namespaces/team/jobs/j', { group: 'batch', resource: 'jobs' }],
    ['/apis/batch/v1/jobs', { group: 'batch', resource: 'jobs' }],
    ['/openapi/v2', undefined],
    ['/api/v1', undefined],
  ])('%s → %j', (path, expected) => {
    expect(resourceOfPath(path)).toEqual(expected);
  });
});

describe('a method a served path does not take', () => {
  const routes = new RouteMethods();
  routes.add('/api/v1/nodes/:name', ['GET', 'HEAD']);
  routes.add('/api/v1/namespaces/:name', 'PATCH');
  routes.add('/api/v1/namespaces/:name', 'GET');
  routes.add('/openapi/v3/*', 'GET');

  it('is told from a path that is not served', () => {
    expect(routes.allowedOtherwise(request('PATCH', '/api/v1/nodes/n1?fieldManager=kubectl'))).toEqual(['GET', 'HEAD']);
    expect(routes.allowedOtherwise(request('PUT', '/api/v1/namespaces/team/'))).toEqual(['GET', 'PATCH']);
    expect(routes.allowedOtherwise(request('POST', '/openapi/v3/apis/batch/v1'))).toEqual(['GET']);
    expect(routes.allowedOtherwise(request('GET', '/api/v1/nodes/n1'))).toBeUndefined();
    expect(routes.allowedOtherwise(request('GET', '/api/v1/nodes/n1/proxy'))).toBeUndefined();
    expect(routes.allowedOtherwise(request('DELETE', '/apis/apps/v1/deployments'))).toBeUndefined();
  });

  it('is a 405 worded as the API server\'s NewMethodNotSupported', () => {
    expect(methodNotAllowedStatus(request('PATCH', '/api/v1/nodes/n1'), ['GET', 'HEAD'])).toMatchObject({
      kind: 'Status',
      code: 405,
      reason: 'MethodNotAllowed',
      message: 'patch is not supported on resources of kind "nodes"',
      details: { kind: 'nodes', causes: [{ reason: 'UnexpectedServerResponse', message: 'PATCH is not allowed on /api/v1/nodes/n1 (allowed: GET, HEAD)' }] },
    });
    expect(methodNotAllowedStatus(request('POST', '/apis/batch/v1/namespaces/a/jobs/j'), ['GET'])).toMatchObject({ message: 'create is not supported on resources of kind "jobs.batch"', details: { group: 'batch', kind: 'jobs' } });
  });
});
