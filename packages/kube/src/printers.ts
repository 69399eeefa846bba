/**
 * kubectl's `get` columns for batch/v1 Job, core/v1 Pod, Event, Node and Namespace, computed from
 * the objects: the API server's Table answers (server-side printing) and any client that prints.
 *
 * Ported rule for rule from kubernetes `pkg/printers/internalversion/printers.go` (printJob,
 * printPod, printEvent, printNode, printNamespace and their column definitions) and apimachinery
 * `pkg/util/duration` (HumanDuration). Pure: every function takes the object and `now`.
 * The only copy: `jobfleet get` prints the server's Tables, and `jobfleet describe` imports the pieces it needs.
 */
import type { CoreEvent, Namespace, Node } from './cluster-objects.js';
import type { Container, ContainerStatus, CronJob, Job, JobCondition, LabelSelector, Pod } from './types.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY_HOURS = 24;
const YEAR_HOURS = 365 * DAY_HOURS;

/**
 * kubectl's HumanDuration: ~2-3 significant figures ("5s", "119s", "2m3s", "70m", "3h1m", "47h", "2d1h", "367d", "2y1d", "8y").
 * Up to 2 s in the future counts as now ("0s"); more is "<invalid>".
 */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / SECOND);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 2 * 60) return `${seconds}s`;
  const minutes = Math.trunc(ms / MINUTE);
  if (minutes < 10) return joinUnits(minutes, 'm', seconds % 60, 's');
  if (minutes < 3 * 60) return `${minutes}m`;
  const hours = Math.trunc(ms / HOUR);
  if (hours < 8) return joinUnits(hours, 'h', minutes % 60, 'm');
  if (hours < 2 * DAY_HOURS) return `${hours}h`;
  const days = Math.trunc(hours / DAY_HOURS);
  if (hours < 8 * DAY_HOURS) return joinUnits(days, 'd', hours % DAY_HOURS, 'h');
  if (hours < 2 * YEAR_HOURS) return `${days}d`;
  const years = Math.trunc(hours / YEAR_HOURS);
  if (hours < 8 * YEAR_HOURS) return joinUnits(years, 'y', days % 365, 'd');
  return `${years}y`;
}

function joinUnits(major: number, majorUnit: string, minor: number, minorUnit: string): string {
  return minor === 0 ? `${major}${majorUnit}` : `${major}${majorUnit}${minor}${minorUnit}`;
}

/** kubectl's translateTimestampSince: the AGE cell; "<unknown>" without a timestamp. */
export function timestampSince(timestamp: string | undefined, now: Date): string {
  const time = parseTime(timestamp);
  return time === undefined ? '<unknown>' : humanDuration(now.getTime() - time);
}

function parseTime(timestamp: string | undefined): number | undefined {
  if (!timestamp) return undefined;
  const time = Date.parse(timestamp);
  return Number.isNaN(time) ? undefined : time;
}

// ---------------------------------------------------------------- label selectors

/** metav1.LabelSelector as a string ("a=b,c in (d,e),!f"); "" for nil or empty, undefined if invalid. */
export function selectorString(selector: LabelSelector | undefined): string | undefined {
  if (!selector) return '';
  const requirements: { key: string; text: string }[] = [];
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) requirements.push({ key, text: `${key}=${value}` });
  for (const expression of selector.matchExpressions ?? []) {
    const text = requirementString(expression);
    if (text === undefined) return undefined;
    requirements.push({ key: expression.key, text });
  }
  return requirements
    .sort((a, b) => compareStrings(a.key, b.key))
    .map((r) => r.text)
    .join(',');
}

