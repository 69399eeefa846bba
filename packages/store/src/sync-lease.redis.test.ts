/** JobSyncLease (takeSyncLease-2.lua, releaseSyncLease-2.lua) against a real redis-server. */
import { expect, it } from 'vitest';
import { JobSyncLease } from './transitions.js';
import { scratchStore } from './test-store.js';

const scratch = scratchStore();

it('one holder at a time; taking forgets earlier requests to sync again, releasing reports later ones', async () => {
  const store = scratch.newStore();
  const a = new JobSyncLease(store, 'default', 'j');
  const b = new JobSyncLease(store, 'default', 'j');
  await b.askAgain(60_000); // asked before anyone took the lease: the next sync sees it anyway
  expect(await a.take('ta', 60_000)).toBe(true);
  expect(await b.take('tb', 60_000)).toBe(false);
  expect(await a.heldForMs()).toBeGreaterThan(50_000);
  expect(await a.heldForMs()).toBeLessThanOrEqual(60_000);
  expect(await a.release('ta')).toBe(false); // the request before the take was forgotten
  expect(await a.heldForMs()).toBe(0);

  expect(await a.take('ta', 60_000)).toBe(true);
  await b.askAgain(60_000); // asked while a syncs
  expect(await a.release('ta')).toBe(true);
});

it('a holder whose lease expired does not release the next holder', async () => {
  const store = scratch.newStore();
  const slow = new JobSyncLease(store, 'default', 'k');
  const next = new JobSyncLease(store, 'default', 'k');
  expect(await slow.take('slow', 50)).toBe(true);
  await new Promise((r) => setTimeout(r, 120));
  expect(await next.take('next', 60_000)).toBe(true);
  await slow.release('slow');
  expect(await next.heldForMs()).toBeGreaterThan(0);
});
