import { createHash, timingSafeEqual } from 'node:crypto';
import fastify, { LogController, type FastifyError, type FastifyInstance, type FastifyReply } from 'fastify';
import { BadRequestError, type Delays, JobfleetError, NotFoundError, RequestEntityTooLargeError, ServiceUnavailableError, toStatus, UnauthorizedError } from '@jobfleet/kube';
import { Cluster, CronJobController, DEFAULT_NODE_TIMINGS, redactUrlPassword, silentLogger, type Logger } from '@jobfleet/controllers';
import { isStoreUnavailable, redisSettingsAdvice, type RedisConnectionOptions, type StoreLimits } from '@jobfleet/store';
import { ChangeFeed } from './change-feed.js';
import { ApiMetrics } from './metrics.js';
import type { ApiContext } from './context.js';
import { checkAcceptable, checkRequestTimeout, sendJson } from './http.js';
import { registerDiscoveryRoutes } from './discovery.js';
import { registerOpenApiRoutes } from './openapi.js';
import { registerAuthorizationRoutes } from './routes/authorization.js';
import { registerCronJobUpdateRoutes } from './routes/cronjob-updates.js';
import { registerCronJobRoutes } from './routes/cronjobs.js';
import { registerEventRoutes } from './routes/events.js';
import { registerJobUpdateRoutes } from './routes/job-updates.js';
import { registerNamespaceRoutes } from './routes/namespaces.js';
import { registerNodeRoutes } from './routes/nodes.js';
import { registerJobRoutes } from './routes/jobs.js';
import { registerPodRoutes } from './routes/pods.js';
import { methodNotAllowedStatus, registerUnservedRoutes, RouteMethods } from './routes/unserved.js';
import { SelectorError } from './selectors.js';
import { isUiPath, registerUiRoutes } from './ui/ui.js';
import { DEFAULT_WATCH_BUFFER_BYTES } from './watch.js';

export interface ApiOptions {
  /** Redis connection URL, e.g. redis://127.0.0.1:6379 */
  redisUrl: string;
  /** Credentials and TLS for the Redis connections (beyond what the URL says). */
  redisConnection?: RedisConnectionOptions;
  /** Port to listen on; 0 picks a free one. */
  port: number;
  host?: string;
  /** Key prefix in Redis (default "jf"). */
  prefix?: string;
  /** When set, every endpoint but /healthz and /readyz requires `Authorization: Bearer <token>`. */
  token?: string;
  /** Largest request body accepted (default 3 MiB, as the Kubernetes API server). */
  bodyLimitBytes?: number;
  /**
   * Serve HTTPS with this PEM certificate and key. kubectl (client-go) sends bearer tokens only
   * over HTTPS, so a server with a token needs it for kubectl.
   */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Also run the consumer of delayed Job syncs (backoff, deadlines); default true. */
  runSyncs?: boolean;
  /** How often this process's CronJob controller checks its schedule (default 1000 ms). */
  cronJobPollMs?: number;
  /**
   * Accept Jobs whose pods have power over the Docker host: privileged containers, added
   * capabilities, hostNetwork/hostPID/hostIPC and hostPath volumes. Default false.
   */
  allowPrivileged?: boolean;
  /**
   * Bytes a watch may leave unsent (its client reads slower than changes come) before it is closed;
   * the client watches again or lists again. Default 8 MiB.
   */
  watchBufferBytes?: number;
  /** Object size and change stream bounds (default 1.5 MiB and 64 MiB); every role of a fleet must agree. */
  limits?: StoreLimits;
  /** The Job controller's backoff delays (default: Kubernetes'). */
  delays?: Delays;
  /** A node whose heartbeat is older than this is NotReady (default 40 s, as the janitor's node monitor). */
  nodeGraceMs?: number;
  /** How often the change feed checks that Redis was not reset (flushed, restarted empty); default 1000 ms. */
  resetCheckMs?: number;
  /** Where the API's lines go: a line per request at debug, failed requests at warn/error (default: nowhere). */
  logger?: Logger;
}

export interface RunningApi {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  close(): Promise<void>;
}

const DEFAULT_BODY_LIMIT = 3 * 1024 * 1024;
const MAX_PARAM_LENGTH = 4096;
/** Open without a token, as Kubernetes' system:public-info-viewer: probes, and /version (how `jobfleet run` recognises a jobfleet API). */
const OPEN_PATHS = new Set(['/healthz', '/readyz', '/livez', '/version', '/version/']);

