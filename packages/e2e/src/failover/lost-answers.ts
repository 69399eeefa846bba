/** What the tests of writes whose answer is lost share: the error they inject, and where they inject it. */
import type { JobStore } from '@jobfleet/store';
import type { Fleet } from '../harness.js';

/** The error JobStore.durable throws for a write whose confirmation by a replica was cut off (it may or may not have landed). */
export const NOREPLICAS = 'NOREPLICAS the connection to Redis was re-established (a failover?) before the write was confirmed on a replica: it may be lost';

/** The store of the fleet's first worker, whose methods a test wraps to lose their answers (the one fake of these tests). */
export function workerStore(fleet: Fleet): JobStore {
  return (fleet.workers[0] as unknown as { cluster: { store: JobStore } }).cluster.store;
}
