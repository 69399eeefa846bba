/**
 * CronJob schedules, parsed and stepped exactly as Kubernetes does it: `cron.ParseStandard` and
 * `SpecSchedule.Next` / `ConstantDelaySchedule.Next` of github.com/robfig/cron v3.0.1 (the version
 * Kubernetes vendors), ported line by line.
 *
 * Why a port and not a cron library: the well-kept JS libraries were checked against robfig's and
 * Kubernetes' cases (cron-parser 5 and croner 9/10), and each accepts what Kubernetes refuses and
 * schedules differently where CronJob users notice:
 * - they accept 6 fields (seconds), `L`, `W`, `#` (cron-parser also `H`), `7` as Sunday and
 *   `@reboot`-like or lower/upper-case macro variants; robfig refuses all of them (dow is 0-6);
 * - they decide "is the day field restricted?" by the value (cron-parser: a field that covers the
 *   whole range, e.g. `1-31`, counts as `*`), robfig by the text: a field starting with `*` or `?`
 *   without a step > 1 is "unrestricted", so `0 0 1-31 * MON` runs every day in Kubernetes (OR)
 *   but only on Mondays in cron-parser (AND);
 * - daylight saving: robfig steps hours in absolute time, so a wall-clock time that does not exist
 *   (02:30 on a spring-forward day in America/New_York) is skipped that day, and one that occurs
 *   twice (01:30 on the fall-back day) runs twice; the libraries run the skipped one at 03:00 or
 *   the repeated one once;
 * - `@every <Go duration>` (e.g. `@every 1h30m`) does not exist in them.
 * Only the time-zone arithmetic is taken from a library: the platform's ICU tz database through
 * `Intl.DateTimeFormat` (the same IANA data Go's time.LoadLocation reads). cron-parser is kept as a
 * dev dependency: the tests compare both on random schedules where the two agree by design.
 *
 * Bounded: parsing is linear in the input; `next` returns undefined (robfig: the zero time) when
 * nothing matches within five years, and a field that matches nothing is recognized up front, so a
 * call does at most a few thousand steps.
 */

/** A parsed schedule. */
export interface CronSchedule {
  /** The first schedule time strictly after `afterMs` (epoch ms), in the schedule's time zone; undefined if none. */
  next(afterMs: number): number | undefined;
}

/** A schedule or time zone robfig/cron refuses; the message is robfig's. */
export class CronScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CronScheduleError';
  }
}

/** unicode.IsSpace, which strings.Fields splits on. */
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const GO_TRIM = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Longest schedule parsed: robfig has no limit, but nothing sensible is longer and parsing stays cheap. */
export const MAX_SCHEDULE_LENGTH = 1024;

/**
 * Parses as robfig/cron's ParseStandard (5 fields, names, ranges, steps, `?`, @yearly/@annually/@monthly/@weekly/
 * @daily/@midnight/@hourly, @every <duration>, and robfig's own `TZ=`/`CRON_TZ=` prefix). Throws CronScheduleError
 * (message like robfig's) when invalid. timeZone: IANA name (undefined, '' or 'UTC' = UTC; a `TZ=` prefix wins);
 * throws CronScheduleError for an unknown one.
 */
export function parseCronSchedule(schedule: string, timeZone?: string): CronSchedule {
  if (typeof schedule !== 'string') throw new CronScheduleError('empty spec string');
  if (schedule.length > MAX_SCHEDULE_LENGTH) throw new CronScheduleError(`spec string longer than ${MAX_SCHEDULE_LENGTH} characters`);
  let zone = zoneOf(timeZone, (err) => err);
  if (schedule.length === 0) throw new CronScheduleError('empty spec string');
  let spec = schedule;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const i = spec.indexOf(' ');
    if (i < 0) {
      // robfig slices spec[eq+1:-1] and panics; Kubernetes' ParseCronScheduleWithPanicRecovery reports the panic.
      throw new CronScheduleError(`failed to parse cron schedule ${schedule}: runtime error: slice bounds out of range [:-1]`);
    }
    const name = spec.slice(spec.indexOf('=') + 1, i);
    zone = zoneOf(name, (err) => `provided bad location ${name}: ${err}`);
    spec = spec.slice(i).replace(GO_TRIM, '');
  }
  if (spec.startsWith('@')) return parseDescriptor(spec, zone);
  const fields = spec.split(GO_SPACE).filter((f) => f !== '');
  if (fields.length !== 5) throw new CronScheduleError(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return new SpecSchedule(
    getField(fields[0]!, MINUTES),
    getField(fields[1]!, HOURS),
    getField(fields[2]!, DOM),
    getField(fields[3]!, MONTHS),
    getField(fields[4]!, DOW),
    zone,
  );
}

