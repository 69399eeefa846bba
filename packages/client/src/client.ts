import { fromStatus, parseManifests, type CoreEvent, type CronJob, type Job, type JobCondition, type ObjectMeta, type Pod, type TableColumnDefinition } from '@jobfleet/kube';
import { JobFailedError, WaitTimeoutError } from './errors.js';
import { HttpTransport, syntheticStatus } from './http.js';
import { nodeFetch } from './node-fetch.js';
import { readLines } from './lines.js';
import { DEFAULT_WATCH_TIMING, watchJobStates, type WatchTiming } from './watch.js';

export const DEFAULT_SERVER = 'http://127.0.0.1:8080';
export const DEFAULT_NAMESPACE = 'default';
/** Label every pod of a Job carries (the Job's generated selector). */
export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const JOB_NAME_LABEL = 'job-name';
/** What `kubectl create job --from=cronjob/NAME` marks its Job with (the CronJob controller did not schedule it). */
export const INSTANTIATE_ANNOTATION = 'cronjob.kubernetes.io/instantiate';

export interface JobfleetClientOptions {
  /** Base URL of the API server. Default: $JOBFLEET_SERVER, else http://127.0.0.1:8080. */
  server?: string;
  /** Bearer token. Default: $JOBFLEET_TOKEN. */
  token?: string;
  /** Namespace of every call that does not name one. Default: "default". */
  namespace?: string;
  /**
   * PEM certificate(s) of the CA that signed an https server's certificate — for a self-signed
   * server, its own certificate. Default: the system's CAs (and NODE_EXTRA_CA_CERTS).
   */
  ca?: string | Buffer;
  /** Do not verify an https server's certificate (kubectl's insecure-skip-tls-verify). */
  insecureSkipTlsVerify?: boolean;
  /** fetch implementation (default: nodeFetch, over node:http and node:https, with `ca` and insecureSkipTlsVerify). */
  fetch?: typeof fetch;
  /** Watch reconnection and polling intervals. */
  watchTiming?: Partial<WatchTiming>;
  /**
   * Calls with a whole answer in flight at once, each on a kept-alive connection; more wait their
   * turn (watches and followed logs are not counted). Default: 64 (DEFAULT_MAX_REQUESTS_IN_FLIGHT).
   */
  maxRequestsInFlight?: number;
}

export interface CallOptions {
  /** Overrides the client's namespace for this call. */
  namespace?: string;
  signal?: AbortSignal;
}

export interface ListJobsOptions extends CallOptions {
  labelSelector?: string;
}

export interface ListOptions extends CallOptions {
  labelSelector?: string;
  fieldSelector?: string;
}

/** The resources the server serves; nodes and namespaces are cluster-scoped. */
export type ResourceType = 'jobs' | 'cronjobs' | 'pods' | 'events' | 'nodes' | 'namespaces';

/** meta.k8s.io/v1 Table: the server's columns (kubectl's) and one row of cells per object. */
export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string };
  columnDefinitions: TableColumnDefinition[];
  rows: TableRow[];
}

export interface TableRow {
  cells: unknown[];
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
  object?: unknown;
}

export interface TableOptions extends ListOptions {
  /** One object's row instead of the list's. */
  name?: string;
}

export type PatchType = 'merge' | 'strategic' | 'json';

export interface PatchOptions extends CallOptions {
  /** Default "merge" (RFC 7386 JSON merge patch). */
  type?: PatchType;
}

export interface ListPodsOptions extends CallOptions {
  /** Only the pods of this Job (selected by its controller-uid label). */
  jobName?: string;
  labelSelector?: string;
}

export interface WaitOptions extends CallOptions {
  /** Give up after this long with WaitTimeoutError; 0 checks once. Default: wait forever. */
  timeoutMs?: number;
}

export interface LogOptions extends CallOptions {
  container?: string;
  tailLines?: number;
  timestamps?: boolean;
}

export interface StreamLogOptions extends LogOptions {
  /** Keep the stream open while the container runs (default true). */
  follow?: boolean;
}

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteJobOptions extends CallOptions {
  /** Default "Background", like kubectl: the Job's pods are deleted too. */
  propagationPolicy?: PropagationPolicy;
  gracePeriodSeconds?: number;
}

