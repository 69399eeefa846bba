/**
 * API discovery, so that kubectl and client-go find jobfleet's resources: /version, the legacy
 * documents (/api, /apis, /api/v1, /apis/GROUP, /apis/GROUP/VERSION) and, when the client's Accept
 * header asks for it, aggregated discovery (apidiscovery.k8s.io/v2 or v2beta1 APIGroupDiscoveryList)
 * in one answer. The resource definitions here are also what the OpenAPI documents and the
 * authorization reviews (`kubectl auth can-i`) answer from.
 */
import { readFileSync } from 'node:fs';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { sendJson } from './http.js';
import { parseAccept } from './tables.js';

/** The Kubernetes version whose API jobfleet follows (kubectl warns past one minor version of skew). */
export const KUBERNETES_VERSION = { major: '1', minor: '33', patch: '0' } as const;

/** What the build recorded (scripts/build-info.mjs writes dist/build-info.json); empty when run from the sources. */
interface BuildInfo {
  version: string;
  gitCommit: string;
  gitTreeState: string;
  buildDate: string;
}

function readBuildInfo(): BuildInfo {
  const fallback = { version: '0.0.0', gitCommit: '', gitTreeState: '', buildDate: '1970-01-01T00:00:00Z' };
  try {
    const raw = JSON.parse(readFileSync(new URL('./build-info.json', import.meta.url), 'utf8')) as Partial<BuildInfo>;
    return {
      version: typeof raw.version === 'string' ? raw.version : fallback.version,
      gitCommit: typeof raw.gitCommit === 'string' ? raw.gitCommit : '',
      gitTreeState: typeof raw.gitTreeState === 'string' ? raw.gitTreeState : '',
      buildDate: typeof raw.buildDate === 'string' ? raw.buildDate : fallback.buildDate,
    };
  } catch {
    return fallback;
  }
}

/**
 * /version: k8s.io/apimachinery's version.Info. gitVersion is the Kubernetes version followed by
 * jobfleet's own as a semver pre-release (`v1.33.0-jobfleet.0.1.0`), so that kubectl's version skew
 * check compares minors; `compiler: jobfleet` is how `jobfleet run` recognises a jobfleet API.
 */
