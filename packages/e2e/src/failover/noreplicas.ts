/** The error JobStore.durable throws for a write whose confirmation by a replica was cut off (it may or may not have landed): what the fault-injection tests answer with. */
export const NOREPLICAS = 'NOREPLICAS the connection to Redis was re-established (a failover?) before the write was confirmed on a replica: it may be lost';