/** Maps anything thrown in a route to a Kubernetes error class. */
function asJobfleetError(err: unknown): unknown {
  if (err instanceof JobfleetError) return err;
  if (err instanceof SelectorError) return new BadRequestError(err.message);
  const fe = err as FastifyError;
  if (fe?.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return new RequestEntityTooLargeError('the request is too large: the body exceeds the limit of the server');
  if (fe?.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) return new BadRequestError(fe.message);
  if (isStoreUnavailable(err)) return new ServiceUnavailableError('the jobfleet store (Redis) is not reachable; retry when it is back', REDIS_DOWN_RETRY_SECONDS);
  if (isRedisFull(err)) {
    return new ServiceUnavailableError(
      "the jobfleet store (Redis) is full: it refuses writes past its maxmemory; delete finished Jobs (or set ttlSecondsAfterFinished), lower the log budgets, or give Redis more memory",
      REDIS_FULL_RETRY_SECONDS,
    );
  }
  return err;
}

/** When a client may try again while Redis is away or a Sentinel failover is under way (seconds, as measured). */
const REDIS_DOWN_RETRY_SECONDS = 2;

/** When a client may try a write again after Redis said it is full (the janitor frees memory meanwhile). */
const REDIS_FULL_RETRY_SECONDS = 10;

/** Redis at its maxmemory with noeviction (as jobfleet requires) refuses every write that needs memory. */
function isRedisFull(err: unknown): boolean {
  return err instanceof Error && /^OOM command not allowed/.test(err.message);
}

export function buildServer(ctx: ApiContext, opts: Pick<ApiOptions, 'token' | 'bodyLimitBytes' | 'tls' | 'logger'> & { metrics?: ApiMetrics } = {}): FastifyInstance {
  const common = {
    bodyLimit: opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT,
    // fastify's own request lines (two per request, at info) are off: one line per request at debug instead.
    ...(opts.logger ? { loggerInstance: opts.logger, logController: new LogController({ disableRequestLogging: true }) } : { logger: false }),
    return503OnClosing: true,
    forceCloseConnections: true,
    // Names up to a subdomain's 253 characters (and more) reach the routes, which answer as Kubernetes does.
    // `/version/`, `/api/`, `/apis/batch/v1/` and every resource path with a trailing slash are served as
    // without it, as the API server's router (go-restful) trims it; the Python client asks for `/version/`.
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH, ignoreTrailingSlash: true },
    // The router's own errors (a malformed %-escape, a longer parameter) as Status objects too.
    frameworkErrors: (err: FastifyError, _req: unknown, reply: FastifyReply) => {
      const status = toStatus(new BadRequestError(err.message));
      void sendJson(reply, status.code, status);
    },
  };
  const app = (opts.tls ? fastify({ ...common, https: opts.tls }) : fastify(common)) as unknown as FastifyInstance;
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err, req, reply) => {
    const status = toStatus(asJobfleetError(err));
    // A 503 names Redis away or full (the connection's own lines say more); any other 5xx is a fault of ours.
    if (status.code === 503) req.log.warn({ reason: status.reason, message: status.message }, 'request failed: the store is not available');
    else if (status.code >= 500) req.log.error({ err }, 'request failed');
    // As the API server: a Status that says when to retry says it in the header too.
    const retryAfter = status.details?.retryAfterSeconds;
    if (retryAfter !== undefined) void reply.header('retry-after', String(retryAfter));
    void sendJson(reply, status.code, status);
  });
  const routeMethods = new RouteMethods();
  app.addHook('onRoute', (route) => routeMethods.add(route.url, route.method));
  app.setNotFoundHandler((req, reply) => {
    const allowed = routeMethods.allowedOtherwise(req);
    if (allowed) return void sendJson(reply.header('allow', allowed.join(', ')), 405, methodNotAllowedStatus(req, allowed));
    const status = toStatus(new NotFoundError({ group: '', resource: '', name: '' }));
    void sendJson(reply, 404, { ...status, message: 'the server could not find the requested resource', details: { causes: [{ reason: 'UnexpectedServerResponse', message: `404 page not found: ${req.url}` }] } });
  });
  // As the API server's request-deadline filter, which runs before authentication: a malformed `timeout` is a 400.
  app.addHook('onRequest', async (req) => checkRequestTimeout(req));
  if (opts.token) {
    const expected = expectedTokenDigest(opts.token);
    app.addHook('onRequest', async (req) => {
      const path = req.url.split('?')[0] ?? '';
      // The dashboard's files hold no data: the page asks for the token and sends it with every API call.
      if (OPEN_PATHS.has(path) || isUiPath(path)) return;
      if (!tokenMatches(req.headers.authorization, expected)) throw new UnauthorizedError('Unauthorized');
    });
  }

  app.addHook('preHandler', async (req) => checkAcceptable(req));
  if (opts.logger) app.addHook('onResponse', async (req, reply) => req.log.debug({ req, res: reply, responseTime: Math.round(reply.elapsedTime * 10) / 10 }, 'request'));
  opts.metrics?.register(app);
  app.get('/healthz', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/livez', async (_req, reply) => reply.type('text/plain').send('ok'));
  app.get('/readyz', async (_req, reply) => {
    const ready = await ctx.cluster.ping().catch(() => false);
    return reply.code(ready ? 200 : 503).type('text/plain').send(ready ? 'ok' : 'redis is not reachable');
  });
  registerJobRoutes(app, ctx);
  registerPodRoutes(app, ctx);
  registerEventRoutes(app, ctx);
  registerJobUpdateRoutes(app, ctx);
  registerCronJobRoutes(app, ctx);
  registerCronJobUpdateRoutes(app, ctx);
  registerNamespaceRoutes(app, ctx);
  registerNodeRoutes(app, ctx);
  registerUnservedRoutes(app);
  registerAuthorizationRoutes(app, { tokenConfigured: opts.token !== undefined && opts.token !== '' });
  registerDiscoveryRoutes(app);
  registerOpenApiRoutes(app);
  registerUiRoutes(app);
  return app;
}

