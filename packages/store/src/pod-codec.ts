import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Redis } from 'ioredis';
import { isPodFinished, ownerJobUid, podDictionary, type Job, type Pod } from '@jobfleet/kube';
import { podDictionaryId, type Keys } from './keys.js';
import { defineScript } from './scripts.js';

/** Marks a compressed object; anything else is plain JSON. */
const COMPRESSED = 'Z1:';
/**
 * Separates, in a compressed pod, its compressed body (everything but the status) from its status:
 * base64 never holds a newline, nor does JSON.stringify's output. Without it the whole pod is
 * compressed as one (pods written before the split, or whose status is not their last field).
 */
const STATUS_SEPARATOR = '\n';
/**
 * Marks, in front of a compressed status, one compressed with the Job's dictionary followed by its
 * status sample (see statusDictionary): base64 never holds it, nor does a JSON status start with it.
 */
const SAMPLED = '~';
/**
 * A status is offered as its Job's sample only up to this size: the dictionary and a pod then still
 * fit deflate's small window, and a status with a long message (the container's termination log)
 * does not make a large dictionary for every pod of the Job.
 */
const SAMPLE_MAX_BYTES = 2 * 1024;
/**
 * Ends the dictionary of a Job whose finished statuses are compressed with its status sample: one of
 * at least SAMPLED_JOB_MIN_PODS completions. The sample costs ~1 KiB and a script call per process,
 * and saves ~64 B of each finished pod: a Job of fewer pods would lose by it.
 */
const SAMPLE_MARK = Buffer.from('\n~sampled');
const SAMPLED_JOB_MIN_PODS = 32;
const CACHE_SIZE = 2_000;
/**
 * Deflate with an 8 KiB window and a small hash table when the dictionary and the input fit in it:
 * zlib's defaults (32 KiB, memLevel 8) allocate and clear ~400 KiB per call, which took 4–7× the
 * time of compressing a pod itself. A larger pod (or dictionary) gets the defaults: a smaller window
 * would miss its repeats. Inflate reads either.
 */
const SMALL_WINDOW = { windowBits: 13, memLevel: 3 } as const;
const SMALL_WINDOW_BYTES = 8 * 1024;

function deflate(input: string, dictionary: Buffer): string {
  const small = dictionary.length + Buffer.byteLength(input) <= SMALL_WINDOW_BYTES;
  return deflateRawSync(input, { ...(small ? SMALL_WINDOW : {}), dictionary }).toString('base64');
}
/**
 * Bytes of decoded bodies kept (keys and values, as UTF-16): a pod's body is the same in each of its
 * 3–5 changes, the status is what differs. Bounded in bytes, as a pod of a large template has a
 * large body; a body over a tenth of it is not kept.
 */
const BODY_CACHE_BYTES = 8 * 1024 * 1024;

/**
 * Values read from Redis once per key and kept: concurrent reads of one key share one request; at
 * most CACHE_SIZE are kept, the oldest going first; a value not found is not kept (read again).
 */
class SharedReads<V> {
  private readonly kept = new Map<string, V>();
  private readonly reading = new Map<string, Promise<V | undefined>>();

  async get(key: string, read: () => Promise<V | undefined>): Promise<V | undefined> {
    const kept = this.kept.get(key);
    if (kept !== undefined) return kept;
    let reading = this.reading.get(key);
    if (!reading) {
      reading = read().finally(() => this.reading.delete(key));
      this.reading.set(key, reading);
    }
    const value = await reading;
    if (value !== undefined && !this.kept.has(key)) {
      if (this.kept.size >= CACHE_SIZE) this.kept.delete(this.kept.keys().next().value as string);
      this.kept.set(key, value);
    }
    return value;
  }
}

/** A pod's stored form split in two: what a status report leaves alone, and its status. */
export interface EncodedPod {
  /** The whole stored object ("Z1:<body>\n<status>", or plain JSON). */
  obj: string;
  /** The id of the dictionary it needs (empty: plain JSON). */
  dict: string;
}

/**
 * Compresses pods with their Job's dictionary (`podDictionary`, stored once per Job in Redis), so a
 * finished pod costs tens of bytes instead of kilobytes, in its hash and in the change stream.
 * The dictionary lives in Redis rather than being recomputed, so processes of different versions
 * always agree on it.
 *
 * A pod of a Job that a node claimed is stored as "Z1:" + its compressed body (metadata and spec) +
 * "\n" + its status (JSON until the pod ends, then compressed: see storedStatus): a status report
 * (`reportPodStatus-5+.lua`) replaces only what follows the newline, so the worker neither encodes
 * nor compresses the pod's unchanged part on each report. A pod waiting for a node is plain JSON.
 */
