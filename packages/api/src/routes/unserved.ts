/**
 * What jobfleet does not serve, answered as precisely as Kubernetes would: the streaming
 * subresources of pods (exec, attach, portforward, proxy) and ephemeral containers are a 404 whose
 * message says why and what to do instead (kubectl prints it: `Error from server (NotFound): …`),
 * and a method a served path does not take is a 405 MethodNotAllowed with an Allow header, as the
 * API server's router answers, instead of a 404 that reads as a missing object.
 */
import type { FastifyInstance, FastifyRequest, HTTPMethods } from 'fastify';
import { JobfleetError } from '@jobfleet/kube';

const POD = '/api/v1/namespaces/:ns/pods/:name';

/** The pods' subresources Kubernetes serves and jobfleet does not, with why and what to do instead. */
const UNSERVED_POD_SUBRESOURCES: readonly { name: string; methods: HTTPMethods[]; why: string }[] = [
  { name: 'exec', methods: ['GET', 'POST'], why: 'jobfleet runs no command in a running container (read what the pod prints with `kubectl logs`, or run the command as a Job)' },
  { name: 'attach', methods: ['GET', 'POST'], why: "jobfleet does not attach to a running container (follow its output with `kubectl logs -f`)" },
  { name: 'portforward', methods: ['GET', 'POST'], why: "jobfleet does not forward ports to pods (a pod's ports are not reachable through the API)" },
  { name: 'proxy', methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'], why: "jobfleet does not proxy to pods (a pod's ports are not reachable through the API)" },
  {
    name: 'ephemeralcontainers',
    methods: ['GET', 'PATCH', 'PUT'],
    why: "jobfleet does not add containers to a running pod (`kubectl debug` needs them; `--copy-to` creates a bare pod, which jobfleet refuses too: run a Job)",
  },
];

/**
 * 404 NotFound for a subresource jobfleet does not serve. The details name no object, as the API
 * server's 404 for a path it does not have: kubectl debug reads exactly that as "ephemeral
 * containers are disabled for this cluster".
 */
function unservedSubresource(name: string, why: string): JobfleetError {
  return new JobfleetError(`the server does not serve pods/${name}: ${why}`, 404, 'NotFound', { group: '', kind: `pods/${name}` });
}

export function registerUnservedRoutes(app: FastifyInstance): void {
  for (const sub of UNSERVED_POD_SUBRESOURCES) {
    const handler = async () => {
      throw unservedSubresource(sub.name, sub.why);
    };
    app.route({ method: sub.methods, url: `${POD}/${sub.name}`, handler });
    if (sub.name === 'proxy') app.route({ method: sub.methods, url: `${POD}/${sub.name}/*`, handler });
  }
}

/** The routes' paths with the methods each takes, to tell a wrong method (405) from a wrong path (404). */
export class RouteMethods {
  private readonly routes = new Map<string, { pattern: RegExp; methods: Set<string> }>();

  /** Fastify's onRoute hook: records every route as it is added. */
  add(url: string, method: string | string[]): void {
    const entry = this.routes.get(url) ?? { pattern: patternOf(url), methods: new Set<string>() };
    for (const m of Array.isArray(method) ? method : [method]) entry.methods.add(m.toUpperCase());
    this.routes.set(url, entry);
  }

  /** The methods served at the request's path, when there are some but not the request's; else undefined. */
  allowedOtherwise(req: FastifyRequest): string[] | undefined {
    const path = (req.url.split('?')[0] ?? '').replace(/(.)\/+$/, '$1');
    const allowed = new Set<string>();
    for (const { pattern, methods } of this.routes.values()) if (pattern.test(path)) methods.forEach((m) => allowed.add(m));
    if (allowed.size === 0 || allowed.has(req.method.toUpperCase())) return undefined;
    return [...allowed].sort();
  }
}

/** A route path (`/api/v1/namespaces/:ns/pods`, `/openapi/v3/*`) as a regular expression of the paths it serves. */
function patternOf(url: string): RegExp {
  const source = url
    .replace(/\/+$/, '')
    .split('/')
    .map((segment) => (segment === '*' ? '.*' : segment.startsWith(':') ? '[^/]+' : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return new RegExp(`^${source || '/'}$`);
}

const VERBS: Readonly<Record<string, string>> = { GET: 'get', HEAD: 'get', POST: 'create', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

/**
 * The group and resource (with its subresource) a Kubernetes path names: `/api/v1/nodes/x` is
 * nodes, `/apis/batch/v1/namespaces/ns/jobs/x/status` jobs/status in batch. Undefined for other paths.
 */
export function resourceOfPath(path: string): { group: string; resource: string } | undefined {
  const parts = path.split('/').filter(Boolean);
  let rest: string[];
  let group = '';
  if (parts[0] === 'api' && parts.length >= 3) rest = parts.slice(2);
  else if (parts[0] === 'apis' && parts.length >= 4) {
    group = parts[1] ?? '';
    rest = parts.slice(3);
  } else return undefined;
  // namespaces/{ns}/{resource}/…, unless it is a namespace's own subresource.
  if (rest[0] === 'namespaces' && rest.length >= 3 && rest[2] !== 'status' && rest[2] !== 'finalize') rest = rest.slice(2);
  const [resource, , subresource] = rest;
  if (!resource) return undefined;
  return { group, resource: subresource ? `${resource}/${subresource}` : resource };
}

/**
 * The 405 for a method a served path does not take, worded as the API server's NewMethodNotSupported
 * (`patch is not supported on resources of kind "nodes"`), with the methods that are.
 */
export function methodNotAllowedStatus(req: FastifyRequest, allowed: string[]) {
  const path = req.url.split('?')[0] ?? '';
  const target = resourceOfPath(path);
  const verb = VERBS[req.method.toUpperCase()] ?? req.method.toLowerCase();
  const qualified = target ? (target.group ? `${target.resource}.${target.group}` : target.resource) : '';
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: target ? `${verb} is not supported on resources of kind ${JSON.stringify(qualified)}` : 'the server does not allow this method on the requested resource',
    reason: 'MethodNotAllowed',
    details: {
      ...(target ? { ...(target.group ? { group: target.group } : {}), kind: target.resource } : {}),
      causes: [{ reason: 'UnexpectedServerResponse', message: `${req.method} is not allowed on ${path} (allowed: ${allowed.join(', ')})` }],
    },
    code: 405,
  };
}
