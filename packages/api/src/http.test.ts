import { describe, expect, it } from 'vitest';
import type { FastifyRequest } from 'fastify';
import { checkRequestTimeout, parseGoDuration, parseQueryBool, parseQueryInt, queryBool, queryInt, queryString } from './http.js';

/** Only `query` and `url` are read by the query helpers. */
const request = (query: Record<string, string | string[]>, url = '/apis/batch/v1/jobs'): FastifyRequest => ({ query, url }) as unknown as FastifyRequest;

describe('query parameters as the API server parses them (apimachinery runtime/conversion.go)', () => {
  it.each([
    // Convert_Slice_string_To_bool: only "0" and "false" (any case) are false.
    { value: 'true', want: true },
    { value: 'True', want: true }, // the Python client's watch=True / follow=True
    { value: 'TRUE', want: true },
    { value: '1', want: true },
    { value: 't', want: true },
    { value: 'yes', want: true },
    { value: '', want: true },
    { value: 'false', want: false },
    { value: 'False', want: false },
    { value: 'FALSE', want: false },
    { value: '0', want: false },
  ])('bool $value → $want', ({ value, want }) => {
    expect(parseQueryBool(value)).toBe(want);
    expect(queryBool(request({ watch: value }), 'watch')).toBe(want);
  });

  it('an absent boolean is false; a repeated parameter counts its first value, as url.Values.Get', () => {
    expect(queryBool(request({}), 'watch')).toBe(false);
    expect(queryBool(request({ watch: ['false', 'true'] }), 'watch')).toBe(false);
    expect(queryBool(request({ watch: ['True', '0'] }), 'watch')).toBe(true);
    expect(queryString(request({ labelSelector: ['a=b', 'c=d'] }), 'labelSelector')).toBe('a=b');
  });

  it.each([
    { value: '0', want: 0 },
    { value: '42', want: 42 },
    { value: '+7', want: 7 },
    { value: '-1', want: -1 },
    { value: '007', want: 7 },
    { value: '9223372036854775807', want: 2 ** 63 }, // int64's largest, as near as a number holds it
  ])('int $value → $want (strconv.ParseInt)', ({ value, want }) => {
    expect(parseQueryInt(value)).toBe(want);
  });

  it.each([
    { value: '', message: 'strconv.ParseInt: parsing "": invalid syntax' },
    { value: 'abc', message: 'strconv.ParseInt: parsing "abc": invalid syntax' },
    { value: '1.5', message: 'strconv.ParseInt: parsing "1.5": invalid syntax' },
    { value: '1e3', message: 'strconv.ParseInt: parsing "1e3": invalid syntax' },
    { value: ' 1', message: 'strconv.ParseInt: parsing " 1": invalid syntax' },
    { value: '0x10', message: 'strconv.ParseInt: parsing "0x10": invalid syntax' },
    { value: '9223372036854775808', message: 'strconv.ParseInt: parsing "9223372036854775808": value out of range' },
    { value: '-99999999999999999999', message: 'strconv.ParseInt: parsing "-99999999999999999999": value out of range' },
  ])('int "$value" is a 400: $message', ({ value, message }) => {
    expect(() => queryInt(request({ limit: value }), 'limit')).toThrow(expect.objectContaining({ code: 400, reason: 'BadRequest', message }));
  });

  it('an absent integer is undefined', () => {
    expect(queryInt(request({}), 'limit')).toBeUndefined();
  });
});

describe('the timeout parameter (time.ParseDuration, request-deadline filter)', () => {
  it.each([
    { text: '0', ns: 0 },
    { text: '32s', ns: 32e9 },
    { text: '1.5h', ns: 5400e9 },
    { text: '1h2m3s', ns: 3723e9 },
    { text: '-2ms', ns: -2e6 },
    { text: '.5s', ns: 0.5e9 },
    { text: '10µs', ns: 10e3 },
    { text: '7ns', ns: 7 },
  ])('$text → $ns ns', ({ text, ns }) => {
    expect(parseGoDuration(text)).toBeCloseTo(ns);
  });

  it.each([
    { text: 'abc', message: 'time: invalid duration "abc"' },
    { text: '1', message: 'time: missing unit in duration "1"' },
    { text: '5d', message: 'time: unknown unit "d" in duration "5d"' },
    { text: '.s', message: 'time: invalid duration ".s"' },
    { text: '-', message: 'time: invalid duration "-"' },
  ])('$text: $message', ({ text, message }) => {
    expect(() => parseGoDuration(text)).toThrow(message);
  });

  it('a malformed timeout of a short request is a 400 with the filter message; watches and logs are not checked', () => {
    expect(() => checkRequestTimeout(request({ timeout: '5' }))).toThrow(
      expect.objectContaining({ code: 400, message: 'invalid timeout specified in the request URL - time: missing unit in duration "5"' }),
    );
    expect(() => checkRequestTimeout(request({ timeout: '32s' }))).not.toThrow();
    expect(() => checkRequestTimeout(request({ timeout: '' }))).not.toThrow();
    expect(() => checkRequestTimeout(request({ timeout: 'x', watch: 'true' }))).not.toThrow();
    expect(() => checkRequestTimeout(request({ timeout: 'x' }, '/api/v1/namespaces/d/pods/p/log?timeout=x'))).not.toThrow();
  });
});

describe('dryRun, a list in Kubernetes\' write options', () => {
  it('counts every value: dry when one is All, a 400 for any other but the empty one', async () => {
    const { writeOptions } = await import('./write-options.js');
    expect(writeOptions(request({ dryRun: ['', 'All'] })).dryRun).toBe(true);
    expect(writeOptions(request({ dryRun: 'All' })).dryRun).toBe(true);
    expect(writeOptions(request({ dryRun: '' })).dryRun).toBe(false);
    expect(writeOptions(request({})).dryRun).toBe(false);
    expect(() => writeOptions(request({ dryRun: ['All', 'x'] }))).toThrow(expect.objectContaining({ code: 400, message: 'dryRun: Unsupported value: "x": supported values: "All"' }));
  });
});
