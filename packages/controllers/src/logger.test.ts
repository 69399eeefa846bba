import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { clip, createLogger, defaultLogFormat, MAX_LOGGED_STRING, redactUrlPassword, type LoggerSettings } from './logger.js';

/** A logger writing into a buffer, and what it wrote so far as lines. */
function capture(settings: LoggerSettings) {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const logger = createLogger({ ...settings, destination: out });
  return { logger, lines: () => text.split('\n').filter((l) => l !== '') };
}

describe('createLogger', () => {
  it('writes one JSON object a line with level, time, msg and the fields given', () => {
    const { logger, lines } = capture({ format: 'json' });
    logger.info({ job: 'default/pi', count: 3 }, 'pods created');
    const [line] = lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(line).toMatchObject({ level: 30, msg: 'pods created', job: 'default/pi', count: 3 });
    expect(typeof line?.time).toBe('number');
  });

  it('writes what its level lets through, no more', () => {
    const { logger, lines } = capture({ format: 'json', level: 'warn' });
    logger.debug('d');
    logger.info('i');
    logger.warn('w');
    logger.error('e');
    expect(lines().map((l) => (JSON.parse(l) as { msg: string }).msg)).toEqual(['w', 'e']);
    const silent = capture({ format: 'json', level: 'silent' });
    silent.logger.error('e');
    expect(silent.lines()).toEqual([]);
    const info = capture({ format: 'json' }); // the default is info
    info.logger.debug('d');
    info.logger.info('i');
    expect(info.lines()).toHaveLength(1);
  });

  it('never writes passwords, tokens or Authorization headers', () => {
    for (const format of ['json', 'text'] as const) {
      const { logger, lines } = capture({ format });
      logger.warn({ redisConnection: { password: 's3cret-p' }, token: 's3cret-t', req: { headers: { authorization: 'Bearer s3cret-h', cookie: 's3cret-c' } }, options: { sentinelPassword: 's3cret-s' } }, 'x');
      const all = lines().join('\n');
      expect(all).not.toMatch(/s3cret/);
      expect(all).toContain('[REDACTED]');
    }
  });

  it('writes text lines with the level and message, hostile control characters escaped', () => {
    const { logger, lines } = capture({ format: 'text', colorize: false });
    logger.warn({ pod: 'evil\n\u001b[2J' }, 'image missing\nINFO: forged line \u001b[31m');
    const out = lines();
    expect(out).toHaveLength(1); // the newline in the message did not start a line
    expect(out[0]).toContain('WARN');
    expect(out[0]).toContain('image missing\\u000aINFO: forged line \\u001b[31m');
    expect(out[0]).not.toContain('\u001b');
    expect(out[0]).toContain('"pod":"evil\\n\\u001b[2J"');
  });
});

describe('helpers', () => {
  it('clips long strings from outside', () => {
    const long = 'x'.repeat(MAX_LOGGED_STRING * 3);
    expect(clip(long).length).toBeLessThan(MAX_LOGGED_STRING + 40);
    expect(clip('short')).toBe('short');
    expect(clip(new Error('boom'))).toBe('boom');
  });

  it('hides the password of a URL, keeps the rest', () => {
    expect(redactUrlPassword('redis://app:pa:ss@10.0.0.1:6379/0')).toBe('redis://app:***@10.0.0.1:6379/0');
    expect(redactUrlPassword('redis+sentinel://:pw@h1:26379,h2/mymaster')).toBe('redis+sentinel://:***@h1:26379,h2/mymaster');
    expect(redactUrlPassword('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
  });

  it('picks text for a terminal and json otherwise', () => {
    expect(defaultLogFormat({ isTTY: true })).toBe('text');
    expect(defaultLogFormat({ isTTY: false })).toBe('json');
    expect(defaultLogFormat({})).toBe('json');
  });
});