export class PodCodec {
  /** The Jobs' dictionaries, by id. */
  private readonly dictionaries = new SharedReads<Buffer>();
  /** Each Job's dictionary followed by its status sample, by dictionary id. */
  private readonly sampled = new SharedReads<Buffer>();
  private readonly bodies = new Map<string, string>();
  private bodyBytes = 0;

  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
  ) {
    defineScript(redis, 'podStatusSample', 'podStatusSample-2.lua');
  }

  /** The object to store for a pod (from encodeObject's JSON of it), and the id of the dictionary it needs (empty: plain JSON). */
  async encode(json: string, pod: Pod): Promise<EncodedPod> {
    // A pod waiting for a node is written again whole when one claims it (spec.nodeName): it stays
    // JSON until then, one of at most its Job's parallelism, so that its body is compressed once.
    if (!pod.spec?.nodeName && !isPodFinished(pod)) return { obj: json, dict: '' };
    const dictId = jobDictionaryId(pod);
    const dictionary = dictId ? await this.dictionary(dictId) : undefined;
    if (!dictId || !dictionary) return { obj: json, dict: '' };
    const statusJson = statusLast(pod) ? JSON.stringify(pod.status) : undefined;
    const suffix = statusJson === undefined ? undefined : `,"status":${statusJson}}`;
    if (suffix === undefined || !json.endsWith(suffix)) return { obj: COMPRESSED + deflate(json, dictionary), dict: dictId };
    const body = json.slice(0, json.length - suffix.length) + '}';
    const compressedBody = deflate(body, dictionary);
    return { obj: COMPRESSED + compressedBody + STATUS_SEPARATOR + (await this.storedStatus(statusJson as string, pod, dictId, dictionary)), dict: dictId };
  }

  /**
   * A pod's status as a status report stores it (see storedStatus). Undefined when the dictionary
   * is gone (the Job was deleted).
   */
  async encodeStatus(pod: Pod): Promise<string | undefined> {
    // The dictionary encode() chose for the pod's body: the report's pod is the stored one with another status.
    const dictId = jobDictionaryId(pod);
    const dictionary = dictId ? await this.dictionary(dictId) : undefined;
    if (!dictId || !dictionary) return undefined;
    return this.storedStatus(JSON.stringify(pod.status), pod, dictId, dictionary);
  }

  /**
   * A pod's status as stored after its body: compressed with the Job's dictionary once the pod has
   * ended (it is kept as long as the pod, often 100,000 of them), as JSON before (it is written again
   * at the pod's next change, and a pod that has not ended is one of at most the fleet's running and
   * pending pods): compressing it took a third of a worker's CPU per pod, for bytes soon replaced.
   * A status holding the text the write scripts substitute in a stored object (the resourceVersion
   * placeholder, a resourceVersion field: a client's status may carry any string) is compressed
   * whatever its phase, out of their sight. An ended pod's status is compressed with the dictionary
   * followed by the Job's status sample (marked SAMPLED): the image's digest, the node's addresses
   * and the day's timestamps are then in the dictionary too, and a finished pod's status takes ~100
   * characters instead of ~210 (its hash 536 → 472 B).
   */
  private async storedStatus(statusJson: string, pod: Pod, dictId: string, dictionary: Buffer): Promise<string> {
    const ended = isPodFinished(pod);
    if (!ended && !statusJson.includes('"__RV__"') && !statusJson.includes('"resourceVersion":')) return statusJson;
    const sampled = ended && isSampled(dictionary) ? await this.statusDictionary(dictId, dictionary, statusJson).catch(() => undefined) : undefined;
    return sampled ? SAMPLED + deflate(statusJson, sampled) : deflate(statusJson, dictionary);
  }

  /**
   * The Job's dictionary followed by its status sample: the first finished status of the Job offered
   * to the store (podStatusSample-2.lua keeps the first, for good), then read by every process.
   * Undefined when there is none (none offered yet, or the Job is gone).
   */
  private statusDictionary(dictId: string, dictionary: Buffer, offer = ''): Promise<Buffer | undefined> {
    return this.sampled.get(dictId, async () => {
      // A status past the bound is neither offered nor asks: while the Job has no sample, each such pod would cost a call.
      if (Buffer.byteLength(offer) > SAMPLE_MAX_BYTES) return undefined;
      const sample = await (this.redis as Redis & { podStatusSample(dict: string, sample: string, offer: string): Promise<string | null> }).podStatusSample(this.keys.podDictionaryOf(dictId), this.keys.podStatusSample(dictId), offer);
      return sample === null ? undefined : Buffer.concat([dictionary, Buffer.from(sample)]);
    });
  }

  /**
   * The JSON text of a stored object, with its resourceVersion set. Undefined when its dictionary
   * is gone: the Job was deleted (with its pods) since the object was read.
   */
  async decode(obj: string, dictId: string | null | undefined, rv: string): Promise<string | undefined> {
    if (!obj.startsWith(COMPRESSED)) return obj;
    const dictionary = dictId ? await this.dictionary(dictId) : undefined;
    if (!dictionary) return undefined;
    const split = obj.indexOf(STATUS_SEPARATOR);
    if (split < 0) return withResourceVersion(inflate(obj.slice(COMPRESSED.length), dictionary), rv);
    const body = this.body(obj.slice(COMPRESSED.length, split), dictionary);
    const stored = obj.slice(split + 1);
    // A status stored as JSON starts with its brace; base64 never holds one.
    let status: string;
    if (stored.startsWith('{')) status = stored;
    else if (stored.startsWith(SAMPLED)) {
      const sampled = await this.statusDictionary(dictId as string, dictionary);
      if (!sampled) return undefined; // the sample goes with the Job, as its dictionary does
      status = inflate(stored.slice(SAMPLED.length), sampled);
    } else status = inflate(stored, dictionary);
    return withResourceVersion(`${body.slice(0, -1)},"status":${status}}`, rv);
  }

  private body(compressed: string, dictionary: Buffer): string {
    const cached = this.bodies.get(compressed);
    if (cached !== undefined) return cached;
    const body = inflate(compressed, dictionary);
    const bytes = 2 * (compressed.length + body.length);
    if (bytes > BODY_CACHE_BYTES / 10) return body;
    while (this.bodyBytes + bytes > BODY_CACHE_BYTES) {
      const [oldest, value] = this.bodies.entries().next().value as [string, string];
      this.bodies.delete(oldest);
      this.bodyBytes -= 2 * (oldest.length + value.length);
    }
    this.bodies.set(compressed, body);
    this.bodyBytes += bytes;
    return body;
  }

  private dictionary(dictId: string): Promise<Buffer | undefined> {
    // The pods of a batch a worker claimed are encoded together: one read of their Job's dictionary serves them all.
    return this.dictionaries.get(dictId, async () => (await this.redis.getBuffer(this.keys.podDictionaryOf(dictId))) ?? undefined);
  }
}

