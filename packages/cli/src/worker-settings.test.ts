import { describe, expect, it } from 'vitest';
import { workerSettingsFromEnv } from './settings.js';

describe('workerSettingsFromEnv', () => {
  it('reads the worker variables the worker library no longer reads itself, leaving unset ones to its defaults', () => {
    expect(workerSettingsFromEnv({})).toEqual({});
    expect(
      workerSettingsFromEnv({
        JOBFLEET_PAUSE_IMAGE: 'pause:1',
        JOBFLEET_PULL_TIMEOUT_MS: '5000',
        JOBFLEET_POD_LOG_MAX_BYTES: '8192',
        JOBFLEET_JOB_LOG_MAX_BYTES: '0',
        JOBFLEET_HEARTBEAT_MS: '500',
        JOBFLEET_DRAIN_TIMEOUT_MS: '2000',
        JOBFLEET_DOCKER_TIMEOUT_MS: '1000',
        JOBFLEET_DOCKER_OUTAGE_MS: '3000',
        JOBFLEET_EVENT_QPS: '5',
        JOBFLEET_EVENT_BURST: '10',
        JOBFLEET_NODE_IP: '10.0.0.7',
      }),
    ).toEqual({ pauseImage: 'pause:1', pullTimeoutMs: 5000, podLogMaxBytes: 8192, jobLogMaxBytes: 0, heartbeatMs: 500, drainTimeoutMs: 2000, dockerTimeoutMs: 1000, dockerOutageMs: 3000, eventQps: 5, eventBurst: 10, nodeIP: '10.0.0.7' });
  });

  it('stops at a value that is not a number ≥ 0, naming the variable', () => {
    expect(() => workerSettingsFromEnv({ JOBFLEET_HEARTBEAT_MS: 'soon' })).toThrow('JOBFLEET_HEARTBEAT_MS must be a number ≥ 0, got "soon"');
    expect(() => workerSettingsFromEnv({ JOBFLEET_EVENT_QPS: '-1' })).toThrow(/JOBFLEET_EVENT_QPS/);
  });
});
