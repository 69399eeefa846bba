/**
 * Writes to pods, as the Kubernetes API server serves them: DELETE of one pod (graceful, with
 * gracePeriodSeconds, preconditions and dryRun) and of a collection (label and field selectors),
 * PUT and PATCH (JSON, merge and strategic merge) of a pod and of pods/status, and the eviction
 * subresource (eviction.ts). What a write may change, and how a deletion proceeds, is decided by
 * @jobfleet/kube (pod-api.ts) and applied atomically by @jobfleet/controllers (pod-updates.ts).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BadRequestError, JobfleetError, textOf, type Pod } from '@jobfleet/kube';
import { deletePod, updatePod, type PodMutation } from '@jobfleet/controllers';
import { podNamesPage } from '@jobfleet/store';
import type { ApiContext } from '../context.js';
import { deleteBody, readDeleteOptions } from '../delete-options.js';
import { decodeBody, patchBody, patchContentType, queryString, sendJson } from '../http.js';
import { POD_PATCH_SCHEMA, applyPatchOrFail } from '../patch.js';
import { matches, parseFieldSelector, parseLabelSelector } from '../selectors.js';
import { sendObject } from '../tables.js';
import { writeOptions } from '../write-options.js';
import { checkKind } from './jobs.js';
import { POD_FIELDS, isObject, podFieldValues, podNotFound } from './pod-fields.js';

interface NsParams {
  ns: string;
}
interface NameParams extends NsParams {
  name: string;
}

/** Pods one deletecollection reads per round trip. */
const COLLECTION_PAGE = 500;

export function registerPodWriteRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const item = '/api/v1/namespaces/:ns/pods/:name';
  const now = () => ctx.cluster.store.now();
  app.delete<{ Params: NameParams }>(item, async (req, reply) => sendObject(req, reply, 'pods', await removePod(ctx, req, req.params.ns, req.params.name), now));
  app.delete<{ Params: NsParams }>('/api/v1/namespaces/:ns/pods', async (req, reply) => sendJson(reply, 200, await removeCollection(ctx, req, req.params.ns)));
  for (const subresource of [undefined, 'status'] as const) {
    const path = subresource ? `${item}/${subresource}` : item;
    app.put<{ Params: NameParams }>(path, async (req, reply) => sendObject(req, reply, 'pods', await replacePod(ctx, req, req.params.ns, req.params.name, subresource), now));
    app.patch<{ Params: NameParams }>(path, async (req, reply) => sendObject(req, reply, 'pods', await patchPod(ctx, req, req.params.ns, req.params.name, subresource), now));
  }
}

async function removePod(ctx: ApiContext, req: FastifyRequest, ns: string, name: string): Promise<Pod> {
  const options = readDeleteOptions(req, deleteBody(req));
  const deleted = await deletePod(ctx.cluster.store, ctx.cluster.controller, ns, name, { ...options, queues: ctx.cluster.queues });
  if (!deleted) throw podNotFound(name);
  return deleted.pod;
}

/** deletecollection: every pod of the namespace the selectors match, each with its uid as precondition; answers the PodList deleted. */
async function removeCollection(ctx: ApiContext, req: FastifyRequest, ns: string) {
  const options = readDeleteOptions(req, deleteBody(req));
  const labels = parseLabelSelector(queryString(req, 'labelSelector'));
  const fields = parseFieldSelector(queryString(req, 'fieldSelector'), POD_FIELDS);
  const store = ctx.cluster.store;
  const deleted: Pod[] = [];
  let after: string | undefined;
  for (;;) {
    const names = await podNamesPage(store, ns, after, COLLECTION_PAGE);
    if (names.length === 0) break;
    after = names[names.length - 1];
    const pods = (await store.getPods(ns, names)).map((s) => s.pod).filter((pod) => matches(labels, pod.metadata.labels ?? {}) && matches(fields, podFieldValues(pod)));
    for (const pod of pods) {
      // A namesake created since the read is not deleted (nor reported).
      const gone = await deletePod(store, ctx.cluster.controller, ns, pod.metadata.name ?? '', { ...options, uid: pod.metadata.uid, queues: ctx.cluster.queues }).catch((err: unknown) => {
        if (err instanceof JobfleetError && err.code === 409) return undefined;
        throw err;
      });
      if (gone) deleted.push(gone.pod);
    }
  }
  return { kind: 'PodList', apiVersion: 'v1', metadata: { resourceVersion: await store.currentResourceVersion() }, items: deleted };
}

async function replacePod(ctx: ApiContext, req: FastifyRequest, ns: string, name: string, subresource: 'status' | undefined): Promise<Pod> {
  const { dryRun } = writeOptions(req);
  const body = decodeBody(req);
  checkKind(body, 'v1', 'Pod');
  const metadata = isObject(body.metadata) ? body.metadata : {};
  if (metadata.name !== undefined && metadata.name !== name) {
    throw new BadRequestError(`the name of the object (${textOf(metadata.name)}) does not match the name on the URL (${name})`);
  }
  if (metadata.namespace !== undefined && metadata.namespace !== ns) {
    throw new BadRequestError('the namespace of the provided object does not match the namespace sent on the request');
  }
  return updatePod(ctx.cluster.store, ctx.cluster.controller, ns, name, () => body, { dryRun, ...(subresource ? { subresource } : {}) });
}

async function patchPod(ctx: ApiContext, req: FastifyRequest, ns: string, name: string, subresource: 'status' | undefined): Promise<Pod> {
  const { dryRun } = writeOptions(req);
  const type = patchContentType(req);
  const patch = patchBody(req);
  const mutate: PodMutation = (current) => {
    const patched = applyPatchOrFail(type, current, patch, POD_PATCH_SCHEMA);
    const meta = isObject(patched.metadata) ? patched.metadata : {};
    // A resourceVersion the patch did not change is no precondition: the patch is applied again on a conflict.
    if (meta.resourceVersion === current.metadata.resourceVersion) delete meta.resourceVersion;
    return patched;
  };
  return updatePod(ctx.cluster.store, ctx.cluster.controller, ns, name, mutate, { dryRun, ...(subresource ? { subresource } : {}) });
}
