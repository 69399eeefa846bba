import { describe, expect, it } from 'vitest';
import { k8sTime, parseTime } from './time.js';

describe('k8sTime', () => {
  it('formats whole seconds in UTC as metav1.Time does, whatever second came before (it keeps the last one)', () => {
    const t = Date.UTC(2024, 5, 1, 8, 30, 15);
    expect(k8sTime(t)).toBe('2024-06-01T08:30:15Z');
    expect(k8sTime(t + 999)).toBe('2024-06-01T08:30:15Z');
    expect(k8sTime(t + 1_000)).toBe('2024-06-01T08:30:16Z');
    expect(k8sTime(t - 1)).toBe('2024-06-01T08:30:14Z');
    expect(k8sTime(t)).toBe('2024-06-01T08:30:15Z');
    expect(k8sTime(0)).toBe('1970-01-01T00:00:00Z');
    expect(() => k8sTime(Number.NaN)).toThrow(RangeError);
    expect(parseTime(k8sTime(t + 500))).toBe(t);
  });
});
