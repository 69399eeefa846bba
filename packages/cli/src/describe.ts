/**
 * `jobfleet describe job` and `describe cronjob` text, laid out like kubectl's describeJob and
 * describeCronJob (pkg/describe/describe.go):
 * "Key:\tvalue" lines aligned by a Go-tabwriter port (minWidth 0, padding 2), nested levels indented
 * by two spaces, and kubectl's Events section last. Before the Events, jobfleet adds the Job's
 * Conditions and its pods. Pure: the caller fetches the Job, its pods and its events.
 */
import {
  eventSource,
  humanDuration,
  parseTime,
  podStatus,
  selectorString,
  timestampSince,
  type Container,
  type CoreEvent,
  type CronJob,
  type EnvVar,
  type Job,
  type JobCondition,
  type JobTemplateSpec,
  type LabelSelector,
  type Pod,
  type PodTemplateSpec,
  type Volume,
} from '@jobfleet/kube';
import { LAST_APPLIED_ANNOTATION } from './apply-patch.js';
import { alignTabs, KUBECTL_DESCRIBE_TABWRITER } from './tabwriter.js';
const MAX_ANNOTATION_LENGTH = 140;

export interface DescribeOptions {
  /** Minutes east of UTC for the printed times; defaults to the local zone. */
  utcOffsetMinutes?: number;
  /** What event ages count from; defaults to the current time. */
  now?: Date;
}

export function describeJob(job: Job, pods: readonly Pod[], events: readonly CoreEvent[], options: DescribeOptions = {}): string {
  const lines: string[] = [];
  const write = (level: number, text: string) => lines.push('  '.repeat(level) + text);
  describeJobFields(job, write, options);
  describePodTemplate(job.spec.template, write);
  describeConditions(job.status?.conditions ?? [], write);
  describePods(pods, write);
  describeEvents(events, write, options.now ?? new Date());
  return alignTabs(lines.join('\n') + '\n', KUBECTL_DESCRIBE_TABWRITER);
}

type Write = (level: number, text: string) => void;

/**
 * kubectl's describeCronJob: the CronJob's fields, its job template (selector, parallelism,
 * completions, the pod template), the last schedule time, the active Jobs and the events.
 */
export function describeCronJob(cronJob: CronJob, events: readonly CoreEvent[], options: DescribeOptions = {}): string {
  const lines: string[] = [];
  const write = (level: number, text: string) => lines.push('  '.repeat(level) + text);
  const { metadata, spec } = cronJob;
  const status = cronJob.status ?? {};
  const optional = (value: number | undefined, unit = '') => (value === undefined ? '<unset>' : `${value}${unit}`);
  write(0, `Name:\t${metadata.name ?? ''}`);
  write(0, `Namespace:\t${metadata.namespace ?? ''}`);
  writeLabels(write, 'Labels', metadata.labels);
  writeAnnotations(write, 'Annotations', metadata.annotations);
  write(0, `Schedule:\t${spec.schedule}`);
  write(0, `Concurrency Policy:\t${spec.concurrencyPolicy}`);
  write(0, `Suspend:\t${goBool(spec.suspend)}`);
  write(0, `Successful Job History Limit:\t${optional(spec.successfulJobsHistoryLimit)}`);
  write(0, `Failed Job History Limit:\t${optional(spec.failedJobsHistoryLimit)}`);
  write(0, `Starting Deadline Seconds:\t${optional(spec.startingDeadlineSeconds, 's')}`);
  describeJobTemplate(spec.jobTemplate, write);
  write(0, `Last Schedule Time:\t${status.lastScheduleTime ? formatRFC1123Z(status.lastScheduleTime, options) : '<unset>'}`);
  const active = status.active ?? [];
  write(0, `Active Jobs:\t${active.length === 0 ? '<none>' : active.map((ref) => ref.name ?? '').join(', ')}`);
  describeEvents(events, write, options.now ?? new Date());
  return alignTabs(lines.join('\n') + '\n', KUBECTL_DESCRIBE_TABWRITER);
}

/** kubectl's printBoolPtr: True, False or <unset>. */
function goBool(value: boolean | undefined): string {
  return value === undefined ? '<unset>' : value ? 'True' : 'False';
}

