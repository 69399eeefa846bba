import { randomUUID } from 'node:crypto';
import { AlreadyExistsError, DEFAULT_NAMESPACE, k8sTime, type NamespaceRecord } from '@jobfleet/kube';
import type { JobStore } from './store.js';

/**
 * Namespaces: every namespace a Job was created in, "default", and the ones created through the
 * API. Each has a record (uid, creationTimestamp, labels, annotations), written the first time the
 * namespace is seen, so that it keeps one age and uid.
 */
export async function listNamespaces(store: JobStore, now: number): Promise<Map<string, NamespaceRecord>> {
  const [inUse, rawRecords] = await Promise.all([store.namespaces(), store.redis.hgetall(store.keys.namespaceRecords)]);
  const names = new Set([DEFAULT_NAMESPACE, ...inUse, ...Object.keys(rawRecords)]);
  const out = new Map<string, NamespaceRecord>();
  for (const name of [...names].sort()) {
    const raw = rawRecords[name];
    out.set(name, raw ? (JSON.parse(raw) as NamespaceRecord) : await ensureNamespaceRecord(store, name, now));
  }
  return out;
}

export async function getNamespace(store: JobStore, name: string, now: number): Promise<NamespaceRecord | undefined> {
  const raw = await store.redis.hget(store.keys.namespaceRecords, name);
  if (raw) return JSON.parse(raw) as NamespaceRecord;
  const known = name === DEFAULT_NAMESPACE || (await store.redis.sismember(store.keys.namespaces, name)) === 1;
  return known ? ensureNamespaceRecord(store, name, now) : undefined;
}

/** Records a new namespace; AlreadyExistsError when it is known already. */
export async function createNamespace(store: JobStore, name: string, meta: Pick<NamespaceRecord, 'labels' | 'annotations'>, now: number): Promise<NamespaceRecord> {
  if (await getNamespace(store, name, now)) throw new AlreadyExistsError({ group: '', resource: 'namespaces', name });
  const record: NamespaceRecord = { uid: randomUUID(), creationTimestamp: k8sTime(now), ...meta };
  const created = await store.redis.hsetnx(store.keys.namespaceRecords, name, JSON.stringify(record));
  if (created === 0) throw new AlreadyExistsError({ group: '', resource: 'namespaces', name });
  await store.commit([{ op: 'sadd', key: store.keys.namespaces, member: name }], 'createNamespace');
  return record;
}

async function ensureNamespaceRecord(store: JobStore, name: string, now: number): Promise<NamespaceRecord> {
  const record: NamespaceRecord = { uid: randomUUID(), creationTimestamp: k8sTime(now) };
  await store.redis.hsetnx(store.keys.namespaceRecords, name, JSON.stringify(record));
  const raw = await store.redis.hget(store.keys.namespaceRecords, name);
  return raw ? (JSON.parse(raw) as NamespaceRecord) : record;
}

/** Replaces a known namespace's labels and annotations (its uid and creation time stay). */
export async function updateNamespace(store: JobStore, name: string, meta: Pick<NamespaceRecord, 'labels' | 'annotations'>, now: number): Promise<NamespaceRecord | undefined> {
  const current = await getNamespace(store, name, now);
  if (!current) return undefined;
  const record: NamespaceRecord = { uid: current.uid, creationTimestamp: current.creationTimestamp, ...meta };
  await store.redis.hset(store.keys.namespaceRecords, name, JSON.stringify(record));
  return record;
}