export interface TriggerCronJobOptions extends CallOptions {
  /** The Job's name; default `<cronjob>-manual-<5 random characters>` (generateName). */
  jobName?: string;
}

export interface DeletePodOptions extends CallOptions {
  /** Default: the pod's terminationGracePeriodSeconds (0 for a pod no node runs, or that ended). */
  gracePeriodSeconds?: number;
  /** Refuse (ConflictError) unless the pod still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface Health {
  /** GET /healthz answered 2xx. */
  live: boolean;
  /** GET /readyz answered 2xx. */
  ready: boolean;
}

interface ListSelection {
  labelSelector?: string | undefined;
  fieldSelector?: string | undefined;
  signal?: AbortSignal | undefined;
}

interface List<T> {
  items?: T[];
  metadata?: { continue?: string; resourceVersion?: string };
}

const PAGE_SIZE = 500;
/** What kubectl get sends: a Table if the server prints server-side, else the object. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
};
const API_PREFIXES: Record<ResourceType, string> = { jobs: '/apis/batch/v1', cronjobs: '/apis/batch/v1', pods: '/api/v1', events: '/api/v1', nodes: '/api/v1', namespaces: '/api/v1' };
const CLUSTER_SCOPED: ReadonlySet<ResourceType> = new Set(['nodes', 'namespaces']);
/** Kubernetes' maxGeneratedNameLength: a generateName base is cut to this before the 5 random characters. */
const MAX_GENERATED_NAME_BASE = 58;

/** A client of the jobfleet API server, which speaks the Kubernetes batch/v1 REST API. */
export class JobfleetClient {
  readonly server: string;
  readonly namespace: string;
  private readonly http: HttpTransport;
  private readonly watchTiming: WatchTiming;

  constructor(options: JobfleetClientOptions = {}) {
    const server = options.server ?? process.env.JOBFLEET_SERVER ?? DEFAULT_SERVER;
    this.http = new HttpTransport(server, options.token ?? process.env.JOBFLEET_TOKEN, options.fetch ?? nodeFetch(options), options.maxRequestsInFlight);
    this.server = this.http.server;
    this.namespace = options.namespace ?? DEFAULT_NAMESPACE;
    this.watchTiming = { ...DEFAULT_WATCH_TIMING, ...options.watchTiming };
  }

  /**
   * Creates a Job from an object or from YAML/JSON text holding exactly one Job.
   * It goes to the manifest's metadata.namespace when set, else to the call's or client's namespace.
   */
  async createJob(manifest: Job | string, options: CallOptions = {}): Promise<Job> {
    const job = typeof manifest === 'string' ? singleManifest(manifest) : manifest;
    const namespace = job.metadata?.namespace ?? this.ns(options);
    return this.http.json<Job>('POST', jobsPath(namespace), { body: job, signal: options.signal });
  }

  getJob(name: string, options: CallOptions = {}): Promise<Job> {
    return this.getObject<Job>('jobs', name, options);
  }

  /** All Jobs of the namespace (following `continue` tokens), optionally filtered by a label selector. */
  listJobs(options: ListJobsOptions = {}): Promise<Job[]> {
    return this.listObjects<Job>('jobs', options);
  }

  /**
   * Changes an existing Job with a patch (default: a JSON merge patch), as `kubectl patch` does; the
   * server validates the result like an update (immutable fields are refused with InvalidError).
   */
  patchJob(name: string, patch: unknown, options: PatchOptions = {}): Promise<Job> {
    const contentType = PATCH_CONTENT_TYPES[options.type ?? 'merge'];
    return this.http.json<Job>('PATCH', jobsPath(this.ns(options), name), { body: patch, contentType, signal: options.signal });
  }

  /**
   * Creates a CronJob from an object or from YAML/JSON text holding exactly one CronJob.
   * It goes to the manifest's metadata.namespace when set, else to the call's or client's namespace.
   */
  async createCronJob(manifest: CronJob | string, options: CallOptions = {}): Promise<CronJob> {
    const cronJob = typeof manifest === 'string' ? singleManifest<CronJob>(manifest, 'createCronJob', 'CronJob') : manifest;
    const namespace = cronJob.metadata?.namespace ?? this.ns(options);
    return this.http.json<CronJob>('POST', resourcePath('cronjobs', namespace), { body: cronJob, signal: options.signal });
  }

