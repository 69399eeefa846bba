import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { heartbeatTime } from './transitions.js';
import type { JobStore } from './store.js';
import { defineScript } from './scripts.js';


interface LeaseRedis extends Redis {
  nodeLease(key: string, token: string, mode: 'take' | 'release', durationMs: number): Promise<(number | string)[]>;
}

/** Another worker that is alive holds the node name. */
export class NodeNameInUseError extends Error {
  constructor(
    readonly nodeName: string,
    /** Age of the holder's last heartbeat, when it has one. */
    readonly heartbeatAgeMs?: number,
  ) {
    const seen = heartbeatAgeMs === undefined ? '' : ` (last heartbeat ${(Math.max(0, heartbeatAgeMs) / 1000).toFixed(1)} s ago)`;
    super(`node name "${nodeName}" is in use by a live worker${seen}; choose another --node-name`);
    this.name = 'NodeNameInUseError';
  }
}

export type LeaseState = { held: true } | { held: false; holder: string; ttlMs: number };

/**
 * A worker's hold on its node name: a Redis key with the worker's random token and an expiry,
 * taken at start and renewed with every heartbeat (scripts/nodeLease-1.lua). Two workers started
 * with one name would remove each other's containers (each sweeps the containers labelled with
 * its name that it does not run); the lease lets only one of them run.
 */
export class NodeLease {
  readonly token = randomUUID();
  private readonly redis: LeaseRedis;

  constructor(
    private readonly store: JobStore,
    readonly nodeName: string,
    /** How long the lease lasts without a renewal. */
    readonly durationMs: number,
  ) {
    const redis = store.redis as unknown as Redis;
    defineScript(redis, 'nodeLease', 'nodeLease-1.lua');
    this.redis = redis as LeaseRedis;
  }

  /** Takes the lease if it is free, renews it if this worker holds it; else says who holds it. */
  async take(): Promise<LeaseState> {
    const reply = await this.redis.nodeLease(this.store.keys.nodeLease(this.nodeName), this.token, 'take', Math.max(1, Math.round(this.durationMs)));
    return reply[0] === 1 ? { held: true } : { held: false, holder: String(reply[1] ?? ''), ttlMs: Number(reply[2] ?? 0) };
  }

  /** Gives the name up (a clean stop): the next worker of this name starts at once. */
  async release(): Promise<void> {
    await this.redis.nodeLease(this.store.keys.nodeLease(this.nodeName), this.token, 'release', 0);
  }

  /**
   * Takes the lease at start. A holder that stopped renewing (a worker killed with SIGKILL a moment
   * ago) loses it when it expires, so this waits up to the holder's remaining lease plus `marginMs`;
   * a holder still renewing by then is alive, and this throws NodeNameInUseError.
   */
  async acquire(marginMs = 1_000): Promise<void> {
    let deadline: number | undefined;
    for (;;) {
      const state = await this.take();
      if (state.held) return;
      const ttl = state.ttlMs > 0 ? state.ttlMs : this.durationMs;
      deadline ??= Date.now() + ttl + marginMs;
      const left = deadline - Date.now();
      if (left <= 0) throw new NodeNameInUseError(this.nodeName, await this.heartbeatAgeMs());
      await new Promise((resolve) => setTimeout(resolve, Math.min(left, ttl + 20)));
    }
  }

  /** How old the node's last heartbeat is (Redis clock), if it has a readable one. */
  async heartbeatAgeMs(): Promise<number | undefined> {
    const [raw, now] = await Promise.all([this.redis.hget(this.store.keys.nodes, this.nodeName), this.store.now()]);
    const beat = heartbeatTime(raw);
    return beat === undefined ? undefined : now - beat;
  }
}
