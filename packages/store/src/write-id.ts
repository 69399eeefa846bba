import { randomBytes } from 'node:crypto';

/** Random bytes drawn a block at a time: one randomBytes call (~6 µs here) per 1,024 ids, not one each (~0.5 µs an id). */
const BLOCK_IDS = 1024;
const ID_BYTES = 6;
let pool = Buffer.alloc(0);
let at = 0;

/**
 * A transition call's id, stored beside what it writes (hash field w, or lw for a log append):
 * ioredis sends a command again when the connection died before its reply (a failover, a cut), and
 * the script, finding its own id on the object, answers as the first run did instead of meeting its
 * own write as a conflict (or appending twice). It is compared only with the last write of one
 * object, so 48 random bits are plenty (8 bytes stored).
 */
export function newWriteId(): string {
  if (at + ID_BYTES > pool.length) {
    pool = randomBytes(ID_BYTES * BLOCK_IDS);
    at = 0;
  }
  const id = pool.toString('base64url', at, at + ID_BYTES);
  at += ID_BYTES;
  return id;
}