  getCronJob(name: string, options: CallOptions = {}): Promise<CronJob> {
    return this.getObject<CronJob>('cronjobs', name, options);
  }

  /** All CronJobs of the namespace (following `continue` tokens), optionally filtered by selectors. */
  listCronJobs(options: ListOptions = {}): Promise<CronJob[]> {
    return this.listObjects<CronJob>('cronjobs', options);
  }

  /**
   * Changes a CronJob with a patch (default: a JSON merge patch), e.g. `{ spec: { suspend: true } }`;
   * `status: true` patches cronjobs/status (lastScheduleTime, active …) as a controller would.
   */
  patchCronJob(name: string, patch: unknown, options: PatchOptions & { status?: boolean } = {}): Promise<CronJob> {
    const contentType = PATCH_CONTENT_TYPES[options.type ?? 'merge'];
    const path = resourcePath('cronjobs', this.ns(options), name) + (options.status ? '/status' : '');
    return this.http.json<CronJob>('PATCH', path, { body: patch, contentType, signal: options.signal });
  }

  /** Deletes the CronJob; its Jobs (and their pods) follow with the default Background propagation. */
  async deleteCronJob(name: string, options: DeleteJobOptions = {}): Promise<void> {
    await this.deleteObject('cronjobs', name, options);
  }

  /**
   * Runs a CronJob now, as `kubectl create job JOB --from=cronjob/NAME`: a Job of the CronJob's
   * jobTemplate (its labels, its annotations and `cronjob.kubernetes.io/instantiate: manual`),
   * controlled by the CronJob, so the CronJob's history limits and cascading delete cover it; the
   * CronJob controller does not count it as one of its scheduled runs. Resolves with the created Job.
   * Also callable as `triggerCronJob(namespace, name, jobName?)`.
   */
  triggerCronJob(name: string, options?: TriggerCronJobOptions): Promise<Job>;
  triggerCronJob(namespace: string, name: string, jobName?: string): Promise<Job>;
  async triggerCronJob(first: string, second?: TriggerCronJobOptions | string, third?: string): Promise<Job> {
    const [name, options]: [string, TriggerCronJobOptions] =
      typeof second === 'string' ? [second, { namespace: first, ...(third === undefined ? {} : { jobName: third }) }] : [first, second ?? {}];
    const cronJob = await this.getCronJob(name, options);
    return this.createJob(jobFromCronJob(cronJob, options.jobName), { namespace: this.ns(options), ...(options.signal ? { signal: options.signal } : {}) });
  }

  /** The events of the namespace, e.g. a Job's with fieldSelector `involvedObject.uid=UID`. */
  listEvents(options: ListOptions = {}): Promise<CoreEvent[]> {
    return this.listObjects<CoreEvent>('events', options);
  }

  /** The events about this Job, as `kubectl describe job` selects them (name, namespace, kind and uid). */
  jobEvents(job: Job, options: CallOptions = {}): Promise<CoreEvent[]> {
    return this.eventsAbout('Job', job.metadata, options);
  }

  /** The events about this CronJob (the CronJob controller's), as `kubectl describe cronjob` selects them. */
  cronJobEvents(cronJob: CronJob, options: CallOptions = {}): Promise<CoreEvent[]> {
    return this.eventsAbout('CronJob', cronJob.metadata, options);
  }

  /** One object of any resource the server serves (nodes and namespaces ignore the namespace). */
  getObject<T>(resource: ResourceType, name: string, options: CallOptions = {}): Promise<T> {
    return this.http.json<T>('GET', resourcePath(resource, this.ns(options), name), { signal: options.signal });
  }

  /** Every object of a resource (following `continue` tokens), optionally filtered by selectors. */
  listObjects<T>(resource: ResourceType, options: ListOptions = {}): Promise<T[]> {
    return this.listAll<T>(resourcePath(resource, this.ns(options)), options);
  }

