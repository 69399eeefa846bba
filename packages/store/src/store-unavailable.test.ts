import { describe, expect, it } from 'vitest';
import { isStoreUnavailable, isUnreadableRecord } from './store.js';

describe('isStoreUnavailable: the errors a role waits out (the API answers 503, the others try again)', () => {
  it.each([
    ['connect ECONNREFUSED 127.0.0.1:6379', true],
    ['read ECONNRESET', true],
    ['Connection is closed.', true],
    ["Stream isn't writeable and enableOfflineQueue options is false", true],
    ['Reached the max retries per request limit (which is 1). Refer to "maxRetriesPerRequest" option for details.', true],
    ['LOADING Redis is loading the dataset in memory', true],
    ["READONLY You can't write against a read only replica.", true],
    ['UNBLOCKED force unblock from blocking operation, instance state changed (master -> replica?)', true],
    ['NOREPLICAS the connection to Redis was re-established (a failover?) before the write was confirmed on a replica: it may be lost', true],
    ['All sentinels are unreachable. Retrying from scratch after 10ms.', true],
    ['MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to \'no\'.', true],
    // What trying again cannot mend: a full Redis (its own 503), a script's refusal, a torn record, a bug.
    ['OOM command not allowed when used memory > \'maxmemory\'.', false],
    ['ERR Error running script (call to f_…): @user_script:12: user_script:12: bad argument', false],
    ['WRONGTYPE Operation against a key holding the wrong kind of value', false],
    ['Unexpected token } in JSON at position 12', false],
    ['the value NOREPLICAS in a message is not one', false],
  ])('%s: %s', (message, unavailable) => {
    expect(isStoreUnavailable(new Error(message))).toBe(unavailable);
  });

  it('is never true of a record that cannot be read, nor of what is not an Error', () => {
    const torn = new SyntaxError('Unexpected end of JSON input');
    expect(isUnreadableRecord(torn)).toBe(true);
    expect(isStoreUnavailable(torn)).toBe(false);
    expect(isStoreUnavailable('Connection is closed.')).toBe(false);
    expect(isStoreUnavailable(undefined)).toBe(false);
  });
});
