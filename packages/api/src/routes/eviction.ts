/**
 * The pods/eviction subresource (policy/v1 Eviction, policy/v1beta1 accepted), as the API server's
 * EvictionREST (pkg/registry/core/pod/storage/eviction.go): the pod gets the DisruptionTarget
 * condition (reason EvictionByEvictionAPI) and is deleted gracefully with the Eviction's
 * deleteOptions; the answer is a 201 Status Success. jobfleet has no PodDisruptionBudgets, so an
 * eviction is never refused with 429 for one.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, textOf } from '@jobfleet/kube';
import { evictPod } from '@jobfleet/controllers';
import type { ApiContext } from '../context.js';
import { readDeleteOptions } from '../delete-options.js';
import { decodeBody, queryString, sendJson } from '../http.js';
import { isObject, podNotFound } from './pod-fields.js';

const EVICTION_VERSIONS = ['policy/v1', 'policy/v1beta1'];

interface NameParams {
  ns: string;
  name: string;
}

export function registerEvictionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: NameParams }>('/api/v1/namespaces/:ns/pods/:name/eviction', async (req, reply) => {
    await evict(ctx, req, req.params.ns, req.params.name);
    return sendJson(reply, 201, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', code: 201 });
  });
}

async function evict(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<void> {
  const body = decodeBody(req);
  if (body.apiVersion !== undefined && !EVICTION_VERSIONS.includes(textOf(body.apiVersion))) {
    throw new BadRequestError(`the API version in the data (${textOf(body.apiVersion)}) does not match the expected API version (policy/v1)`);
  }
  if (body.kind !== undefined && body.kind !== 'Eviction') throw new BadRequestError(`not a Eviction object: ${textOf(body.kind)}`);
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.namespace !== undefined && metadata.namespace !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
  if (metadata.name !== name) throw new BadRequestError('name in URL does not match name in Eviction object');
  const deleteOptions = body.deleteOptions ?? {};
  if (!isObject(deleteOptions)) throw new BadRequestError(`deleteOptions: Invalid value: ${textOf(deleteOptions)}: must be an object`);
  // The request's dryRun and the Eviction's must agree when both are given (propagateDryRun).
  const queryDryRun = queryString(req, 'dryRun');
  const bodyDryRun = deleteOptions.dryRun;
  if (queryDryRun && Array.isArray(bodyDryRun) && bodyDryRun.length > 0 && JSON.stringify(bodyDryRun) !== JSON.stringify([queryDryRun])) {
    throw new BadRequestError(`Non-matching dry-run options in request and content: [${queryDryRun}] and [${bodyDryRun.map(textOf).join(' ')}]`);
  }
  const options = readDeleteOptions(req, deleteOptions);
  const evicted = await evictPod(ctx.cluster.store, ctx.cluster.controller, ns, name, { ...options, queues: ctx.cluster.queues });
  if (!evicted) throw podNotFound(name);
}