  /**
   * The server's kubectl columns for one object (`name`) or a list, as the Table `kubectl get` asks for;
   * a list's pages are joined. Columns with priority > 0 are the `-o wide` ones.
   */
  async getTable(resource: ResourceType, options: TableOptions = {}): Promise<Table> {
    const path = resourcePath(resource, this.ns(options), options.name);
    if (options.name !== undefined) return asTable(await this.http.json<unknown>('GET', path, { accept: TABLE_ACCEPT, signal: options.signal }));
    const tables: Table[] = [];
    for await (const page of this.pages(path, options, TABLE_ACCEPT)) tables.push(asTable(page));
    const [first] = tables;
    if (!first) throw new Error('no Table');
    return { ...first, rows: tables.flatMap((t) => t.rows) };
  }

  /**
   * The Job's states as they change: the current state first, then one value per new resourceVersion.
   * Ends after the Job is deleted. Stop it with `break` or the signal.
   */
  watchJob(name: string, options: CallOptions = {}): AsyncGenerator<Job> {
    const namespace = this.ns(options);
    const source = {
      getJob: (signal?: AbortSignal) => this.getJob(name, { namespace, signal: signal ?? options.signal }),
      openWatch: (resourceVersion: string, signal?: AbortSignal) =>
        this.http.send('GET', jobsPath(namespace), {
          query: { watch: 1, resourceVersion, fieldSelector: `metadata.name=${name}`, allowWatchBookmarks: true },
          signal,
        }),
    };
    return watchJobStates(source, options.signal, this.watchTiming);
  }

  /** Resolves with the Job once Complete=True; rejects with JobFailedError once Failed=True, WaitTimeoutError on timeout. */
  waitForCompletion(name: string, options: WaitOptions = {}): Promise<Job> {
    return this.waitFor(name, options, (job) => {
      const failed = trueCondition(job, 'Failed');
      if (failed) throw new JobFailedError(job, failed);
      return trueCondition(job, 'Complete') !== undefined;
    });
  }

  /** Like `kubectl wait --for=condition=TYPE[=STATUS]`: the condition type matches case-insensitively; status defaults to True. */
  waitForCondition(name: string, condition: { type: string; status?: string }, options: WaitOptions = {}): Promise<Job> {
    const wantedStatus = (condition.status ?? 'True').toLowerCase();
    return this.waitFor(name, options, (job) => {
      const found = (job.status?.conditions ?? []).find((c) => c.type.toLowerCase() === condition.type.toLowerCase());
      return found !== undefined && found.status.toLowerCase() === wantedStatus;
    });
  }

  /** Pods of the namespace; with jobName, only that Job's pods (label batch.kubernetes.io/controller-uid). */
  async listPods(options: ListPodsOptions = {}): Promise<Pod[]> {
    const selectors = options.labelSelector ? [options.labelSelector] : [];
    if (options.jobName !== undefined) selectors.unshift(await this.jobPodSelector(options.jobName, options));
    return this.listAll<Pod>(podsPath(this.ns(options)), { labelSelector: selectors.join(',') || undefined, signal: options.signal });
  }

  getPod(name: string, options: CallOptions = {}): Promise<Pod> {
    return this.getObject<Pod>('pods', name, options);
  }

  /** The container's log so far, as text. */
  async logs(podName: string, options: LogOptions = {}): Promise<string> {
    return this.http.call('GET', podsPath(this.ns(options), podName) + '/log', { query: logQuery(options, false), accept: 'text/plain', signal: options.signal }, (response) => response.text());
  }

  /** The container's log line by line (without the newline), following it while it runs unless follow is false. */
  async *streamLogs(podName: string, options: StreamLogOptions = {}): AsyncGenerator<string> {
    const response = await this.http.request('GET', podsPath(this.ns(options), podName) + '/log', {
      query: logQuery(options, options.follow ?? true),
      accept: 'text/plain',
      signal: options.signal,
    });
    if (response.body) yield* readLines(response.body);
  }

