import { describe, expect, it } from 'vitest';
import { InvalidError } from '@jobfleet/kube';
import { logOptions, takeBytes } from './pod-log.js';

const NOW = Date.parse('2026-01-01T12:00:00Z');
const options = (query: Record<string, string>) => logOptions((key) => query[key], 'p', NOW);

/** The 422's causes (field: message), or the 400's message. */
function refusal(query: Record<string, string>): { code: number; causes?: string[]; message: string } {
  try {
    options(query);
  } catch (err) {
    const e = err as InvalidError;
    return { code: e.code, message: e.message, ...(e instanceof InvalidError ? { causes: e.errors.map((f) => `${f.field}: ${f.detail}`) } : {}) };
  }
  throw new Error('accepted');
}

describe('pod log options, as the API server reads and validates PodLogOptions', () => {
  it.each([
    [{}, { follow: false, previous: false, timestamps: false }],
    [{ follow: 'True', timestamps: '1', previous: 'false' }, { follow: true, timestamps: true, previous: false }],
    [{ tailLines: '0', limitBytes: '1' }, { tailLines: 0, limitBytes: 1 }],
    [{ sinceSeconds: '60' }, { since: NOW - 60_000 }],
    [{ sinceTime: '2026-01-01T11:00:00Z' }, { since: NOW - 3_600_000 }],
    [{ sinceTime: '2026-01-01T13:00:00+02:00' }, { since: NOW - 3_600_000 }],
    [{ container: '' }, { container: undefined }],
  ])('%j reads as %j', (query, expected) => {
    expect(options(query)).toMatchObject(expected);
  });

  it.each([
    [{ tailLines: '-1' }, ['tailLines: must be greater than or equal to 0']],
    [{ limitBytes: '0' }, ['limitBytes: must be greater than 0']],
    [{ sinceSeconds: '0' }, ['sinceSeconds: must be greater than 0']],
    [{ sinceSeconds: '5', sinceTime: '2026-01-01T11:00:00Z' }, [': at most one of `sinceTime` or `sinceSeconds` may be specified']],
    [{ tailLines: '-1', limitBytes: '-5' }, ['tailLines: must be greater than or equal to 0', 'limitBytes: must be greater than 0']],
  ])('%j is a 422 PodLogOptions: %j', (query, causes) => {
    expect(refusal(query)).toMatchObject({ code: 422, causes, message: expect.stringMatching(/^PodLogOptions "p" is invalid: /) });
  });

  it.each([
    [{ limitBytes: 'x' }, 'strconv.ParseInt: parsing "x": invalid syntax'],
    [{ sinceSeconds: '1.5' }, 'strconv.ParseInt: parsing "1.5": invalid syntax'],
    [{ sinceTime: 'yesterday' }, expect.stringMatching(/^parsing time "yesterday" as "2006-01-02T15:04:05Z07:00"/)],
    [{ sinceTime: '2026-01-01' }, expect.stringMatching(/^parsing time "2026-01-01"/)],
  ])('%j is a 400: %s', (query, message) => {
    expect(refusal(query)).toMatchObject({ code: 400, message });
  });
});

describe('limitBytes cuts the text', () => {
  it.each([
    ['early\nlate\n', 3, 'ear'],
    ['early\n', 6, 'early\n'],
    ['early\n', 100, 'early\n'],
    ['né', 2, 'n'], // é is two bytes: not cut in half
    ['né', 3, 'né'],
    ['💥x', 3, ''],
    ['💥x', 4, '💥'],
  ])('%j to %i bytes: %j', (text, limit, expected) => {
    expect(takeBytes(text, limit)).toBe(expected);
  });
});
