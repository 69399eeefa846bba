/**
 * API discovery, so that kubectl and client-go find jobfleet's resources: /version, the legacy
 * documents (/api, /apis, /api/v1, /apis/batch/v1) and, when the client's Accept header asks for
 * it, aggregated discovery (apidiscovery.k8s.io/v2 or v2beta1 APIGroupDiscoveryList) in one answer.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendJson } from './http.js';
import { parseAccept } from './tables.js';

/** The Kubernetes version whose API jobfleet follows (kubectl warns past one minor version of skew). */
export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0-jobfleet' } as const;

export interface SubresourceDef {
  name: string;
  kind: string;
  verbs: string[];
}

export interface ResourceDef {
  name: string;
  singularName: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
  shortNames?: string[];
  categories?: string[];
  subresources?: SubresourceDef[];
}

export interface GroupVersionDef {
  /** '' for the core group. */
  group: string;
  version: string;
  resources: ResourceDef[];
}

export const CORE_V1: GroupVersionDef = {
  group: '',
  version: 'v1',
  resources: [
    { name: 'events', singularName: 'event', kind: 'Event', namespaced: true, verbs: ['get', 'list', 'watch'], shortNames: ['ev'] },
    { name: 'namespaces', singularName: 'namespace', kind: 'Namespace', namespaced: false, verbs: ['create', 'delete', 'get', 'list', 'patch'], shortNames: ['ns'] },
    { name: 'nodes', singularName: 'node', kind: 'Node', namespaced: false, verbs: ['get', 'list'], shortNames: ['no'] },
    {
      name: 'pods',
      singularName: 'pod',
      kind: 'Pod',
      namespaced: true,
      verbs: ['get', 'list', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        { name: 'log', kind: 'Pod', verbs: ['get'] },
        { name: 'status', kind: 'Pod', verbs: ['get'] },
      ],
    },
  ],
};

export const BATCH_V1: GroupVersionDef = {
  group: 'batch',
  version: 'v1',
  resources: [
    {
      name: 'jobs',
      singularName: 'job',
      kind: 'Job',
      namespaced: true,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      categories: ['all'],
      subresources: [{ name: 'status', kind: 'Job', verbs: ['get'] }],
    },
  ],
};

const groupVersion = (gv: GroupVersionDef) => (gv.group ? `${gv.group}/${gv.version}` : gv.version);

/** metav1.APIResourceList of one group version (legacy discovery). */
export function apiResourceList(gv: GroupVersionDef) {
  const resources = gv.resources.flatMap((r) => [
    {
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: r.verbs,
      ...(r.shortNames ? { shortNames: r.shortNames } : {}),
      ...(r.categories ? { categories: r.categories } : {}),
    },
    ...(r.subresources ?? []).map((s) => ({ name: `${r.name}/${s.name}`, singularName: '', namespaced: r.namespaced, kind: s.kind, verbs: s.verbs })),
  ]);
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(gv), resources };
}

function apiGroup(gv: GroupVersionDef) {
  const version = { groupVersion: groupVersion(gv), version: gv.version };
  return { name: gv.group, versions: [version], preferredVersion: version };
}

/** apidiscovery.k8s.io APIGroupDiscovery of one group. */
function groupDiscovery(gv: GroupVersionDef) {
  const kindOf = (kind: string) => ({ group: gv.group, version: gv.version, kind });
  return {
    metadata: gv.group ? { name: gv.group, creationTimestamp: null } : { creationTimestamp: null },
    versions: [
      {
        version: gv.version,
        freshness: 'Current',
        resources: gv.resources.map((r) => ({
          resource: r.name,
          responseKind: kindOf(r.kind),
          scope: r.namespaced ? 'Namespaced' : 'Cluster',
          singularResource: r.singularName,
          verbs: r.verbs,
          ...(r.shortNames ? { shortNames: r.shortNames } : {}),
          ...(r.categories ? { categories: r.categories } : {}),
          ...(r.subresources ? { subresources: r.subresources.map((s) => ({ subresource: s.name, responseKind: kindOf(s.kind), verbs: s.verbs })) } : {}),
        })),
      },
    ],
  };
}

/** The aggregated-discovery version the client accepts (v2 preferred), if any. */
export function aggregatedDiscoveryVersion(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  const offered = parseAccept(accept).filter((m) => m.type === 'application/json' && m.params.g === 'apidiscovery.k8s.io' && m.params.as === 'APIGroupDiscoveryList');
  if (offered.some((m) => m.params.v === 'v2')) return 'v2';
  if (offered.some((m) => m.params.v === 'v2beta1')) return 'v2beta1';
  return undefined;
}

function sendDiscovery(req: FastifyRequest, reply: FastifyReply, groups: GroupVersionDef[], legacy: () => unknown): FastifyReply {
  reply.header('vary', 'Accept');
  const version = aggregatedDiscoveryVersion(req.headers.accept);
  if (!version) return sendJson(reply, 200, legacy());
  const body = { kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${version}`, metadata: {}, items: groups.map(groupDiscovery) };
  return reply
    .code(200)
    .header('content-type', `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`)
    .send(JSON.stringify(body));
}

export function registerDiscoveryRoutes(app: FastifyInstance): void {
  app.get('/version', async (_req, reply) =>
    sendJson(reply, 200, {
      ...KUBERNETES_VERSION,
      gitCommit: '',
      gitTreeState: 'clean',
      buildDate: '1970-01-01T00:00:00Z',
      goVersion: '',
      compiler: 'jobfleet',
      platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
    }),
  );
  app.get('/api', async (req, reply) =>
    sendDiscovery(req, reply, [CORE_V1], () => ({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] })),
  );
  app.get('/apis', async (req, reply) => sendDiscovery(req, reply, [BATCH_V1], () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: [apiGroup(BATCH_V1)] })));
  app.get('/api/v1', async (_req, reply) => sendJson(reply, 200, apiResourceList(CORE_V1)));
  app.get('/apis/batch', async (_req, reply) => sendJson(reply, 200, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(BATCH_V1) }));
  app.get('/apis/batch/v1', async (_req, reply) => sendJson(reply, 200, apiResourceList(BATCH_V1)));
}