  /**
   * Deletes a pod, as `kubectl delete pod`: it is stopped gracefully and its object goes once it
   * ended; its Job counts it (as failed unless it succeeded) and replaces it. Resolves with the pod
   * as the deletion left it (with its deletionTimestamp); NotFoundError when there is no such pod.
   */
  deletePod(name: string, options: DeletePodOptions = {}): Promise<Pod> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      ...(options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds }),
      ...(options.preconditions ? { preconditions: options.preconditions } : {}),
    };
    return this.http.json<Pod>('DELETE', podsPath(this.ns(options), name), { body, signal: options.signal });
  }

  /**
   * Evicts a pod (policy/v1 Eviction): it gets the DisruptionTarget condition (reason
   * EvictionByEvictionAPI) and is deleted as by deletePod.
   */
  async evictPod(name: string, options: DeletePodOptions = {}): Promise<void> {
    const deleteOptions = {
      ...(options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds }),
      ...(options.preconditions ? { preconditions: options.preconditions } : {}),
    };
    const body = { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name, namespace: this.ns(options) }, deleteOptions };
    await this.http.call('POST', podsPath(this.ns(options), name) + '/eviction', { body, signal: options.signal }, async (response) => response.body?.cancel());
  }

  /**
   * Changes a pod with a patch (default: a JSON merge patch), as `kubectl patch pod`: labels,
   * annotations, and what Kubernetes lets change of a pod (InvalidError otherwise). `status: true`
   * patches pods/status (conditions of the client's own types).
   */
  patchPod(name: string, patch: unknown, options: PatchOptions & { status?: boolean } = {}): Promise<Pod> {
    const contentType = PATCH_CONTENT_TYPES[options.type ?? 'merge'];
    const path = podsPath(this.ns(options), name) + (options.status ? '/status' : '');
    return this.http.json<Pod>('PATCH', path, { body: patch, contentType, signal: options.signal });
  }

  /** Deletes the Job; its pods follow with the default Background propagation. */
  async deleteJob(name: string, options: DeleteJobOptions = {}): Promise<void> {
    await this.deleteObject('jobs', name, options);
  }

  /** Liveness and readiness of the server; rejects with ServerUnreachableError when nothing answers. */
  async health(options: { signal?: AbortSignal } = {}): Promise<Health> {
    const [live, ready] = await Promise.all(['/healthz', '/readyz'].map((path) => this.probe(path, options.signal)));
    return { live: live ?? false, ready: ready ?? false };
  }

  private async probe(path: string, signal?: AbortSignal): Promise<boolean> {
    const response = await this.http.send('GET', path, { accept: 'text/plain', signal });
    await response.body?.cancel();
    return response.ok;
  }

  private ns(options: CallOptions): string {
    return options.namespace ?? this.namespace;
  }

  private async deleteObject(resource: 'jobs' | 'cronjobs', name: string, options: DeleteJobOptions): Promise<void> {
    const body = {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      propagationPolicy: options.propagationPolicy ?? 'Background',
      ...(options.gracePeriodSeconds === undefined ? {} : { gracePeriodSeconds: options.gracePeriodSeconds }),
    };
    await this.http.call('DELETE', resourcePath(resource, this.ns(options), name), { body, signal: options.signal }, async (response) => response.body?.cancel());
  }

  private eventsAbout(kind: string, metadata: ObjectMeta, options: CallOptions): Promise<CoreEvent[]> {
    const namespace = metadata.namespace ?? this.ns(options);
    const fields = { 'involvedObject.name': metadata.name, 'involvedObject.namespace': namespace, 'involvedObject.kind': kind, 'involvedObject.uid': metadata.uid };
    const fieldSelector = Object.entries(fields)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => `${key}=${value ?? ''}`)
      .join(',');
    return this.listEvents({ ...options, namespace, fieldSelector });
  }

  private async jobPodSelector(jobName: string, options: CallOptions): Promise<string> {
    const job = await this.getJob(jobName, options);
    const uid = job.metadata.uid;
    return uid ? `${CONTROLLER_UID_LABEL}=${uid}` : `${JOB_NAME_LABEL}=${jobName}`;
  }

  private async listAll<T>(path: string, options: ListSelection): Promise<T[]> {
    const items: T[] = [];
    for await (const page of this.pages(path, options)) items.push(...((page as List<T>).items ?? []));
    return items;
  }

  /** The pages of a list (limit 500, as kubectl), following `continue` tokens. */
  private async *pages(path: string, options: ListSelection, accept?: string): AsyncGenerator<unknown> {
    let continueToken: string | undefined;
    do {
      const query = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector, limit: PAGE_SIZE, continue: continueToken };
      const page = await this.http.json<List<unknown>>('GET', path, { query, signal: options.signal, ...(accept ? { accept } : {}) });
      yield page;
      continueToken = page.metadata?.continue || undefined;
    } while (continueToken);
  }

  /** Watches the Job until `done(job)` is true (or throws); a watch that ends means the Job was deleted. */
  private async waitFor(name: string, options: WaitOptions, done: (job: Job) => boolean): Promise<Job> {
    const { timeoutMs, signal } = options;
    if (timeoutMs === 0) return this.checkOnce(name, options, done);
    const timeout = timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs);
    const signals = [signal, timeout].filter((s): s is AbortSignal => s !== undefined);
    try {
      for await (const job of this.watchJob(name, { namespace: options.namespace, signal: AbortSignal.any(signals) })) {
        if (done(job)) return job;
      }
    } catch (error) {
      if (timeout?.aborted && !signal?.aborted) throw new WaitTimeoutError(name, timeoutMs ?? 0);
      throw error;
    }
    throw fromStatus({ ...syntheticStatus(404, `jobs.batch "${name}" not found`), details: { name, group: 'batch', kind: 'jobs' } });
  }

  private async checkOnce(name: string, options: WaitOptions, done: (job: Job) => boolean): Promise<Job> {
    const job = await this.getJob(name, options);
    if (done(job)) return job;
    throw new WaitTimeoutError(name, 0);
  }
}

