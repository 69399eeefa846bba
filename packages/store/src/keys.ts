/**
 * The Redis key layout, built in this one place. `prefix` isolates deployments (and tests) that
 * share one Redis. Objects are hashes {rv, obj}; `rv` is the global resourceVersion counter.
 */
export interface Keys {
  /** Global resourceVersion counter (INCR). */
  rv: string;
  /** Change stream: one entry per write, id `<rv>-0`, read by watches. */
  changes: string;
  /** Checkpoints of the change stream (ZSET rv → offset of the entry's first byte; one per 1/64 of its byte bound): where a trim by bytes cuts. */
  changesIndex: string;
  /** The change stream's counters (HASH bytes: appended in all, start: offset the kept entries count from, trimmed: highest resourceVersion trimmed). */
  changesInfo: string;
  /** Random id of this store, set once: a store that lost it was reset (flushed, restarted empty). */
  epoch: string;
  /** Namespaces in use (SET). */
  namespaces: string;
  /** Namespace records (HASH name → JSON {uid, creationTimestamp, labels, annotations}). */
  namespaceRecords: string;
  /** Worker nodes (HASH name → Node JSON). */
  nodes: string;
  /** What users set on Nodes and workers register with: labels, annotations, taints, unschedulable (HASH name → JSON). */
  nodeSpecs: string;
  /** A namespace's Jobs (ZSET by name, score 0). */
  jobs(ns: string): string;
  job(ns: string, name: string): string;
  /** A namespace's pods (a name index: a sorted set of its names while small, then of its buckets' bounds; see nameIndexBuckets). */
  pods(ns: string): string;
  /** A pod (HASH: rv, obj, its dictionary d, phase p, write ids w/lw, and its archived log l once it ended). */
  pod(ns: string, name: string): string;
  /** All pod names of one Job (a name index, as a namespace's: pages alike). */
  jobPods(jobUid: string): string;
  /** Pod names of one Job not yet counted in its status (SET). */
  jobUncounted(jobUid: string): string;
  /** The compression dictionary of one Job's pods (STRING), deleted with it: `podDictionaryOf(podDictionaryId(jobUid))`. */
  podDictionary(jobUid: string): string;
  /**
   * The dictionary a pod's hash names (field d: the Job's podDictionaryId, or its whole uid for a pod
   * written before the ids were short, whose dictionary is still read and deleted, never written).
   */
  podDictionaryOf(dictId: string): string;
  /**
   * The status of one of the Job's finished pods, the first one stored (STRING, set once): the
   * statuses of its finished pods are compressed with the dictionary followed by it (see PodCodec),
   * deleted with the Job.
   */
  podStatusSample(dictId: string): string;
  /** Event names recorded for one Job (SET), deleted with it. */
  jobEvents(jobUid: string): string;
  /** Bytes of log the Job's pods hold in all (STRING counter), against the Job's log budget; deleted with it. */
  jobLogBytes(jobUid: string): string;
  /** Jobs being deleted (HASH uid → JSON {ns, name, at}): the Job is gone, its pods are going in batches. */
  deletingJobs: string;
  /** A running pod's log (STREAM of chunks). */
  podLog(ns: string, name: string): string;
  /**
   * A finished pod's log as it was archived before the archive moved into the pod's hash (field l,
   * see PodLogs): still read and deleted, never written.
   */
  podLogArchive(ns: string, name: string): string;
  /** A namespace's events (ZSET by name). */
  events(ns: string): string;
  event(ns: string, name: string): string;
  /** Pods a node has claimed and not finished ("ns/name" SET). */
  nodePods(node: string): string;
  /** The worker holding a node name (STRING token with an expiry, renewed with its heartbeat): one live worker per name. */
  nodeLease(node: string): string;
  /** Who syncs the Job right now (a short lease), and whether another sync was asked for meanwhile. */
  syncLease(ns: string, name: string): string;
  syncAgain(ns: string, name: string): string;
  /** Pub/sub channel telling a node to stop pods. */
  nodeChannel(node: string): string;
  /** TTL-after-finished schedule (ZSET job key → deadline ms). */
  ttlSchedule: string;
  /** Prefix of BullMQ queues (the Jobs' sync timers). */
  queuePrefix: string;
  /** Pods waiting for a node (ZSET "ns/name" → due ms on the Redis clock), see TaskQueues. */
  podQueue: string;
  /** Entries of the pod queue a node took and has not claimed yet (ZSET "ns/name" → lease end ms). */
  podQueueTaken: string;
  /** Pub/sub channel that wakes the nodes when pods are queued. */
  podQueueWake: string;
  /**
   * A namespace's Jobs as flows of the pod queue (ZSET Job name → score of the Job's last queued
   * entry; +inf from its creation to its first queued pods): how many of them have pods waiting sets
   * how far apart a Job's pods are queued, so that namespaces take turns as Jobs do (see TaskQueues).
   */
  podQueueFlows(ns: string): string;
  /** A namespace's CronJobs (ZSET by name, score 0). */
  cronJobs(ns: string): string;
  /** A CronJob: hash {rv, obj, uid, w}. Its events are listed under jobEvents(its uid). */
  cronJob(ns: string, name: string): string;
  /** The Jobs a CronJob created or adopted (ZSET by name, score 0; a hint: members whose Job is gone are pruned when read). */
  cronJobJobs(cronJobUid: string): string;
  /** When each CronJob is synced next (ZSET "ns/name" → ms on the Redis clock): the controller's schedule. */
  cronJobWake: string;
  /** CronJobs to sync as soon as possible ("ns/name" SET): a change of theirs or of one of their Jobs. */
  cronJobPokes: string;
  /** Who syncs the CronJob right now (a short lease). */
  cronJobLease(ns: string, name: string): string;
  /** CronJob deletions under way (SET of JSON {uid, ns, name, at, orphan}): the CronJob is gone, its Jobs are going. */
  deletingCronJobs: string;
}