/** SHA-256 of an Authorization header value: a fixed length whatever was sent. */
function bearerDigest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

/**
 * Whether the Authorization header is the expected one, in time that does not depend on where they
 * differ: both sides are hashed to 32 bytes and compared with timingSafeEqual (which needs equal
 * lengths, and the hash hides the token's length too).
 */
export function tokenMatches(authorization: string | undefined, expectedDigest: Buffer): boolean {
  return timingSafeEqual(bearerDigest(authorization ?? ''), expectedDigest);
}

/** The digest tokenMatches compares against, for a server token. */
export function expectedTokenDigest(token: string): Buffer {
  return bearerDigest(`Bearer ${token}`);
}

const REDIS_READY_WAIT_MS = 5_000;

/** Starts the HTTP API (and, by default, the consumer of delayed Job syncs). */
export async function startApi(opts: ApiOptions): Promise<RunningApi> {
  const allowPrivileged = opts.allowPrivileged ?? false;
  const logger = opts.logger ?? silentLogger();
  const cluster = new Cluster({ redisUrl: opts.redisUrl, redisConnection: opts.redisConnection, prefix: opts.prefix, failFast: true, limits: opts.limits, delays: opts.delays, logger });
  const watchBufferBytes = opts.watchBufferBytes ?? DEFAULT_WATCH_BUFFER_BYTES;
  const feed = new ChangeFeed(cluster.changeStream(), {
    maxObjectBytes: cluster.store.maxObjectBytes,
    // A replaying watch holds one page besides what it has not sent yet: both within the watch's bound.
    historyPageBytes: watchBufferBytes,
    checkIntervalMs: opts.resetCheckMs,
  });
  feed.start();
  const syncs = opts.runSyncs === false ? undefined : cluster.startSyncRunner();
  // Every API process runs the CronJob controller (as the janitor does): each schedule time still makes one Job.
  const cronJobs = new CronJobController(cluster.store, cluster.queues, cluster.controller, { pollMs: opts.cronJobPollMs, logger });
  cronJobs.start();
  await cluster.untilReady(REDIS_READY_WAIT_MS);
  // The feed has named the store (its epoch) before the first request: no write of the API's own
  // comes after its start. A Redis that is down does not keep the API from starting.
  await feed.untilReady().catch(() => undefined);
  for (const advice of await redisSettingsAdvice(cluster.store).catch(() => [])) logger.warn(advice);
  const nodeGraceMs = opts.nodeGraceMs ?? DEFAULT_NODE_TIMINGS.graceMs;
  const metrics = new ApiMetrics(cluster, feed, { nodeGraceMs });
  const app = buildServer({ cluster, feed, allowPrivileged, watchBufferBytes, nodeGraceMs }, { ...opts, metrics });
  const host = opts.host ?? '127.0.0.1';
  await app.listen({ port: opts.port, host });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  const url = `${opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, redis: redactUrlPassword(opts.redisUrl), tokenRequired: Boolean(opts.token), allowPrivileged }, `API server started on ${url}`);
  return {
    url,
    port,
    close: async () => {
      await app.close();
      metrics.stop();
      await syncs?.close();
      await cronJobs.close();
      await feed.stop();
      await cluster.close();
      logger.info('API server stopped');
    },
  };
}
