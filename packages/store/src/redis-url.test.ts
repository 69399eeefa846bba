import { describe, expect, it } from 'vitest';
import { parseRedisUrl, redactRedisUrl, RedisUrlError, redisUrlOptions } from './redis-url.js';

describe('parseRedisUrl: the forms every role accepts', () => {
  it.each([
    { url: 'redis://127.0.0.1:6379', want: { kind: 'single', hosts: ['127.0.0.1'], protocol: 'redis:' } },
    { url: 'rediss://alice:s%40cret@redis.example:6380/2', want: { kind: 'single', hosts: ['redis.example'], protocol: 'rediss:', username: 'alice', password: 's@cret' } },
    { url: 'redis+sentinel://10.0.0.1:26379/mymaster', want: { kind: 'sentinel', sentinels: [{ host: '10.0.0.1', port: 26379 }], name: 'mymaster', hosts: ['10.0.0.1'] } },
    {
      url: 'redis+sentinel://:pw@s1:26380,s2,[::1]:26381/jobs',
      want: { kind: 'sentinel', sentinels: [{ host: 's1', port: 26380 }, { host: 's2', port: 26379 }, { host: '::1', port: 26381 }], name: 'jobs', password: 'pw', hosts: ['s1', 's2', '::1'] },
    },
    { url: 'REDIS+SENTINEL://alice:p%3Aw@s1:1/m', want: { kind: 'sentinel', username: 'alice', password: 'p:w', name: 'm' } },
    { url: 'redis+sentinel://alice@s1:1/m/', want: { kind: 'sentinel', username: 'alice', name: 'm' } },
  ])('$url', ({ url, want }) => {
    const target = parseRedisUrl(url);
    expect(target).toMatchObject(want);
    if (!('password' in want)) expect(target.password).toBeUndefined();
  });
});

describe('parseRedisUrl: a bad URL is one line naming what is wrong and what to write, without the password', () => {
  it.each([
    { url: 'http://:s3cret@h:1', says: /must be a redis:\/\/ or rediss:\/\/ URL .*redis\+sentinel:\/\//, got: 'http://:***@h:1' },
    { url: 'localhost:6379', says: /must be a redis:\/\/ or rediss:\/\/ URL/, got: '' },
    { url: 'redis+sentinel://:s3cret@s1:26379', says: /must end with the master's name/, got: 'redis+sentinel://:***@s1:26379' },
    { url: 'redis+sentinel://:s3cret@s1:26379/', says: /must end with the master's name/, got: '' },
    { url: 'redis+sentinel://:s3cret@s1:x/m', says: /"s1:x" is not one/, got: 'redis+sentinel://:***@s1:x/m' },
    { url: 'redis+sentinel://s1:26379,,s2/m', says: /"" is not one/, got: '' },
    { url: 'redis+sentinel://s1:70000/m', says: /"s1:70000" is not one/, got: '' },
    { url: 'redis+sentinel://s1/m/0', says: /no path after the master name/, got: '' },
    { url: 'redis+sentinel://s1/m?db=1', says: /no query/, got: '' },
    { url: 'rediss+sentinel://:s3cret@s1/m', says: /not supported yet; use redis\+sentinel:\/\//, got: 'rediss+sentinel://:***@s1/m' },
  ])('$url', ({ url, says, got }) => {
    let error: unknown;
    try {
      parseRedisUrl(url);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RedisUrlError);
    const message = (error as Error).message;
    expect(message).toMatch(says);
    expect(message).not.toContain('\n');
    expect(message).not.toContain('s3cret');
    if (got) expect(message).toContain(got);
  });
});

describe('redisUrlOptions: what ioredis is given', () => {
  it('passes a single Redis URL to ioredis as it is', () => {
    expect(redisUrlOptions(parseRedisUrl('redis://:pw@h:1/2'), { password: 'other' })).toEqual({ url: 'redis://:pw@h:1/2', options: {} });
  });

  it('names the sentinels and the master; the URL credentials win, and the sentinels get the password unless they have their own', () => {
    const { url, options } = redisUrlOptions(parseRedisUrl('redis+sentinel://alice:pw@s1:1,s2:2/m'), { username: 'bob', password: 'other' });
    expect(url).toBeUndefined();
    expect(options).toMatchObject({ sentinels: [{ host: 's1', port: 1 }, { host: 's2', port: 2 }], name: 'm', username: 'alice', password: 'pw', sentinelPassword: 'pw' });
    expect(options).not.toHaveProperty('sentinelUsername');
    expect(redisUrlOptions(parseRedisUrl('redis+sentinel://s1/m'), { password: 'env', sentinelPassword: 'sent' }).options).toMatchObject({ password: 'env', sentinelPassword: 'sent' });
    expect(redisUrlOptions(parseRedisUrl('redis+sentinel://s1/m')).options).not.toHaveProperty('password');
  });
});

describe('redactRedisUrl', () => {
  it.each([
    ['redis://:s3cret@10.0.0.5:6379', 'redis://:***@10.0.0.5:6379'],
    ['redis+sentinel://alice:s3cret@s1:1,s2:2/m', 'redis+sentinel://alice:***@s1:1,s2:2/m'],
    ['redis+sentinel://s1:1,s2:2/m', 'redis+sentinel://s1:1,s2:2/m'],
    ['not a url s3cret', '(an unparsable URL)'],
  ])('%s', (url, want) => {
    expect(redactRedisUrl(url)).toBe(want);
  });
});