/**
 * Whether Go's time.LoadLocation finds this IANA time zone (case-sensitive, as the tz database's
 * file names). False for '' and 'Local' (they load, but name no explicit zone).
 */
export function isValidTimeZone(name: string): boolean {
  if (typeof name !== 'string' || name === '' || name === 'Local') return false;
  return loadZone(name) !== undefined;
}

// ---------------------------------------------------------------------------------------------
// Fields (parser.go getField/getRange)

interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}

const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = {
  min: 1,
  max: 12,
  names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 },
};
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

/** A field's values as bits (bit i = value i), plus robfig's starBit: the field was `*` or `?` (no step > 1). */
interface FieldBits {
  bits: bigint;
  star: boolean;
}

function getField(field: string, r: Bounds): FieldBits {
  const out: FieldBits = { bits: 0n, star: false };
  for (const expr of field.split(',')) {
    if (expr === '') continue; // strings.FieldsFunc drops empty ranges
    const { bits, star } = getRange(expr, r);
    out.bits |= bits;
    out.star ||= star;
  }
  return out;
}

function getRange(expr: string, r: Bounds): FieldBits {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0]!.split('-');
  const singleDigit = lowAndHigh.length === 1;
  let start: bigint;
  let end: bigint;
  let step: bigint;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    // robfig ignores whatever follows a `-` here ("*-x" is "*")
    start = BigInt(r.min);
    end = BigInt(r.max);
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0]!, r.names);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1]!, r.names);
    else throw new CronScheduleError(`too many hyphens: ${expr}`);
  }
  if (rangeAndStep.length === 1) step = 1n;
  else if (rangeAndStep.length === 2) {
    step = mustParseInt(rangeAndStep[1]!);
    // "N/step" means "N-max/step"
    if (singleDigit) end = BigInt(r.max);
    if (step > 1n) star = false;
  } else throw new CronScheduleError(`too many slashes: ${expr}`);
  if (start < BigInt(r.min)) throw new CronScheduleError(`beginning of range (${start}) below minimum (${r.min}): ${expr}`);
  if (end > BigInt(r.max)) throw new CronScheduleError(`end of range (${end}) above maximum (${r.max}): ${expr}`);
  if (start > end) throw new CronScheduleError(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0n) throw new CronScheduleError(`step of range should be a positive number: ${expr}`);
  let bits = 0n;
  for (let i = start; i <= end; i += step) bits |= 1n << i;
  return { bits, star };
}

function parseIntOrName(expr: string, names: Bounds['names']): bigint {
  const named = names?.[expr.toLowerCase()];
  if (named !== undefined && Object.hasOwn(names!, expr.toLowerCase())) return BigInt(named);
  return mustParseInt(expr);
}

const INT64_MAX = (1n << 63n) - 1n;