export function versionInfo(build: BuildInfo = BUILD_INFO) {
  const { major, minor, patch } = KUBERNETES_VERSION;
  return {
    major,
    minor,
    emulationMajor: major,
    emulationMinor: minor,
    minCompatibilityMajor: major,
    minCompatibilityMinor: String(Number(minor) - 1),
    gitVersion: `v${major}.${minor}.${patch}-jobfleet.${build.version}`,
    gitCommit: build.gitCommit,
    gitTreeState: build.gitTreeState,
    buildDate: build.buildDate,
    goVersion: `node${process.versions.node}`,
    compiler: 'jobfleet',
    platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}`,
  };
}

const BUILD_INFO = readBuildInfo();

export interface SubresourceDef {
  name: string;
  kind: string;
  verbs: string[];
  /** The group and version of its kind when another group's (pods/eviction takes a policy/v1 Eviction). */
  group?: string;
  version?: string;
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
    {
      name: 'namespaces',
      singularName: 'namespace',
      kind: 'Namespace',
      namespaced: false,
      verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['ns'],
      subresources: [{ name: 'status', kind: 'Namespace', verbs: ['get'] }],
    },
    { name: 'nodes', singularName: 'node', kind: 'Node', namespaced: false, verbs: ['delete', 'get', 'list', 'patch', 'watch'], shortNames: ['no'], subresources: [{ name: 'status', kind: 'Node', verbs: ['get'] }] },
    {
      name: 'pods',
      singularName: 'pod',
      kind: 'Pod',
      namespaced: true,
      verbs: ['delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['po'],
      categories: ['all'],
      subresources: [
        { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] },
        { name: 'log', kind: 'Pod', verbs: ['get'] },
        { name: 'status', kind: 'Pod', verbs: ['get', 'patch', 'update'] },
      ],
    },
  ],
};

export const BATCH_V1: GroupVersionDef = {
  group: 'batch',
  version: 'v1',
  resources: [
    {
      name: 'cronjobs',
      singularName: 'cronjob',
      kind: 'CronJob',
      namespaced: true,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      shortNames: ['cj'],
      categories: ['all'],
      subresources: [{ name: 'status', kind: 'CronJob', verbs: ['get', 'patch', 'update'] }],
    },
    {
      name: 'jobs',
      singularName: 'job',
      kind: 'Job',
      namespaced: true,
      verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      categories: ['all'],
      subresources: [{ name: 'status', kind: 'Job', verbs: ['get', 'patch', 'update'] }],
    },
  ],
};

/** SelfSubjectAccessReview and SelfSubjectRulesReview (`kubectl auth can-i`), see routes/authorization.ts. */
export const AUTHORIZATION_V1: GroupVersionDef = {
  group: 'authorization.k8s.io',
  version: 'v1',
  resources: [
    { name: 'selfsubjectaccessreviews', singularName: 'selfsubjectaccessreview', kind: 'SelfSubjectAccessReview', namespaced: false, verbs: ['create'] },
    { name: 'selfsubjectrulesreviews', singularName: 'selfsubjectrulesreview', kind: 'SelfSubjectRulesReview', namespaced: false, verbs: ['create'] },
  ],
};

/** SelfSubjectReview (`kubectl auth whoami`). */
export const AUTHENTICATION_V1: GroupVersionDef = {
  group: 'authentication.k8s.io',
  version: 'v1',
  resources: [{ name: 'selfsubjectreviews', singularName: 'selfsubjectreview', kind: 'SelfSubjectReview', namespaced: false, verbs: ['create'] }],
};

/** The named groups, in the order /apis lists them. */
export const NAMED_GROUPS: readonly GroupVersionDef[] = [BATCH_V1, AUTHENTICATION_V1, AUTHORIZATION_V1];
/** Every group version jobfleet serves. */
export const ALL_GROUP_VERSIONS: readonly GroupVersionDef[] = [CORE_V1, ...NAMED_GROUPS];

export const groupVersion = (gv: GroupVersionDef) => (gv.group ? `${gv.group}/${gv.version}` : gv.version);

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
    ...(r.subresources ?? []).map((s) => ({
      name: `${r.name}/${s.name}`,
      singularName: '',
      namespaced: r.namespaced,
      ...(s.group !== undefined ? { group: s.group, version: s.version } : {}),
      kind: s.kind,
      verbs: s.verbs,
    })),
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
          ...(r.subresources
            ? {
                subresources: r.subresources.map((s) => ({
                  subresource: s.name,
                  responseKind: s.group !== undefined ? { group: s.group, version: s.version, kind: s.kind } : kindOf(s.kind),
                  verbs: s.verbs,
                })),
              }
            : {}),
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
  app.get('/version', async (_req, reply) => sendJson(reply, 200, versionInfo()));
  app.get('/api', async (req, reply) =>
    sendDiscovery(req, reply, [CORE_V1], () => ({ kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '' }] })),
  );
  app.get('/apis', async (req, reply) => sendDiscovery(req, reply, [...NAMED_GROUPS], () => ({ kind: 'APIGroupList', apiVersion: 'v1', groups: NAMED_GROUPS.map(apiGroup) })));
  app.get('/api/v1', async (_req, reply) => sendJson(reply, 200, apiResourceList(CORE_V1)));
  for (const gv of NAMED_GROUPS) {
    app.get(`/apis/${gv.group}`, async (_req, reply) => sendJson(reply, 200, { kind: 'APIGroup', apiVersion: 'v1', ...apiGroup(gv) }));
    app.get(`/apis/${gv.group}/${gv.version}`, async (_req, reply) => sendJson(reply, 200, apiResourceList(gv)));
  }
}