function isSampled(dictionary: Buffer): boolean {
  return dictionary.length >= SAMPLE_MARK.length && dictionary.subarray(dictionary.length - SAMPLE_MARK.length).equals(SAMPLE_MARK);
}

function inflate(base64: string, dictionary: Buffer): string {
  return inflateRawSync(Buffer.from(base64, 'base64'), { dictionary }).toString('utf8');
}

/** The dictionary the pods of a new Job are compressed with (kube's podDictionary), marked when its finished statuses are to be compressed with a sample too. */
export function jobPodDictionary(job: Job): string {
  return podDictionary(job) + ((job.spec.completions ?? 1) >= SAMPLED_JOB_MIN_PODS ? SAMPLE_MARK.toString() : '');
}

/** The id of the dictionary of the pod's Job (see podDictionaryId); undefined for a pod of no Job. */
function jobDictionaryId(pod: Pod): string | undefined {
  const uid = ownerJobUid(pod);
  return uid ? podDictionaryId(uid) : undefined;
}

/** Whether the pod's status is its last field, so that the body and the status join back into the same JSON text. */
function statusLast(pod: Pod): boolean {
  const keys = Object.keys(pod);
  return keys[keys.length - 1] === 'status' && typeof pod.status === 'object' && pod.status !== null && !Array.isArray(pod.status);
}

/** Puts the resourceVersion into an object's JSON (its first metadata field, as encodeObject writes it). */
function withResourceVersion(json: string, rv: string): string {
  return json.replace(/"resourceVersion":"[^"]*"/, `"resourceVersion":"${rv}"`);
}