function describeJobTemplate(template: JobTemplateSpec, write: Write): void {
  const { spec } = template;
  write(0, `Selector:\t${spec.selector ? selectorText(spec.selector) : '<unset>'}`);
  write(0, `Parallelism:\t${spec.parallelism ?? '<unset>'}`);
  write(0, `Completions:\t${spec.completions ?? '<unset>'}`);
  if (spec.activeDeadlineSeconds !== undefined) write(0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s`);
  describePodTemplate(spec.template, write);
}

function describeJobFields(job: Job, write: Write, options: DescribeOptions): void {
  const { metadata, spec } = job;
  const status = job.status ?? {};
  write(0, `Name:\t${metadata.name ?? ''}`);
  write(0, `Namespace:\t${metadata.namespace ?? ''}`);
  write(0, `Selector:\t${describeSelector(job)}`);
  writeLabels(write, 'Labels', metadata.labels);
  writeAnnotations(write, 'Annotations', metadata.annotations);
  const controller = metadata.ownerReferences?.find((ref) => ref.controller);
  if (controller) write(0, `Controlled By:\t${controller.kind}/${controller.name}`);
  if (spec.parallelism !== undefined) write(0, `Parallelism:\t${spec.parallelism}`);
  write(0, `Completions:\t${spec.completions ?? '<unset>'}`);
  if (spec.completionMode !== undefined) write(0, `Completion Mode:\t${spec.completionMode}`);
  if (spec.suspend !== undefined) write(0, `Suspend:\t${spec.suspend}`);
  if (spec.backoffLimit !== undefined) write(0, `Backoff Limit:\t${spec.backoffLimit}`);
  if (spec.ttlSecondsAfterFinished !== undefined) write(0, `TTL Seconds After Finished:\t${spec.ttlSecondsAfterFinished}`);
  if (status.startTime) write(0, `Start Time:\t${formatRFC1123Z(status.startTime, options)}`);
  if (status.completionTime) write(0, `Completed At:\t${formatRFC1123Z(status.completionTime, options)}`);
  if (status.startTime && status.completionTime) {
    write(0, `Duration:\t${humanDuration(Date.parse(status.completionTime) - Date.parse(status.startTime))}`);
  }
  if (spec.activeDeadlineSeconds !== undefined) write(0, `Active Deadline Seconds:\t${spec.activeDeadlineSeconds}s`);
  write(0, `Pods Statuses:\t${podsStatuses(job)}`);
  if (spec.completionMode === 'Indexed') write(0, `Completed Indexes:\t${capIndexes(status.completedIndexes ?? '', 50)}`);
  describeFailureAndSuccessFields(job, write);
}

/**
 * jobfleet's addition to kubectl's layout (kubectl 1.33 prints none of these): the failure- and
 * success-handling fields that are set, each rule on its own line, and the failed indexes.
 */
function describeFailureAndSuccessFields(job: Job, write: Write): void {
  const { spec } = job;
  if (spec.backoffLimitPerIndex !== undefined) {
    write(0, `Backoff Limit Per Index:\t${spec.backoffLimitPerIndex}`);
    if (spec.maxFailedIndexes !== undefined) write(0, `Max Failed Indexes:\t${spec.maxFailedIndexes}`);
    write(0, `Failed Indexes:\t${capIndexes(job.status?.failedIndexes ?? '', 50)}`);
  }
  if (spec.podReplacementPolicy && spec.podReplacementPolicy !== 'Failed') write(0, `Pod Replacement Policy:\t${spec.podReplacementPolicy}`);
  if (spec.managedBy !== undefined) write(0, `Managed By:\t${spec.managedBy}`);
  if (spec.podFailurePolicy) {
    write(0, 'Pod Failure Policy:');
    spec.podFailurePolicy.rules.forEach((rule, i) => {
      const codes = rule.onExitCodes;
      const on = codes
        ? `exit codes ${codes.operator} [${codes.values.join(', ')}]${codes.containerName === undefined ? '' : ` of container ${codes.containerName}`}`
        : `pod conditions ${(rule.onPodConditions ?? []).map((c) => `${c.type}=${c.status ?? 'True'}`).join(', ')}`;
      write(1, `Rule ${i}:\t${rule.action} on ${on}`);
    });
  }
  if (spec.successPolicy) {
    write(0, 'Success Policy:');
    spec.successPolicy.rules.forEach((rule, i) => {
      const parts = [
        ...(rule.succeededIndexes !== undefined ? [`succeededIndexes ${rule.succeededIndexes}`] : []),
        ...(rule.succeededCount !== undefined ? [`succeededCount ${rule.succeededCount}`] : []),
      ];
      write(1, `Rule ${i}:\t${parts.join(', ')}`);
    });
  }
}

function describeSelector(job: Job): string {
  return selectorText(job.spec.selector);
}

function selectorText(selector: LabelSelector | undefined): string {
  const text = selectorString(selector);
  if (text !== undefined) return text;
  const bad = selector?.matchExpressions?.find((e) => !['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(e.operator));
  return `Failed to get selector: "${bad?.operator ?? ''}" is not a valid label selector operator`;
}

/** `%d Active (%d Ready) / %d Succeeded / %d Failed`; without "(n Ready)" when status.ready is unset, as kubectl. */
export function podsStatuses(job: Job): string {
  const { active = 0, ready, succeeded = 0, failed = 0 } = job.status ?? {};
  const activePart = ready === undefined ? `${active} Active` : `${active} Active (${ready} Ready)`;
  return `${activePart} / ${succeeded} Succeeded / ${failed} Failed`;
}

function capIndexes(indexes: string, softLimit: number): string {
  if (indexes === '') return '<none>';
  const cut = indexes.indexOf(',', softLimit);
  return cut === -1 ? indexes : `${indexes.slice(0, cut)},...`;
}

function writeLabels(write: Write, title: string, labels: Record<string, string> | undefined): void {
  const keys = Object.keys(labels ?? {}).sort();
  if (keys.length === 0) return write(0, `${title}:\t<none>`);
  keys.forEach((key, i) => write(0, `${i === 0 ? `${title}:` : ''}\t${key}=${labels?.[key] ?? ''}`));
}

function writeAnnotations(write: Write, title: string, annotations: Record<string, string> | undefined): void {
  const keys = Object.keys(annotations ?? {})
    .filter((key) => key !== LAST_APPLIED_ANNOTATION)
    .sort();
  if (keys.length === 0) return write(0, `${title}:\t<none>`);
  keys.forEach((key, i) => {
    const prefix = i === 0 ? `${title}:\t` : '\t';
    const value = (annotations?.[key] ?? '').replace(/\n$/, '');
    if (value.length + key.length + 2 <= MAX_ANNOTATION_LENGTH && !value.includes('\n')) return write(0, `${prefix}${key}: ${value}`);
    write(0, `${prefix}${key}:`);
    for (const part of value.split('\n')) write(0, `\t  ${shorten(part, MAX_ANNOTATION_LENGTH - 2)}`);
  });
}

function shorten(text: string, maxLength: number): string {
  return text.length > maxLength ? `${text.slice(0, maxLength)}...` : text;
}

// ---------------------------------------------------------------- pod template

function describePodTemplate(template: PodTemplateSpec, write: Write): void {
  write(0, 'Pod Template:');
  writeLabels(write, '  Labels', template.metadata?.labels);
  if (Object.keys(template.metadata?.annotations ?? {}).length > 0) writeAnnotations(write, '  Annotations', template.metadata?.annotations);
  const { initContainers = [], containers, volumes = [] } = template.spec;
  if (initContainers.length > 0) describeContainers('Init Containers', initContainers, write);
  describeContainers('Containers', containers, write);
  describeVolumes(volumes, write);
  writeLabels(write, '  Node-Selectors', template.spec.nodeSelector);
  write(0, '  Tolerations:\t<none>');
}

function describeContainers(label: string, containers: readonly Container[], write: Write): void {
  write(0, `  ${label}:${containers.length === 0 ? ' <none>' : ''}`);
  for (const container of containers) {
    write(1, ` ${container.name}:`);
    write(2, `Image:\t${container.image}`);
    write(2, 'Port:\t<none>');
    write(2, 'Host Port:\t<none>');
    writeMultiline(write, 'Command', container.command);
    writeMultiline(write, 'Args', container.args);
    describeResources(container, write);
    describeEnv(container.env ?? [], write);
    describeMounts(container, write);
  }
}

function writeMultiline(write: Write, title: string, values: readonly string[] | undefined): void {
  if (!values || values.length === 0) return;
  write(2, `${title}:`);
  for (const value of values) for (const line of value.split('\n')) write(3, line);
}

function describeResources(container: Container, write: Write): void {
  for (const [title, list] of [
    ['Limits', container.resources?.limits],
    ['Requests', container.resources?.requests],
  ] as const) {
    const names = Object.keys(list ?? {}).sort();
    if (names.length === 0) continue;
    write(2, `${title}:`);
    for (const name of names) write(3, `${name}:\t${String(list?.[name])}`);
  }
}

function describeEnv(env: readonly EnvVar[], write: Write): void {
  write(2, `Environment:${env.length === 0 ? '\t<none>' : ''}`);
  for (const variable of env) {
    const fieldRef = variable.valueFrom?.fieldRef;
    if (fieldRef) {
      write(3, `${variable.name}:\t (${fieldRef.apiVersion ?? 'v1'}:${fieldRef.fieldPath})`);
      continue;
    }
    (variable.value ?? '').split('\n').forEach((line, i) => write(3, i === 0 ? `${variable.name}:\t${line}` : `\t${line}`));
  }
}

function describeMounts(container: Container, write: Write): void {
  const mounts = [...(container.volumeMounts ?? [])].sort((a, b) => (a.mountPath < b.mountPath ? -1 : a.mountPath > b.mountPath ? 1 : 0));
  write(2, `Mounts:${mounts.length === 0 ? '\t<none>' : ''}`);
  for (const mount of mounts) {
    const flags = [mount.readOnly ? 'ro' : 'rw', ...(mount.subPath ? [`path=${JSON.stringify(mount.subPath)}`] : [])];
    write(3, `${mount.mountPath} from ${mount.name} (${flags.join(',')})`);
  }
}

function describeVolumes(volumes: readonly Volume[], write: Write): void {
  if (volumes.length === 0) return write(0, '  Volumes:\t<none>');
  write(0, '  Volumes:');
  for (const volume of volumes) {
    write(1, ` ${volume.name}:`);
    if (!volume.emptyDir) continue;
    write(2, "Type:\tEmptyDir (a temporary directory that shares a pod's lifetime)");
    write(2, `Medium:\t${volume.emptyDir.medium ?? ''}`);
    write(2, `SizeLimit:\t${volume.emptyDir.sizeLimit ?? '<unset>'}`);
  }
}

// ---------------------------------------------------------------- jobfleet additions

function describeConditions(conditions: readonly JobCondition[], write: Write): void {
  if (conditions.length === 0) return write(0, 'Conditions:\t<none>');
  write(0, 'Conditions:');
  write(1, 'Type\tStatus\tReason\tMessage');
  write(1, '----\t------\t------\t-------');
  for (const c of conditions) write(1, `${c.type}\t${c.status}\t${c.reason ?? ''}\t${c.message ?? ''}`);
}

function describePods(pods: readonly Pod[], write: Write): void {
  if (pods.length === 0) return write(0, 'Pods:\t<none>');
  write(0, 'Pods:');
  write(1, 'Name\tPhase\tStatus\tNode');
  write(1, '----\t-----\t------\t----');
  for (const pod of pods) write(1, `${pod.metadata.name ?? ''}\t${pod.status.phase}\t${podStatus(pod)}\t${pod.spec.nodeName || '<none>'}`);
}

// ---------------------------------------------------------------- events

/**
 * kubectl's DescribeEvents: oldest last-seen first; Age is the first occurrence's, or
 * "LAST (xCOUNT over FIRST)" for a repeated event; From is the reporting component.
 */
function describeEvents(events: readonly CoreEvent[], write: Write, now: Date): void {
  if (events.length === 0) return write(0, 'Events:\t<none>');
  write(0, 'Events:');
  write(1, 'Type\tReason\tAge\tFrom\tMessage');
  write(1, '----\t------\t----\t----\t-------');
  // A missing timestamp sorts first (Go's zero time).
  const timeOf = (t: string | undefined) => parseTime(t) ?? Number.NEGATIVE_INFINITY;
  const sorted = [...events].sort((a, b) => timeOf(a.lastTimestamp) - timeOf(b.lastTimestamp));
  for (const event of sorted) {
    write(1, `${event.type ?? ''}\t${event.reason ?? ''}\t${eventAge(event, now)}\t${eventSource(event)}\t${(event.message ?? '').trim()}`);
  }
}

function eventAge(event: CoreEvent, now: Date): string {
  const first = timestampSince(event.eventTime || event.firstTimestamp, now);
  if (event.series) return `${timestampSince(event.series.lastObservedTime, now)} (x${event.series.count ?? 0} over ${first})`;
  if ((event.count ?? 0) > 1) return `${timestampSince(event.lastTimestamp, now)} (x${event.count ?? 0} over ${first})`;
  return first;
}

// ---------------------------------------------------------------- time

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** Go's time.RFC1123Z layout: "Mon, 02 Jan 2006 15:04:05 -0700". */
export function formatRFC1123Z(timestamp: string, options: DescribeOptions = {}): string {
  const instant = new Date(timestamp);
  if (Number.isNaN(instant.getTime())) return timestamp;
  const offset = options.utcOffsetMinutes ?? -instant.getTimezoneOffset();
  const shifted = new Date(instant.getTime() + offset * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  const date = `${WEEKDAYS[shifted.getUTCDay()]}, ${pad(shifted.getUTCDate())} ${MONTHS[shifted.getUTCMonth()]} ${shifted.getUTCFullYear()}`;
  const time = `${pad(shifted.getUTCHours())}:${pad(shifted.getUTCMinutes())}:${pad(shifted.getUTCSeconds())}`;
  const sign = offset < 0 ? '-' : '+';
  const zone = `${sign}${pad(Math.trunc(Math.abs(offset) / 60))}${pad(Math.abs(offset) % 60)}`;
  return `${date} ${time} ${zone}`;
}
