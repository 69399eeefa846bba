import { CronExpressionParser } from 'cron-parser';
import { describe, expect, it } from 'vitest';
import { CronScheduleError, isValidTimeZone, parseCronSchedule, parseGoDuration } from './cron-schedule.js';

const ms = (iso: string) => Date.parse(iso);
const iso = (t: number | undefined) => (t === undefined ? undefined : new Date(t).toISOString().replace('.000Z', 'Z'));

function errorOf(schedule: string, timeZone?: string): string | undefined {
  try {
    parseCronSchedule(schedule, timeZone);
    return undefined;
  } catch (err) {
    expect(err).toBeInstanceOf(CronScheduleError);
    return (err as Error).message;
  }
}

describe('parseCronSchedule refuses what robfig/cron ParseStandard refuses, with its messages', () => {
  // parser_test.go TestRange / TestParseScheduleErrors / TestStandardSpecSchedule, in a 5-field spec,
  // plus what other cron dialects accept and Kubernetes does not (seconds, L, W, #, H, 7 as Sunday).
  it.each([
    ['', 'empty spec string'],
    ['* * * *', 'expected exactly 5 fields, found 4: [* * * *]'],
    ['0 * * * * *', 'expected exactly 5 fields, found 6: [0 * * * * *]'],
    ['5 j * * *', 'failed to parse int from j: strconv.Atoi: parsing "j": invalid syntax'],
    ['5--5 * * * *', 'too many hyphens: 5--5'],
    ['* * * jan-x *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['* * 2-x * *', 'failed to parse int from x: strconv.Atoi: parsing "x": invalid syntax'],
    ['*/-12 * * * *', 'negative number (-12) not allowed: -12'],
    ['*//2 * * * *', 'too many slashes: *//2'],
    ['* * 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['* 24 * * *', 'end of range (24) above maximum (23): 24'],
    ['* * 32 * *', 'end of range (32) above maximum (31): 32'],
    ['* * * 13 *', 'end of range (13) above maximum (12): 13'],
    ['* * * * 7', 'end of range (7) above maximum (6): 7'],
    ['5-3 * * * *', 'beginning of range (5) beyond end of range (3): 5-3'],
    ['*/0 * * * *', 'step of range should be a positive number: */0'],
    ['0 0 L * *', 'failed to parse int from L: strconv.Atoi: parsing "L": invalid syntax'],
    ['0 0 15W * *', 'failed to parse int from 15W: strconv.Atoi: parsing "15W": invalid syntax'],
    ['0 0 * * 1#2', 'failed to parse int from 1#2: strconv.Atoi: parsing "1#2": invalid syntax'],
    ['0 0 * * 5L', 'failed to parse int from 5L: strconv.Atoi: parsing "5L": invalid syntax'],
    ['H * * * *', 'failed to parse int from H: strconv.Atoi: parsing "H": invalid syntax'],
    ['0 0 * * MONDAY', 'failed to parse int from MONDAY: strconv.Atoi: parsing "MONDAY": invalid syntax'],
    ['99999999999999999999 * * * *', 'failed to parse int from 99999999999999999999: strconv.Atoi: parsing "99999999999999999999": value out of range'],
    ['@unrecognized', 'unrecognized descriptor: @unrecognized'],
    ['@reboot', 'unrecognized descriptor: @reboot'],
    ['@DAILY', 'unrecognized descriptor: @DAILY'],
    ['@daily ', 'unrecognized descriptor: @daily '],
    [' @daily', 'expected exactly 5 fields, found 1: [@daily]'],
    ['@every Xm', 'failed to parse duration @every Xm: time: invalid duration "Xm"'],
    ['@every 1', 'failed to parse duration @every 1: time: missing unit in duration "1"'],
    ['@every 1x', 'failed to parse duration @every 1x: time: unknown unit "x" in duration "1x"'],
    ['@every 1h 30m', 'failed to parse duration @every 1h 30m: time: unknown unit "h " in duration "1h 30m"'],
    ['@every ', 'failed to parse duration @every : time: invalid duration ""'],
    ['CRON_TZ=Foo/Bar 0 0 * * *', 'provided bad location Foo/Bar: unknown time zone Foo/Bar'],
    ['TZ=america/new_york 0 0 * * *', 'provided bad location america/new_york: unknown time zone america/new_york'],
    // robfig slices past the missing space and panics; Kubernetes recovers with this message
    ['TZ=UTC', 'failed to parse cron schedule TZ=UTC: runtime error: slice bounds out of range [:-1]'],
  ])('%j → %s', (schedule, message) => {
    expect(errorOf(schedule)).toBe(message);
  });

  it('refuses an unknown time zone argument', () => {
    expect(errorOf('0 0 * * *', 'Mars/Olympus')).toBe('unknown time zone Mars/Olympus');
    expect(errorOf('0 0 * * *', '+01:00')).toBe('unknown time zone +01:00');
  });
});

describe('parseCronSchedule accepts what robfig/cron ParseStandard accepts', () => {
  it.each([
    '* * * * ?',
    '0/15 * * * *',
    '5/15 * * * *',
    '1-10/2 * * * *',
    '1,5-7/2,3 * * * *',
    '30 08 ? Jul Sun',
    '0 0 * JAN-mar mon-FRI',
    '0 0 1,,15 * *', // empty list items are dropped
    '*-x * * * *', // robfig ignores what follows "*-"
    '+5 * * * *', // strconv.Atoi takes a sign
    '007 * * * *',
    '\t0  0\n* *   *',
    '@yearly',
    '@annually',
    '@monthly',
    '@weekly',
    '@daily',
    '@midnight',
    '@hourly',
    '@every 1h30m',
    '@every 1.5h',
    '@every 500ms',
    '@every -5s',
    'TZ=UTC 0 * * * *',
    'CRON_TZ=Asia/Tokyo  @midnight',
  ])('%j', (schedule) => {
    expect(errorOf(schedule)).toBeUndefined();
  });
});

describe('next(): robfig spec_test.go TestActivation (UTC)', () => {
  // whether the schedule fires exactly at `time`: Next(time - 1s) === time
  it.each([
    ['2012-07-09T15:00Z', '0/15 * * * *', true],
    ['2012-07-09T15:45Z', '0/15 * * * *', true],
    ['2012-07-09T15:40Z', '0/15 * * * *', false],
    ['2012-07-09T15:05Z', '5/15 * * * *', true],
    ['2012-07-09T15:20Z', '5/15 * * * *', true],
    ['2012-07-09T15:50Z', '5/15 * * * *', true],
    ['2012-07-15T15:00Z', '0/15 * * Jul *', true],
    ['2012-07-15T15:00Z', '0/15 * * Jun *', false],
    ['2012-07-15T08:30Z', '30 08 ? Jul Sun', true],
    ['2012-07-15T08:30Z', '30 08 15 Jul ?', true],
    ['2012-07-16T08:30Z', '30 08 ? Jul Sun', false],
    ['2012-07-16T08:30Z', '30 08 15 Jul ?', false],
    ['2012-07-09T15:00Z', '@hourly', true],
    ['2012-07-09T15:04Z', '@hourly', false],
    ['2012-07-09T15:00Z', '@daily', false],
    ['2012-07-09T00:00Z', '@daily', true],
    ['2012-07-09T00:00Z', '@weekly', false],
    ['2012-07-08T00:00Z', '@weekly', true],
    ['2012-07-08T01:00Z', '@weekly', false],
    ['2012-07-08T00:00Z', '@monthly', false],
    ['2012-07-01T00:00Z', '@monthly', true],
    // both day fields restricted: either matches
    ['2012-07-15T00:00Z', '* * 1,15 * Sun', true],
    ['2012-06-15T00:00Z', '* * 1,15 * Sun', true],
    ['2012-08-01T00:00Z', '* * 1,15 * Sun', true],
    ['2012-07-15T00:00Z', '* * */10 * Sun', true],
    // one of them starts with * (and has no step > 1): both must match
    ['2012-07-15T00:00Z', '* * * * Mon', false],
    ['2012-07-09T00:00Z', '* * 1,15 * *', false],
    ['2012-07-15T00:00Z', '* * 1,15 * *', true],
    ['2012-07-15T00:00Z', '* * */2 * Sun', true],
    // where cron-parser differs: 1-31 is not "*" for robfig, so Tuesday matches through the day of month
    ['2012-07-10T00:00Z', '0 0 1-31 * Mon', true],
    ['2012-07-10T00:00Z', '0 0 */1 * Mon', false],
  ])('%s %j → %s', (time, schedule, fires) => {
    const t = ms(time);
    expect(parseCronSchedule(schedule).next(t - 1000) === t).toBe(fires);
  });
});

describe('next(): robfig spec_test.go TestNext, Kubernetes time zones and daylight saving', () => {
  it.each([
    // [after, schedule, timeZone, expected]
    ['2012-07-09T14:45:00Z', '0/15 * * * *', undefined, '2012-07-09T15:00:00Z'],
    ['2012-07-09T14:59:00Z', '0/15 * * * *', undefined, '2012-07-09T15:00:00Z'],
    ['2012-07-09T14:59:59Z', '0/15 * * * *', undefined, '2012-07-09T15:00:00Z'],
    ['2012-07-09T15:45:00Z', '20-35/15 * * * *', undefined, '2012-07-09T16:20:00Z'],
    ['2012-07-09T23:46:00Z', '*/15 * * * *', undefined, '2012-07-10T00:00:00Z'],
    ['2012-07-09T23:45:00Z', '20-35/15 * * * *', undefined, '2012-07-10T00:20:00Z'],
    ['2012-07-09T23:35:51Z', '20-35/15 1/2 * * *', undefined, '2012-07-10T01:20:00Z'],
    ['2012-07-09T23:35:51Z', '20-35/15 10-12 * * *', undefined, '2012-07-10T10:20:00Z'],
    ['2012-07-09T23:35:51Z', '20-35/15 1/2 */2 * *', undefined, '2012-07-11T01:20:00Z'],
    ['2012-07-09T23:35:51Z', '20-35/15 * 9-20 * *', undefined, '2012-07-10T00:20:00Z'],
    ['2012-07-09T23:35:51Z', '20-35/15 * 9-20 Jul *', undefined, '2012-07-10T00:20:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 9 Apr-Oct ?', undefined, '2012-08-09T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 */5 Apr,Aug,Oct Mon', undefined, '2012-08-01T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 */5 Oct Mon', undefined, '2012-10-01T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 * Feb Mon', undefined, '2013-02-04T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 * Feb Mon/2', undefined, '2013-02-01T00:00:00Z'],
    ['2012-12-31T23:59:45Z', '* * * * *', undefined, '2013-01-01T00:00:00Z'],
    ['2012-07-09T23:35:00Z', '0 0 29 Feb ?', undefined, '2016-02-29T00:00:00Z'],
    // America/New_York, spring forward 2012-03-11 02:00 EST → 03:00 EDT
    ['2012-03-11T05:00:00Z', '30 2 11 Mar ?', 'America/New_York', '2013-03-11T06:30:00Z'],
    ['2012-03-11T05:00:00Z', '0 * * * ?', 'America/New_York', '2012-03-11T06:00:00Z'],
    ['2012-03-11T06:00:00Z', '0 * * * ?', 'America/New_York', '2012-03-11T07:00:00Z'],
    ['2012-03-11T07:00:00Z', '0 * * * ?', 'America/New_York', '2012-03-11T08:00:00Z'],
    ['2012-03-11T05:00:00Z', '0 1 * * ?', 'America/New_York', '2012-03-11T06:00:00Z'],
    ['2012-03-11T06:00:00Z', '0 1 * * ?', 'America/New_York', '2012-03-12T05:00:00Z'],
    ['2012-03-11T05:00:00Z', '0 2 * * ?', 'America/New_York', '2012-03-12T06:00:00Z'], // 02:00 does not exist: skipped
    // the zone from a TZ= / CRON_TZ= prefix (robfig's syntax, refused by Kubernetes validation)
    ['2012-03-11T06:00:00Z', 'TZ=America/New_York 0 * * * ?', undefined, '2012-03-11T07:00:00Z'],
    ['2012-03-11T06:00:00Z', 'CRON_TZ=America/New_York 0 * * * ?', 'Europe/Berlin', '2012-03-11T07:00:00Z'],
    // fall back 2012-11-04 02:00 EDT → 01:00 EST: 01:xx happens twice, and so runs twice
    ['2012-11-04T04:00:00Z', '30 2 04 Nov ?', 'America/New_York', '2012-11-04T07:30:00Z'],
    ['2012-11-04T05:45:00Z', '30 1 04 Nov ?', 'America/New_York', '2012-11-04T06:30:00Z'],
    ['2012-11-04T04:00:00Z', '0 * * * ?', 'America/New_York', '2012-11-04T05:00:00Z'],
    ['2012-11-04T05:00:00Z', '0 * * * ?', 'America/New_York', '2012-11-04T06:00:00Z'],
    ['2012-11-04T06:00:00Z', '0 * * * ?', 'America/New_York', '2012-11-04T07:00:00Z'],
    ['2012-11-04T04:00:00Z', '0 1 * * ?', 'America/New_York', '2012-11-04T05:00:00Z'],
    ['2012-11-04T05:00:00Z', '0 1 * * ?', 'America/New_York', '2012-11-04T06:00:00Z'],
    ['2012-11-04T06:00:00Z', '0 1 * * ?', 'America/New_York', '2012-11-05T06:00:00Z'],
    ['2012-11-04T04:00:00Z', '0 2 * * ?', 'America/New_York', '2012-11-04T07:00:00Z'],
    ['2012-11-04T07:00:00Z', '0 2 * * ?', 'America/New_York', '2012-11-05T07:00:00Z'],
    ['2012-11-04T04:00:00Z', '0 3 * * ?', 'America/New_York', '2012-11-04T08:00:00Z'],
    ['2012-11-04T08:00:00Z', '0 3 * * ?', 'America/New_York', '2012-11-05T08:00:00Z'],
    ['2012-11-04T04:00:00Z', '0 3 3 * ?', 'America/New_York', '2012-12-03T08:00:00Z'],
    // midnight that does not exist (America/Sao_Paulo, robfig/cron#157)
    ['2018-10-17T09:00:00Z', '0 9 10 * ?', 'America/Sao_Paulo', '2018-11-10T11:00:00Z'],
    ['2018-02-14T10:00:00Z', '0 9 22 * ?', 'America/Sao_Paulo', '2018-02-22T12:00:00Z'],
    // Europe/Berlin: 2024-03-31 02:00 CET → 03:00 CEST (02:30 skipped), 2024-10-27 03:00 CEST → 02:00 CET (02:30 twice)
    ['2024-03-30T12:00:00Z', '30 2 * * *', 'Europe/Berlin', '2024-04-01T00:30:00Z'],
    ['2024-10-26T12:00:00Z', '30 2 * * *', 'Europe/Berlin', '2024-10-27T00:30:00Z'],
    ['2024-10-27T00:30:00Z', '30 2 * * *', 'Europe/Berlin', '2024-10-27T01:30:00Z'],
    ['2024-10-27T01:30:00Z', '30 2 * * *', 'Europe/Berlin', '2024-10-28T01:30:00Z'],
    ['2024-03-30T23:00:00Z', '@daily', 'Europe/Berlin', '2024-03-31T22:00:00Z'],
    ['2024-01-01T00:00:00Z', '@weekly', 'Asia/Tokyo', '2024-01-06T15:00:00Z'],
    ['2024-01-01T00:00:00Z', '@yearly', 'Asia/Kolkata', '2024-12-31T18:30:00Z'],
    // @every: the delay after the whole second
    ['2024-01-01T00:00:00.700Z', '@every 1h30m', undefined, '2024-01-01T01:30:00Z'],
    ['2024-01-01T00:00:00Z', '@every 10ms', undefined, '2024-01-01T00:00:01Z'],
    ['2024-01-01T00:00:00Z', '@every 2.5s', undefined, '2024-01-01T00:00:02Z'],
  ])('after %s %j in %s → %s', (after, schedule, timeZone, expected) => {
    expect(iso(parseCronSchedule(schedule, timeZone).next(ms(after)))).toBe(expected);
  });

  it('is strictly after its argument, also from inside a second', () => {
    const s = parseCronSchedule('* * * * *');
    expect(iso(s.next(ms('2024-01-01T00:00:00Z')))).toBe('2024-01-01T00:01:00Z');
    expect(iso(s.next(ms('2024-01-01T00:00:59.999Z')))).toBe('2024-01-01T00:01:00Z');
  });
});

describe('next() is bounded', () => {
  it.each([
    ['0 0 30 2 *', undefined],
    ['0 0 31 4 *', undefined],
    ['0 0 31 2,4,6,9,11 *', 'America/New_York'],
    ['0 0 , * *', undefined], // an empty list: robfig accepts it, nothing ever matches
    ['0 , * * *', 'Europe/Berlin'],
    ['0 0 30 2 ,', undefined],
  ])('%j (%s) has no next time and says so fast', (schedule, timeZone) => {
    const s = parseCronSchedule(schedule, timeZone);
    const started = performance.now();
    expect(s.next(ms('2024-01-01T00:00:00Z'))).toBeUndefined();
    expect(performance.now() - started).toBeLessThan(5_000); // ~ms alone; an unbounded search for a date that never comes would not end
  });

  it('answers undefined, not a throw, for times it cannot represent', () => {
    for (const t of [Number.NaN, Infinity, -Infinity, 8.64e15, -8.64e15]) {
      expect(parseCronSchedule('0 0 * * *').next(t)).toBeUndefined();
      expect(() => parseCronSchedule('@every 1h').next(t)).not.toThrow();
    }
  });

  it('refuses schedules longer than a bound without parsing them', () => {
    expect(errorOf(`${'1,'.repeat(10_000)} * * * *`)).toMatch(/longer than/);
  });

  it('random strings: only CronScheduleError, never a hang', () => {
    let seed = 13;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const alphabet = ['*', '?', '/', '-', ',', ' ', ' ', ' ', '0', '1', '5', '7', '23', '31', '59', '60', 'L', 'W', '#', 'H', 'MON', 'jan', '@', '@every ', '1h', '.', 'TZ=', 'CRON_TZ=', 'UTC', 'Europe/Berlin', '\t', 'é', '\u0000', '-1', '99999999999999999999'];
    const started = performance.now();
    let parsed = 0;
    const token = () => alphabet[Math.floor(random() * alphabet.length)]!;
    const likely = ['*', '?', '0', '1', '5', '*/5', '1-5', '2-4/2', ',', '6'];
    const likelyToken = () => (random() < 0.9 ? likely[Math.floor(random() * likely.length)]! : token());
    for (let i = 0; i < 3000; i++) {
      // half free text, half five fields of 1-3 tokens each (which parses more often)
      const text =
        i % 2 === 0
          ? Array.from({ length: 1 + Math.floor(random() * 12) }, token).join('')
          : Array.from({ length: 5 }, () => Array.from({ length: 1 + Math.floor(random() * 2) }, likelyToken).join('')).join(' ');
      let s;
      try {
        s = parseCronSchedule(text, random() < 0.3 ? 'America/New_York' : undefined);
      } catch (err) {
        if (!(err instanceof CronScheduleError)) throw new Error(`${JSON.stringify(text)} threw ${String(err)}`);
        continue;
      }
      parsed++;
      const after = ms('2024-03-10T06:30:00Z');
      const next = s.next(after);
      if (next !== undefined) expect(next).toBeGreaterThan(after);
    }
    expect(parsed).toBeGreaterThan(20);
    expect(performance.now() - started).toBeLessThan(10_000);
  });
});

describe('next() agrees with cron-parser where both mean the same', () => {
  // Same schedules in UTC, restricted to the syntax both read alike: numbers, ranges, steps and
  // lists, with at most one of the day fields restricted (the DoM/DoW rule is where they differ).
  it('on random schedules', () => {
    let seed = 7;
    const random = (n: number) => Math.floor(((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * n);
    const item = (min: number, max: number): string => {
      const a = min + random(max - min + 1);
      const b = a + random(max - a + 1);
      switch (random(4)) {
        case 0:
          return String(a);
        case 1:
          return `${a}-${b}`;
        case 2:
          return `*/${1 + random(max)}`;
        default:
          return `${a}-${b}/${1 + random(5)}`;
      }
    };
    // one item per field: cron-parser refuses lists with repeated values, robfig does not
    const field = (min: number, max: number) => (random(3) === 0 ? '*' : item(min, max));
    for (let i = 0; i < 300; i++) {
      const dayField = random(2);
      const spec = [field(0, 59), field(0, 23), dayField === 0 ? field(1, 28) : '*', field(1, 12), dayField === 1 ? field(0, 6) : '*'].join(' ');
      const start = ms('2024-01-01T00:00:00Z') + random(365) * 86_400_000;
      const ours = parseCronSchedule(spec);
      const theirs = CronExpressionParser.parse(spec, { currentDate: new Date(start), tz: 'UTC' });
      let t = start;
      for (let k = 0; k < 5; k++) {
        t = ours.next(t)!;
        expect(iso(t), spec).toBe(iso(theirs.next().getTime()));
      }
    }
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['America/New_York', true],
    ['Europe/Berlin', true],
    ['Asia/Kolkata', true],
    ['Asia/Calcutta', true],
    ['US/Eastern', true],
    ['Etc/GMT+5', true],
    ['UTC', true],
    ['EST', true],
    ['america/new_york', false],
    ['AMERICA/NEW_YORK', false],
    ['utc', false],
    ['Mars/Olympus', false],
    ['', false],
    ['Local', false],
    ['+01:00', false],
    ['../etc/passwd', false],
    ['America/New_York ', false],
  ])('%j → %s', (name, valid) => {
    expect(isValidTimeZone(name)).toBe(valid);
  });
});

describe('parseGoDuration (time.ParseDuration)', () => {
  it.each([
    ['0', 0n],
    ['1h30m', 5_400_000_000_000n],
    ['1.5h', 5_400_000_000_000n],
    ['300ms', 300_000_000n],
    ['-1.5h', -5_400_000_000_000n],
    ['1µs', 1000n],
    ['1μs', 1000n],
    ['.5s', 500_000_000n],
    ['2h45m30.5s', 9_930_500_000_000n],
  ])('%j', (text, ns) => {
    expect(parseGoDuration(text)).toBe(ns);
  });

  it.each([
    ['', 'time: invalid duration ""'],
    ['.', 'time: invalid duration "."'],
    ['1', 'time: missing unit in duration "1"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['9999999999999999999h', 'time: invalid duration "9999999999999999999h"'],
  ])('%j → %s', (text, message) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });
});