/** strconv.Atoi, then robfig's refusal of negative numbers. */
function mustParseInt(expr: string): bigint {
  if (!/^[+-]?[0-9]+$/.test(expr)) {
    throw new CronScheduleError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: invalid syntax`);
  }
  const num = BigInt(expr);
  if (num > INT64_MAX || num < -INT64_MAX - 1n) {
    throw new CronScheduleError(`failed to parse int from ${expr}: strconv.Atoi: parsing ${goQuote(expr)}: value out of range`);
  }
  if (num < 0n) throw new CronScheduleError(`negative number (${num}) not allowed: ${expr}`);
  return num;
}

/** strconv.Quote, enough for error messages. */
function goQuote(s: string): string {
  const escapes: Record<string, string> = { '\u0007': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\' };
  let out = '"';
  for (const ch of s) {
    const code = ch.codePointAt(0)!;
    if (escapes[ch] !== undefined) out += escapes[ch];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code >= 0x80 && code < 0xa0) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

// ---------------------------------------------------------------------------------------------
// Descriptors (parser.go parseDescriptor)

const ALL_DOM: FieldBits = { bits: bitsOf(1, 31), star: true };
const ALL_MONTHS: FieldBits = { bits: bitsOf(1, 12), star: true };
const ALL_DOW: FieldBits = { bits: bitsOf(0, 6), star: true };
const ALL_HOURS: FieldBits = { bits: bitsOf(0, 23), star: true };
const ONE = (v: number): FieldBits => ({ bits: 1n << BigInt(v), star: false });

function bitsOf(min: number, max: number): bigint {
  let bits = 0n;
  for (let i = min; i <= max; i++) bits |= 1n << BigInt(i);
  return bits;
}

function parseDescriptor(descriptor: string, zone: Zone): CronSchedule {
  switch (descriptor) {
    case '@yearly':
    case '@annually':
      return new SpecSchedule(ONE(0), ONE(0), ONE(1), ONE(1), ALL_DOW, zone);
    case '@monthly':
      return new SpecSchedule(ONE(0), ONE(0), ONE(1), ALL_MONTHS, ALL_DOW, zone);
    case '@weekly':
      return new SpecSchedule(ONE(0), ONE(0), ALL_DOM, ALL_MONTHS, ONE(0), zone);
    case '@daily':
    case '@midnight':
      return new SpecSchedule(ONE(0), ONE(0), ALL_DOM, ALL_MONTHS, ALL_DOW, zone);
    case '@hourly':
      return new SpecSchedule(ONE(0), ALL_HOURS, ALL_DOM, ALL_MONTHS, ALL_DOW, zone);
  }
  const every = '@every ';
  if (descriptor.startsWith(every)) {
    let ns: bigint;
    try {
      ns = parseGoDuration(descriptor.slice(every.length));
    } catch (err) {
      throw new CronScheduleError(`failed to parse duration ${descriptor}: ${(err as Error).message}`);
    }
    // Every(): at least a second, whole seconds
    const second = 1_000_000_000n;
    const delay = ns < second ? second : ns - (ns % second);
    return new ConstantDelaySchedule(Number(delay / 1_000_000n));
  }
  throw new CronScheduleError(`unrecognized descriptor: ${descriptor}`);
}

const UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5
  'μs': 1_000n, // U+03BC
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Go's time.ParseDuration, in nanoseconds: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, or "0". Throws Go's message. */
export function parseGoDuration(orig: string): bigint {
  const invalid = (): Error => new Error(`time: invalid duration ${goQuote(orig)}`);
  let s = orig;
  let neg = false;
  if (s !== '' && (s[0] === '-' || s[0] === '+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') throw invalid();
  const limit = 1n << 63n;
  let d = 0n;
  while (s !== '') {
    if (!/^[0-9.]/.test(s)) throw invalid();
    const intPart = /^[0-9]*/.exec(s)![0];
    s = s.slice(intPart.length);
    const v0 = intPart === '' ? 0n : BigInt(intPart);
    if (v0 > limit) throw invalid(); // leadingInt overflow
    let frac = '';
    let post = false;
    if (s.startsWith('.')) {
      s = s.slice(1);
      frac = /^[0-9]*/.exec(s)![0];
      s = s.slice(frac.length);
      post = frac !== '';
    }
    if (intPart === '' && !post) throw invalid();
    const unitText = /^[^0-9.]*/.exec(s)![0];
    if (unitText === '') throw new Error(`time: missing unit in duration ${goQuote(orig)}`);
    s = s.slice(unitText.length);
    const unit = UNITS[unitText];
    if (unit === undefined) throw new Error(`time: unknown unit ${goQuote(unitText)} in duration ${goQuote(orig)}`);
    if (v0 > limit / unit) throw invalid();
    let v = v0 * unit;
    if (frac !== '') {
      // leadingFraction keeps at most the digits that fit; float math as Go's
      const digits = frac.slice(0, 18);
      v += BigInt(Math.trunc(Number(digits) * (Number(unit) / 10 ** digits.length)));
      if (v > limit) throw invalid();
    }
    d += v;
    if (d > limit) throw invalid();
  }
  if (neg) return -d;
  if (d > limit - 1n) throw invalid();
  return d;
}

// ---------------------------------------------------------------------------------------------
// Time zones

/** A loaded zone: its offset (ms to add to UTC) at an instant. */
interface Zone {
  offset(utcMs: number): number;
}

const UTC_ZONE: Zone = { offset: () => 0 };
const zones = new Map<string, Zone | null>();
const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

function zoneOf(name: string | undefined, message: (err: string) => string): Zone {
  if (name === undefined || name === '' || name === 'UTC' || name === 'Local') return UTC_ZONE;
  const zone = loadZone(name);
  if (zone === undefined) throw new CronScheduleError(message(`unknown time zone ${name}`));
  return zone;
}

/** time.LoadLocation from the platform's tz database, or undefined for a name it would not find. */
function loadZone(name: string): Zone | undefined {
  if (name === 'UTC') return UTC_ZONE;
  const cached = zones.get(name);
  if (cached !== undefined) return cached ?? undefined;
  let zone: Zone | null = null;
  // tz database file names only (Intl would also take offsets such as "+01:00" in newer engines)
  if (name.length <= 255 && name.split('/').every((p) => TZ_PART.test(p) && p !== '.' && p !== '..' && !p.startsWith('-'))) {
    try {
      const format = new Intl.DateTimeFormat('en-US', {
        timeZone: name,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
      const resolved = format.resolvedOptions().timeZone;
      // Intl matches names case-insensitively; the tz database (a directory of files) does not.
      if (sameCase(name, resolved)) zone = intlZone(format);
    } catch {
      zone = null;
    }
  }
  if (zones.size > 1000) zones.clear(); // names come from users: keep the cache bounded
  zones.set(name, zone);
  return zone ?? undefined;
}

/** Whether `name` is spelled as the tz database spells it: exact, or an alias (resolves elsewhere) in tz-like case. */
function sameCase(name: string, resolved: string): boolean {
  if (name === resolved) return true;
  if (name.toLowerCase() === resolved.toLowerCase()) return false;
  if (canonicalNames().has(name.toLowerCase())) return canonicalNames().get(name.toLowerCase()) === name;
  return name.split('/').every((part) => /^[A-Z]/.test(part));
}

let canonical: Map<string, string> | undefined;
function canonicalNames(): Map<string, string> {
  canonical ??= new Map(Intl.supportedValuesOf('timeZone').map((n) => [n.toLowerCase(), n]));
  return canonical;
}

function intlZone(format: Intl.DateTimeFormat): Zone {
  return {
    offset(utcMs: number): number {
      const whole = Math.floor(utcMs / 1000) * 1000;
      const parts: Record<string, string> = {};
      for (const p of format.formatToParts(whole)) parts[p.type] = p.value;
      let year = Number(parts.year);
      if (parts.era === 'BC' || parts.era === 'B') year = 1 - year;
      const local = civilToMs(year, Number(parts.month), Number(parts.day), Number(parts.hour) % 24, Number(parts.minute), Number(parts.second));
      return local - whole;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Go's time.Time in a location, as much as SpecSchedule.Next uses

/** Wall-clock milliseconds of a civil time, as if it were UTC; out-of-range fields carry over like Go's time.Date. */
function civilToMs(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute, second, 0);
  return d.getTime();
}

interface Civil {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  weekday: number;
}

function civil(ms: number, zone: Zone): Civil {
  const d = new Date(ms + zone.offset(ms));
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    weekday: d.getUTCDay(),
  };
}

/**
 * Go's time.Date: the wall-clock time normalized, then the offset in force there. For a time that
 * does not exist or exists twice Go takes the offset in force at the wall-clock reading taken as
 * UTC, unless that offset puts the result outside its own period; reproduced so the rare midnight
 * transitions step like Kubernetes.
 */
function goDate(year: number, month: number, day: number, hour: number, minute: number, second: number, zone: Zone): number {
  const unix = civilToMs(year, month, day, hour, minute, second);
  let offset = zone.offset(unix);
  const utc = unix - offset;
  const there = zone.offset(utc);
  if (there !== offset) offset = there;
  return unix - offset;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

class SpecSchedule implements CronSchedule {
  constructor(
    private readonly minute: FieldBits,
    private readonly hour: FieldBits,
    private readonly dom: FieldBits,
    private readonly month: FieldBits,
    private readonly dow: FieldBits,
    private readonly zone: Zone,
  ) {}

  /** Whether no time can ever match: robfig would search five years and return the zero time. */
  private neverMatches(): boolean {
    if (this.minute.bits === 0n || this.hour.bits === 0n || this.month.bits === 0n) return true;
    if (this.dom.star || this.dow.star) return this.dom.bits === 0n || this.dow.bits === 0n;
    return this.dom.bits === 0n && this.dow.bits === 0n;
  }

  private dayMatches(c: Civil): boolean {
    const domMatch = ((this.dom.bits >> BigInt(c.day)) & 1n) === 1n;
    const dowMatch = ((this.dow.bits >> BigInt(c.weekday)) & 1n) === 1n;
    if (this.dom.star || this.dow.star) return domMatch && dowMatch;
    return domMatch || dowMatch;
  }

  next(afterMs: number): number | undefined {
    if (!Number.isFinite(afterMs) || Math.abs(afterMs) > 8e15 || this.neverMatches()) return undefined;
    const has = (f: FieldBits, v: number): boolean => ((f.bits >> BigInt(v)) & 1n) === 1n;
    const zone = this.zone;
    // Start at the next whole second.
    let t = Math.floor(afterMs / 1000) * 1000 + 1000;
    let added = false;
    let c = civil(t, zone);
    const yearLimit = c.year + 5;
    // Each label below restarts the search, as robfig's `goto WRAP`; every pass moves t forward.
    wrap: for (;;) {
      c = civil(t, zone);
      if (c.year > yearLimit) return undefined;
      while (!has(this.month, c.month)) {
        if (!added) {
          added = true;
          t = goDate(c.year, c.month, 1, 0, 0, 0, zone);
          c = civil(t, zone);
        }
        t = goDate(c.year, c.month + 1, c.day, c.hour, c.minute, c.second, zone);
        c = civil(t, zone);
        if (c.month === 1) continue wrap;
      }
      while (!this.dayMatches(c)) {
        if (!added) {
          added = true;
          t = goDate(c.year, c.month, c.day, 0, 0, 0, zone);
          c = civil(t, zone);
        }
        t = goDate(c.year, c.month, c.day + 1, c.hour, c.minute, c.second, zone);
        c = civil(t, zone);
        // midnight may not exist on a DST day: robfig moves back to it, or on to the next one
        if (c.hour !== 0) {
          t += c.hour > 12 ? (24 - c.hour) * HOUR_MS : -c.hour * HOUR_MS;
          c = civil(t, zone);
        }
        if (c.day === 1) continue wrap;
      }
      while (!has(this.hour, c.hour)) {
        if (!added) {
          added = true;
          t = goDate(c.year, c.month, c.day, c.hour, 0, 0, zone);
        }
        t += HOUR_MS;
        c = civil(t, zone);
        if (c.hour === 0) continue wrap;
      }
      while (!has(this.minute, c.minute)) {
        if (!added) {
          added = true;
          t -= mod(t, MINUTE_MS);
        }
        t += MINUTE_MS;
        c = civil(t, zone);
        if (c.minute === 0) continue wrap;
      }
      // seconds: the standard parser's second field is 0
      while (c.second !== 0) {
        if (!added) {
          added = true;
          t -= mod(t, 1000);
        }
        t += 1000;
        c = civil(t, zone);
        if (c.second === 0) continue wrap;
      }
      return t;
    }
  }
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** `@every <duration>`: robfig's ConstantDelaySchedule, the delay after the whole second. */
class ConstantDelaySchedule implements CronSchedule {
  constructor(private readonly delayMs: number) {}

  next(afterMs: number): number | undefined {
    if (!Number.isFinite(afterMs)) return undefined;
    const t = Math.floor(afterMs / 1000) * 1000 + this.delayMs;
    return Number.isFinite(t) && Math.abs(t) <= 8.64e15 ? t : undefined;
  }
}
