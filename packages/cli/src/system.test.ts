import { describe, expect, it } from 'vitest';
import { ShutdownStack } from './system.js';

describe('ShutdownStack: last started, first closed; every step bounded', () => {
  it('closes in reverse order, and a failing close does not stop the others', async () => {
    const closed: string[] = [];
    const stack = new ShutdownStack();
    stack.push('redis', async () => void closed.push('redis'));
    stack.push('worker', async () => {
      closed.push('worker');
      throw new Error('docker is gone');
    });
    stack.push('api', async () => void closed.push('api'));
    const errors = await stack.closeAll();
    expect(closed).toEqual(['api', 'worker', 'redis']);
    expect(errors.map((e) => e.message)).toEqual(['closing the worker: docker is gone']);
    expect(stack.isEmpty()).toBe(true);
  });

  it('a step that never finishes is given up after its bound, and the next one still runs', async () => {
    const closed: string[] = [];
    const stack = new ShutdownStack();
    stack.push('embedded Redis', async () => void closed.push('redis'));
    stack.push('worker', () => new Promise<void>(() => undefined), 50);
    const started = Date.now();
    const errors = await stack.closeAll();
    const tookMs = Date.now() - started;
    console.log(`a stuck step of 50 ms bound: the shutdown took ${tookMs} ms`);
    expect(closed).toEqual(['redis']);
    expect(errors.map((e) => e.message)).toEqual(['closing the worker: it did not stop within 0.05 s; going on without it']);
    expect(tookMs).toBeLessThan(5_000);
  });
});