export function redisKeys(prefix = 'jf'): Keys {
  const p = prefix;
  return {
    rv: `${p}:rv`,
    changes: `${p}:changes`,
    changesIndex: `${p}:changes:idx`,
    changesInfo: `${p}:changes:info`,
    epoch: `${p}:epoch`,
    namespaces: `${p}:namespaces`,
    namespaceRecords: `${p}:nsrecords`,
    nodes: `${p}:nodes`,
    nodeSpecs: `${p}:nodespecs`,
    jobs: (ns) => `${p}:jobs:${ns}`,
    job: (ns, name) => `${p}:job:${ns}:${name}`,
    pods: (ns) => `${p}:pods:${ns}`,
    pod: (ns, name) => `${p}:pod:${ns}:${name}`,
    jobPods: (uid) => `${p}:jobpods:${uid}`,
    jobUncounted: (uid) => `${p}:uncounted:${uid}`,
    podDictionary: (uid) => `${p}:poddict:${podDictionaryId(uid)}`,
    podDictionaryOf: (id) => `${p}:poddict:${id}`,
    podStatusSample: (id) => `${p}:podsample:${id}`,
    jobEvents: (uid) => `${p}:jobevents:${uid}`,
    jobLogBytes: (uid) => `${p}:joblog:${uid}`,
    deletingJobs: `${p}:deleting`,
    podLog: (ns, name) => `${p}:log:${ns}:${name}`,
    podLogArchive: (ns, name) => `${p}:logz:${ns}:${name}`,
    events: (ns) => `${p}:events:${ns}`,
    event: (ns, name) => `${p}:event:${ns}:${name}`,
    nodePods: (node) => `${p}:nodepods:${node}`,
    nodeLease: (node) => `${p}:nodelease:${node}`,
    syncLease: (ns, name) => `${p}:synclease:${ns}:${name}`,
    syncAgain: (ns, name) => `${p}:syncagain:${ns}:${name}`,
    nodeChannel: (node) => `${p}:node:${node}`,
    ttlSchedule: `${p}:ttl`,
    queuePrefix: `${p}q`,
    podQueue: `${p}:podq`,
    podQueueTaken: `${p}:podq:taken`,
    podQueueWake: `${p}:podq:wake`,
    podQueueFlows: (ns) => `${p}:podq:flows:${ns}`,
    cronJobs: (ns) => `${p}:cronjobs:${ns}`,
    cronJob: (ns, name) => `${p}:cronjob:${ns}:${name}`,
    cronJobJobs: (uid) => `${p}:cronjobjobs:${uid}`,
    cronJobWake: `${p}:cronwake`,
    cronJobPokes: `${p}:cronpokes`,
    cronJobLease: (ns, name) => `${p}:cronlease:${ns}:${name}`,
    deletingCronJobs: `${p}:cronjobs-deleting`,
  };
}

/**
 * The buckets of a name index (HASH bound → names, see scripts/includes/nameIndex.lua) whose key
 * (keys.pods, keys.jobPods) holds their bounds (ZSET): ~26 bytes a name instead of a sorted set's ~115.
 */
export function nameIndexBuckets(indexKey: string): string {
  return `${indexKey}:names`;
}

const UUID = /^([0-9a-f]{8})-([0-9a-f]{4})-[0-9a-f]([0-9a-f]{3})-[0-9a-f]([0-9a-f]{3})-[0-9a-f]{12}$/;

/**
 * The id of a Job's pod dictionary, kept in each of its pods' hashes (field d) and change-stream
 * entries: 12 characters (72 of the uid's random bits, base64url) instead of the uid's 36, which
 * takes a finished pod's hash from 600 to 536 bytes (jemalloc's size classes, MEMORY USAGE). Two Jobs
 * share an id only if their uids agree on those 72 bits: ~n²/2^73 for n Jobs (10⁻¹⁰ for a million).
 * A uid that is not a random UUID (jobfleet writes only those) is its own id.
 */
export function podDictionaryId(jobUid: string): string {
  const m = UUID.exec(jobUid);
  if (!m) return jobUid;
  // The version nibble and the variant's fixed bits left out: 18 random hex digits, 9 bytes.
  return Buffer.from(`${m[1]}${m[2]}${m[3]}${m[4]}`, 'hex').toString('base64url');
}
