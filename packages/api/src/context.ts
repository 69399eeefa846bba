import type { FastifyRequest } from 'fastify';
import type { Cluster } from '@jobfleet/controllers';
import type { ChangeFeed } from './change-feed.js';
import { queryInt, queryString } from './http.js';
import { decodeContinue, encodeContinue, listPage, type PageRequest } from './lists.js';

export interface ApiContext {
  cluster: Cluster;
  feed: ChangeFeed;
  /** Accept privileged pods (ApiOptions.allowPrivileged). */
  allowPrivileged?: boolean;
  /** Unsent bytes a watch may hold before it is closed (ApiOptions.watchBufferBytes). */
  watchBufferBytes?: number;
  /** A node whose heartbeat is older than this is NotReady (ApiOptions.nodeGraceMs). */
  nodeGraceMs: number;
}

export interface ListSpec<T> extends Omit<PageRequest<T>, 'namespaces' | 'limit' | 'continueToken'> {
  kind: string;
  apiVersion: string;
  /** One namespace, or every namespace in use when undefined. */
  ns: string | undefined;
}

/** A Kubernetes list object (`JobList`, `PodList`, ...) honouring limit and continue. */
export async function listResponse<T>(ctx: ApiContext, req: FastifyRequest, spec: ListSpec<T>) {
  const store = ctx.cluster.store;
  const token = decodeContinue(queryString(req, 'continue'));
  const rv = token?.rv || (await store.currentResourceVersion());
  const namespaces = spec.ns !== undefined ? [spec.ns] : await store.namespaces();
  const page = await listPage({ ...spec, namespaces, limit: queryInt(req, 'limit'), continueToken: token });
  return {
    kind: spec.kind,
    apiVersion: spec.apiVersion,
    metadata: { resourceVersion: rv, ...(page.continueToken ? { continue: encodeContinue({ ...page.continueToken, rv }) } : {}) },
    items: page.items,
  };
}