/** The condition of that type if its status is True. */
export function trueCondition(job: Job, type: JobCondition['type']): JobCondition | undefined {
  return (job.status?.conditions ?? []).find((c) => c.type === type && c.status === 'True');
}

/** Complete=True or Failed=True, whichever the Job has. */
export function finishedCondition(job: Job): JobCondition | undefined {
  return trueCondition(job, 'Complete') ?? trueCondition(job, 'Failed');
}

function singleManifest<T = Job>(text: string, method = 'createJob', kind = 'Job'): T {
  const documents = parseManifests(text);
  if (documents.length !== 1) throw new Error(`${method} takes exactly one ${kind}, but the text holds ${documents.length} documents`);
  return documents[0] as T;
}

/**
 * kubectl's createJobFromCronJob (create_job.go): the jobTemplate's spec, labels and annotations plus
 * the "manual" annotation, and a controller reference without blockOwnerDeletion (as kubectl, which
 * avoids needing the cronjobs/finalizers permission).
 */
export function jobFromCronJob(cronJob: CronJob, jobName?: string): Job {
  const template = cronJob.spec.jobTemplate;
  const cronJobName = cronJob.metadata.name ?? '';
  const annotations = { [INSTANTIATE_ANNOTATION]: 'manual', ...template.metadata?.annotations };
  const labels = template.metadata?.labels;
  const naming = jobName === undefined ? { generateName: `${cronJobName}-manual-`.slice(0, MAX_GENERATED_NAME_BASE) } : { name: jobName };
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      ...naming,
      annotations,
      ...(labels && Object.keys(labels).length > 0 ? { labels } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJobName, uid: cronJob.metadata.uid ?? '', controller: true }],
    },
    spec: template.spec,
  };
}

export function resourcePath(resource: ResourceType, namespace: string, name?: string): string {
  const scope = CLUSTER_SCOPED.has(resource) ? '' : `/namespaces/${encodeURIComponent(namespace)}`;
  return `${API_PREFIXES[resource]}${scope}/${resource}${name === undefined ? '' : `/${encodeURIComponent(name)}`}`;
}

function jobsPath(namespace: string, name?: string): string {
  return resourcePath('jobs', namespace, name);
}

function podsPath(namespace: string, name?: string): string {
  return resourcePath('pods', namespace, name);
}

function asTable(value: unknown): Table {
  const table = value as Partial<Table> | null;
  if (table?.kind !== 'Table' || !Array.isArray(table.columnDefinitions) || !Array.isArray(table.rows)) {
    throw new Error('the server did not answer with a Table (meta.k8s.io/v1): it does not print server-side');
  }
  return { ...table, metadata: table.metadata ?? {} } as Table;
}

function logQuery(options: LogOptions, follow: boolean): Record<string, string | number | boolean | undefined> {
  return {
    container: options.container,
    follow: follow ? true : undefined,
    tailLines: options.tailLines,
    timestamps: options.timestamps ? true : undefined,
  };
}