function requirementString({ key, operator, values = [] }: { key: string; operator: string; values?: string[] }): string | undefined {
  const sorted = [...values].sort(compareStrings).join(',');
  switch (operator) {
    case 'In':
      return `${key} in (${sorted})`;
    case 'NotIn':
      return `${key} notin (${sorted})`;
    case 'Exists':
      return key;
    case 'DoesNotExist':
      return `!${key}`;
    default:
      return undefined;
  }
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** metav1.FormatLabelSelector: "<none>" when empty, "<error>" when invalid. */
export function formatLabelSelector(selector: LabelSelector | undefined): string {
  const text = selectorString(selector);
  if (text === undefined) return '<error>';
  return text === '' ? '<none>' : text;
}

/** layoutContainerCells: comma-joined container names and images. */
export function containerCells(containers: readonly Container[]): { names: string; images: string } {
  return { names: containers.map((c) => c.name).join(','), images: containers.map((c) => c.image).join(',') };
}

// ---------------------------------------------------------------- Job

export const JOB_COLUMNS = ['NAME', 'STATUS', 'COMPLETIONS', 'DURATION', 'AGE'] as const;
export const JOB_WIDE_COLUMNS = [...JOB_COLUMNS, 'CONTAINERS', 'IMAGES', 'SELECTOR'] as const;

/** Like kubectl's hasJobCondition: the first condition of that type decides, and it must be "True". */
export function hasJobCondition(conditions: readonly JobCondition[] | undefined, type: JobCondition['type']): boolean {
  const condition = (conditions ?? []).find((c) => c.type === type);
  return condition?.status === 'True';
}

/** STATUS: the first that applies of Complete, Failed, Terminating, Suspended, FailureTarget, Running. */
export function jobStatus(job: Job): string {
  const conditions = job.status?.conditions;
  if (hasJobCondition(conditions, 'Complete')) return 'Complete';
  if (hasJobCondition(conditions, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasJobCondition(conditions, 'Suspended')) return 'Suspended';
  if (hasJobCondition(conditions, 'FailureTarget')) return 'FailureTarget';
  return 'Running';
}

/** COMPLETIONS: "succeeded/completions"; with completions unset "n/1", or "n/1 of P" when parallelism > 1. */
export function jobCompletions(job: Job): string {
  const succeeded = job.status?.succeeded ?? 0;
  const { completions, parallelism } = job.spec;
  if (completions !== undefined && completions !== null) return `${succeeded}/${completions}`;
  if ((parallelism ?? 0) > 1) return `${succeeded}/1 of ${parallelism}`;
  return `${succeeded}/1`;
}

/** DURATION: startTime to completionTime (or to now while unfinished); empty before the Job starts. */
export function jobDuration(job: Job, now: Date): string {
  const start = parseTime(job.status?.startTime);
  if (start === undefined) return '';
  const end = parseTime(job.status?.completionTime) ?? now.getTime();
  return humanDuration(end - start);
}

export function jobRow(job: Job, now: Date, wide = false): string[] {
  const cells = [job.metadata.name ?? '', jobStatus(job), jobCompletions(job), jobDuration(job, now), timestampSince(job.metadata.creationTimestamp, now)];
  if (!wide) return cells;
  const { names, images } = containerCells(job.spec.template.spec.containers);
  return [...cells, names, images, formatLabelSelector(job.spec.selector)];
}

// ---------------------------------------------------------------- CronJob

export const CRONJOB_COLUMNS = ['NAME', 'SCHEDULE', 'TIMEZONE', 'SUSPEND', 'ACTIVE', 'LAST SCHEDULE', 'AGE'] as const;
export const CRONJOB_WIDE_COLUMNS = [...CRONJOB_COLUMNS, 'CONTAINERS', 'IMAGES', 'SELECTOR'] as const;

/** printCronJob: "<none>" for an unset time zone and a CronJob never scheduled; ACTIVE is a number, as in the Table. */
export function cronJobRow(cj: CronJob, now: Date, wide = false): (string | number)[] {
  const lastSchedule = cj.status?.lastScheduleTime ? timestampSince(cj.status.lastScheduleTime, now) : '<none>';
  const suspend = cj.spec.suspend === undefined ? '<unset>' : cj.spec.suspend ? 'True' : 'False';
  const cells = [
    cj.metadata.name ?? '',
    cj.spec.schedule,
    cj.spec.timeZone ?? '<none>',
    suspend,
    cj.status?.active?.length ?? 0,
    lastSchedule,
    timestampSince(cj.metadata.creationTimestamp, now),
  ];
  if (!wide) return cells;
  const template = cj.spec.jobTemplate.spec;
  const { names, images } = containerCells(template.template.spec.containers);
  return [...cells, names, images, formatLabelSelector(template.selector)];
}

// ---------------------------------------------------------------- Pod

export const POD_COLUMNS = ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'] as const;
export const POD_WIDE_COLUMNS = [...POD_COLUMNS, 'IP', 'NODE', 'NOMINATED NODE', 'READINESS GATES'] as const;

/** Fields kubectl reads that jobfleet's Pod type does not declare (sidecars, dual-stack IPs, readiness gates). */
interface PodExtras {
  spec: { initContainers?: (Container & { restartPolicy?: string })[]; readinessGates?: { conditionType: string }[] };
  status: { podIPs?: { ip: string }[]; nominatedNodeName?: string };
}

export interface PodSummary {
  ready: number;
  total: number;
  /** The STATUS cell. */
  reason: string;
  restarts: number;
  /** Latest lastState.terminated.finishedAt among the counted containers (ms), if any. */
  lastRestartAt?: number;
}

/** printPod's aggregation of container states into READY, STATUS and RESTARTS. */
export function summarizePod(pod: Pod): PodSummary {
  const initContainers = (pod.spec as PodExtras['spec']).initContainers ?? [];
  const summary: PodSummary = {
    ready: 0,
    total: pod.spec.containers.length + initContainers.filter(isRestartable).length,
    reason: initialPodReason(pod),
    restarts: 0,
  };
  const init = summarizeInitContainers(pod, summary);
  if (!init.initializing || podConditionTrue(pod, 'Initialized')) {
    // Once the app containers count, kubectl keeps only the restarts of sidecar (restartable) init containers.
    summary.restarts = init.sidecarRestarts;
    summary.lastRestartAt = init.sidecarLastRestartAt;
    summarizeContainers(pod, summary);
  }
  if (pod.metadata.deletionTimestamp && pod.status.reason === 'NodeLost') summary.reason = 'Unknown';
  else if (pod.metadata.deletionTimestamp && !isTerminalPhase(pod.status.phase)) summary.reason = 'Terminating';
  return summary;
}

function initialPodReason(pod: Pod): string {
  const gated = (pod.status.conditions ?? []).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated');
  if (gated) return 'SchedulingGated';
  return pod.status.reason || pod.status.phase;
}

function isRestartable(container: { restartPolicy?: string } | undefined): boolean {
  return container?.restartPolicy === 'Always';
}

function isTerminalPhase(phase: string): boolean {
  return phase === 'Succeeded' || phase === 'Failed';
}

function podConditionTrue(pod: Pod, type: string): boolean {
  return (pod.status.conditions ?? []).some((c) => c.type === type && c.status === 'True');
}

interface InitContainersSummary {
  initializing: boolean;
  sidecarRestarts: number;
  sidecarLastRestartAt: number | undefined;
}

/** Walks the init containers up to the first unfinished one; sets reason to "Init:…" while initializing. */
function summarizeInitContainers(pod: Pod, summary: PodSummary): InitContainersSummary {
  const specs = (pod.spec as PodExtras['spec']).initContainers ?? [];
  const result: InitContainersSummary = { initializing: false, sidecarRestarts: 0, sidecarLastRestartAt: undefined };
  for (const [index, status] of (pod.status.initContainerStatuses ?? []).entries()) {
    const sidecar = isRestartable(specs.find((c) => c.name === status.name));
    summary.restarts += status.restartCount;
    summary.lastRestartAt = latest(summary.lastRestartAt, lastTerminatedAt(status));
    if (sidecar) {
      result.sidecarRestarts += status.restartCount;
      result.sidecarLastRestartAt = latest(result.sidecarLastRestartAt, lastTerminatedAt(status));
    }
    if (status.state.terminated?.exitCode === 0) continue;
    if (sidecar && status.started) {
      if (status.ready) summary.ready++;
      continue;
    }
    summary.reason = initContainerReason(status, index, specs.length);
    result.initializing = true;
    break;
  }
  return result;
}

function initContainerReason(status: ContainerStatus, index: number, count: number): string {
  const { terminated, waiting } = status.state;
  if (terminated) {
    if (terminated.reason) return `Init:${terminated.reason}`;
    return terminated.signal ? `Init:Signal:${terminated.signal}` : `Init:ExitCode:${terminated.exitCode}`;
  }
  if (waiting?.reason && waiting.reason !== 'PodInitializing') return `Init:${waiting.reason}`;
  return `Init:${index}/${count}`;
}

function summarizeContainers(pod: Pod, summary: PodSummary): void {
  let hasRunning = false;
  const statuses = pod.status.containerStatuses ?? [];
  for (const status of [...statuses].reverse()) {
    summary.restarts += status.restartCount;
    summary.lastRestartAt = latest(summary.lastRestartAt, lastTerminatedAt(status));
    const reason = containerReason(status);
    if (reason !== undefined) summary.reason = reason;
    else if (status.ready && status.state.running) {
      hasRunning = true;
      summary.ready++;
    }
  }
  if (summary.reason === 'Completed' && hasRunning) summary.reason = podConditionTrue(pod, 'Ready') ? 'Running' : 'NotReady';
}

/** The waiting/terminated reason of an app container, or undefined while it runs. */
function containerReason(status: ContainerStatus): string | undefined {
  const { waiting, terminated } = status.state;
  if (waiting?.reason) return waiting.reason;
  if (!terminated) return undefined;
  if (terminated.reason) return terminated.reason;
  return terminated.signal ? `Signal:${terminated.signal}` : `ExitCode:${terminated.exitCode}`;
}

function lastTerminatedAt(status: ContainerStatus): number | undefined {
  return parseTime(status.lastState?.terminated?.finishedAt);
}

function latest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}

/** STATUS: e.g. Completed, Running, Error, OOMKilled, CrashLoopBackOff, ErrImageNeverPull, Pending, Terminating. */
export function podStatus(pod: Pod): string {
  return summarizePod(pod).reason;
}

/** READY: "ready/total" containers. */
export function podReady(pod: Pod): string {
  const { ready, total } = summarizePod(pod);
  return `${ready}/${total}`;
}

/** RESTARTS: the sum of restartCount, with "(5m ago)" when a container has restarted. */
export function podRestarts(pod: Pod, now: Date): string {
  return restartsCell(summarizePod(pod), now);
}

function restartsCell({ restarts, lastRestartAt }: PodSummary, now: Date): string {
  if (restarts === 0 || lastRestartAt === undefined) return String(restarts);
  return `${restarts} (${humanDuration(now.getTime() - lastRestartAt)} ago)`;
}

export function podRow(pod: Pod, now: Date, wide = false): string[] {
  const summary = summarizePod(pod);
  const name = pod.metadata.name ?? '';
  const cells = [name, `${summary.ready}/${summary.total}`, summary.reason, restartsCell(summary, now), timestampSince(pod.metadata.creationTimestamp, now)];
  if (!wide) return cells;
  return [...cells, podIP(pod), pod.spec.nodeName || '<none>', (pod.status as PodExtras['status']).nominatedNodeName || '<none>', readinessGates(pod)];
}

function podIP(pod: Pod): string {
  const status = pod.status as Pod['status'] & PodExtras['status'];
  return status.podIPs?.[0]?.ip || status.podIP || '<none>';
}

function readinessGates(pod: Pod): string {
  const gates = (pod.spec as PodExtras['spec']).readinessGates ?? [];
  if (gates.length === 0) return '<none>';
  const conditions: readonly { type: string; status: string }[] = pod.status.conditions ?? [];
  const satisfied = gates.filter((gate) => conditions.find((c) => c.type === gate.conditionType)?.status === 'True').length;
  return `${satisfied}/${gates.length}`;
}

// ---------------------------------------------------------------- Event

export const EVENT_COLUMNS = ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'] as const;

/** kubectl's formatEventSource: "component, host" (host left out when empty). */
export function eventSource(event: CoreEvent): string {
  const component = event.source?.component || event.reportingComponent || '';
  const instance = event.source?.host || event.reportingInstance || '';
  return instance ? `${component}, ${instance}` : component;
}

/** printEvent's cells; wide adds SUBOBJECT, SOURCE, FIRST SEEN, COUNT and NAME (in kubectl's order). */
export function eventRow(event: CoreEvent, now: Date, wide = false): (string | number)[] {
  const first = event.firstTimestamp ? timestampSince(event.firstTimestamp, now) : timestampSince(event.eventTime ?? undefined, now);
  let last = event.lastTimestamp ? timestampSince(event.lastTimestamp, now) : first;
  let count = event.count ?? 0;
  if (event.series) {
    last = timestampSince(event.series.lastObservedTime, now);
    count = event.series.count ?? 0;
  } else if (count === 0) count = 1;
  const { kind = '', name = '' } = event.involvedObject;
  const target = name ? `${kind.toLowerCase()}/${name}` : kind.toLowerCase();
  const message = (event.message ?? '').trim();
  if (!wide) return [last, event.type ?? '', event.reason ?? '', target, message];
  return [last, event.type ?? '', event.reason ?? '', target, event.involvedObject.fieldPath ?? '', eventSource(event), message, first, count, event.metadata.name ?? ''];
}

// ---------------------------------------------------------------- Node

export const NODE_COLUMNS = ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'] as const;

const NODE_ROLE_PREFIX = 'node-role.kubernetes.io/';
const NODE_ROLE_LABEL = 'kubernetes.io/role';

/** STATUS: Ready / NotReady / Unknown, plus ",SchedulingDisabled" when cordoned. */
export function nodeStatus(node: Node): string {
  const ready = node.status.conditions.find((c) => c.type === 'Ready');
  const status = ready ? [ready.status === 'True' ? 'Ready' : 'NotReady'] : ['Unknown'];
  if (node.spec.unschedulable) status.push('SchedulingDisabled');
  return status.join(',');
}

/** ROLES from node-role.kubernetes.io/<role> and kubernetes.io/role labels, sorted; "<none>" without. */
export function nodeRoles(node: Node): string {
  const roles = new Set<string>();
  for (const [key, value] of Object.entries(node.metadata.labels ?? {})) {
    if (key.startsWith(NODE_ROLE_PREFIX) && key.length > NODE_ROLE_PREFIX.length) roles.add(key.slice(NODE_ROLE_PREFIX.length));
    else if (key === NODE_ROLE_LABEL && value !== '') roles.add(value);
  }
  return roles.size === 0 ? '<none>' : [...roles].sort(compareStrings).join(',');
}

export function nodeRow(node: Node, now: Date, wide = false): string[] {
  const info = node.status.nodeInfo;
  const cells = [node.metadata.name ?? '', nodeStatus(node), nodeRoles(node), timestampSince(node.metadata.creationTimestamp, now), info.kubeletVersion];
  if (!wide) return cells;
  const address = (type: string) => node.status.addresses.find((a) => a.type === type)?.address ?? '<none>';
  return [...cells, address('InternalIP'), address('ExternalIP'), info.osImage || '<unknown>', info.kernelVersion || '<unknown>', info.containerRuntimeVersion || '<unknown>'];
}

// ---------------------------------------------------------------- Namespace

export const NAMESPACE_COLUMNS = ['NAME', 'STATUS', 'AGE'] as const;

export function namespaceRow(namespace: Namespace, now: Date): string[] {
  return [namespace.metadata.name ?? '', namespace.status.phase, timestampSince(namespace.metadata.creationTimestamp, now)];
}

// ---------------------------------------------------------------- Table column definitions

/** metav1.TableColumnDefinition. */
export interface TableColumnDefinition {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

function column(name: string, description: string, options: { type?: string; format?: string; priority?: number } = {}): TableColumnDefinition {
  return { name, type: options.type ?? 'string', format: options.format ?? '', description, priority: options.priority ?? 0 };
}

const NAME_DOC = 'Name must be unique within a namespace. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names';
const AGE_DOC =
  'CreationTimestamp is a timestamp representing the server time when this object was created. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata';
const nameColumn = () => column('Name', NAME_DOC, { format: 'name' });
const ageColumn = () => column('Age', AGE_DOC);

/** The columns of server-side printing, as printers.go defines them (priority 1 = `-o wide` only). */
export const JOB_COLUMN_DEFINITIONS: readonly TableColumnDefinition[] = [
  nameColumn(),
  column('Status', 'Status of the job.'),
  column('Completions', 'The number of pods which reached phase Succeeded.'),
  column('Duration', 'Time required to complete the job.'),
  ageColumn(),
  column('Containers', 'Names of each container in the template.', { priority: 1 }),
  column('Images', 'Images referenced by each container in the template.', { priority: 1 }),
  column('Selector', 'A label query over pods that should match the pod count.', { priority: 1 }),
];

export const CRONJOB_COLUMN_DEFINITIONS: readonly TableColumnDefinition[] = [
  nameColumn(),
  column('Schedule', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
  column(
    'Timezone',
    'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones. If not specified, this will default to the time zone of the kube-controller-manager process. The set of valid time zone names and the time zone offset is loaded from the system-wide time zone database by the API server during CronJob validation and the controller manager during execution. If no system-wide time zone database can be found a bundled version of the database is used instead. If the time zone name becomes invalid during the lifetime of a CronJob or due to a change in host configuration, the controller will stop creating new new Jobs and will create a system event with the reason UnknownTimeZone. More information can be found in https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/#time-zones',
  ),
  column('Suspend', 'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.  Defaults to false.', { type: 'boolean' }),
  column('Active', 'A list of pointers to currently running jobs.', { type: 'integer' }),
  column('Last Schedule', 'Information when was the last time the job was successfully scheduled.'),
  ageColumn(),
  column('Containers', 'Names of each container in the template.', { priority: 1 }),
  column('Images', 'Images referenced by each container in the template.', { priority: 1 }),
  column('Selector', 'A label query over pods that should match the pod count.', { priority: 1 }),
];

export const POD_COLUMN_DEFINITIONS: readonly TableColumnDefinition[] = [
  nameColumn(),
  column('Ready', 'The aggregate readiness state of this pod for accepting traffic.'),
  column('Status', 'The aggregate status of the containers in this pod.'),
  column('Restarts', 'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.'),
  ageColumn(),
  column('IP', 'podIP address allocated to the pod.', { priority: 1 }),
  column('Node', 'NodeName indicates in which node this pod is scheduled.', { priority: 1 }),
  column('Nominated Node', 'nominatedNodeName is set only when this pod preempts other pods on the node.', { priority: 1 }),
  column('Readiness Gates', 'If specified, all readiness gates will be evaluated for pod readiness.', { priority: 1 }),
];

export const EVENT_COLUMN_DEFINITIONS: readonly TableColumnDefinition[] = [
  column('Last Seen', 'The time at which the most recent occurrence of this event was recorded.'),
  column('Type', 'Type of this event (Normal, Warning), new types could be added in the future'),
  column('Reason', 'This should be a short, machine understandable string that gives the reason for the transition into the object\'s current status.'),
  column('Object', 'The object that this event is about.'),
  column('Subobject', 'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.', { priority: 1 }),
  column('Source', 'The component reporting this event.', { priority: 1 }),
  column('Message', 'A human-readable description of the status of this operation.'),
  column('First Seen', 'The time at which the event was first recorded.', { priority: 1 }),
  column('Count', 'The number of times this event has occurred.', { priority: 1 }),
  column('Name', NAME_DOC, { format: 'name', priority: 1 }),
];

export const NODE_COLUMN_DEFINITIONS: readonly TableColumnDefinition[] = [
  nameColumn(),
  column('Status', 'The status of the node'),
  column('Roles', 'The roles of the node'),
  ageColumn(),
  column('Version', 'Kubelet Version reported by the node.'),
  column('Internal-IP', 'List of addresses reachable to the node.', { priority: 1 }),
  column('External-IP', 'List of addresses reachable to the node.', { priority: 1 }),
  column('OS-Image', 'OS Image reported by the node.', { priority: 1 }),
  column('Kernel-Version', 'Kernel Version reported by the node.', { priority: 1 }),
  column('Container-Runtime', 'ContainerRuntime Version reported by the node.', { priority: 1 }),
];

export const NAMESPACE_COLUMN_DEFINITIONS: readonly TableColumnDefinition[] = [nameColumn(), column('Status', 'The status of the namespace'), ageColumn()];

/** printPod's row conditions: a finished pod's row carries Completed=True/False. */
export function podRowConditions(pod: Pod): { type: string; status: string; reason: string; message: string }[] {
  if (pod.status.phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
  if (pod.status.phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  return [];
}
