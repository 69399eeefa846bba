/**
 * Limits that keep untrusted manifests from hurting the process that parses them: nesting depth
 * (the parsers recurse), token count (parsing and validation time), duplicate keys in linear time,
 * and messages that never call an input value's own toString.
 */
import { describe, expect, it } from 'vitest';
import { BadRequestError, RequestEntityTooLargeError } from './errors.js';
import { MAX_NESTING_DEPTH, MAX_TOKENS, assertManifestShape, parseJob, parseManifests } from './parse.js';

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

const TOO_DEEP = `the document nests more than ${MAX_NESTING_DEPTH} levels deep`;

describe('nesting depth', () => {
  it.each([
    ['JSON arrays', `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
    ['JSON objects', `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`],
    ['invalid JSON that goes on to the YAML parser (once a V8 abort)', `{"a": ${'['.repeat(5_000)}${']'.repeat(5_000)}, "b": }`],
    ['YAML flow', `a: ${'{b: '.repeat(3_000)}1`],
    ['YAML compact sequences', `a:\n  ${'- '.repeat(100_000)}x`],
    ['YAML indentation', Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}a:`).join('\n')],
  ])('%s: refused with BadRequest before parsing', (_name, text) => {
    const err = thrown(() => parseManifests(text));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toBe(TOO_DEEP);
  });

  it.each([
    ['JSON 90 deep', `{"a":${'['.repeat(90)}${']'.repeat(90)}}`],
    ['pretty-printed JSON', JSON.stringify({ apiVersion: 'batch/v1', kind: 'Job', spec: { template: { spec: { containers: [{ env: [{ valueFrom: { fieldRef: { fieldPath: 'x' } } }] }] } } } }, null, 4)],
    ['brackets inside strings and block scalars', `a: "[[[[{{{{"\nb: |\n${'  [[[[ {{{{\n'.repeat(500)}c: '[[['\n`],
    ['one line of JSON with many keys', JSON.stringify(Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, i])))],
  ])('%s: accepted', (_name, text) => {
    expect(() => assertManifestShape(text)).not.toThrow();
  });
});

describe('JSON read by the scan of its characters (no YAML lexer)', () => {
  it('is read as JSON.parse reads it: brackets, braces, colons and escaped quotes inside strings are text', () => {
    const value = { apiVersion: 'v1', kind: 'X', a: `\\"${'[{'.repeat(300)}:,"`, b: ['\\', '"]'], c: { d: [[1], { e: null }] } };
    expect(parseManifests(JSON.stringify(value))).toStrictEqual([value]);
    expect(parseManifests(`  \n${JSON.stringify(value, null, 2)}`)).toStrictEqual([value]);
  });

  it('nesting right at the limit is read, one level more refused as before', () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    expect(parseManifests(nested(MAX_NESTING_DEPTH - 1))).toHaveLength(1);
    const err = thrown(() => parseManifests(nested(MAX_NESTING_DEPTH + 1)));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toBe(TOO_DEEP);
  });

  it('a flow mapping that is not JSON, and JSON that is not valid, go on to the YAML parser as before', () => {
    expect(parseManifests('{a: 1, b: [x, y]}')).toStrictEqual([{ a: 1, b: ['x', 'y'] }]);
    expect(parseManifests("{a: '[[[', b: \"]]\"}")).toStrictEqual([{ a: '[[[', b: ']]' }]);
    expect(parseManifests('{"a": }')).toStrictEqual([{ a: null }]); // YAML reads it
    // Neither: JSON's error, with its place.
    expect((thrown(() => parseManifests('{"a":[1}')) as Error).message).toBe("error parsing JSON at line 1, column 8: Expected ',' or ']' after array element in JSON at position 7");
  });
});

describe('token count', () => {
  it('refuses a flat list of millions of elements with RequestEntityTooLarge, quickly', () => {
    const started = Date.now();
    const err = thrown(() => parseManifests(`{"a":[${'1,'.repeat(1_500_000)}1]}`));
    expect(err).toBeInstanceOf(RequestEntityTooLargeError);
    expect((err as Error).message).toContain(`more than ${MAX_TOKENS} YAML/JSON tokens`);
    // Refused by the count before any YAML node is built (~0.1 s alone; a loaded CI machine is slower):
    // a YAML document of 1.5 M nodes would take far longer than this margin.
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('reads a Job with thousands of env vars', () => {
    const env = Array.from({ length: 3_000 }, (_, i) => `      - name: V${i}\n        value: "${i}"`).join('\n');
    const text = `apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: big\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n        env:\n${env.replace(/^ {6}/gm, '        ')}\n`;
    const [manifest] = parseManifests(text);
    expect(parseJob(manifest).spec.template.spec.containers[0]?.env).toHaveLength(3_000);
  });
});

describe('duplicate keys', () => {
  it('are still refused, with their line', () => {
    expect((thrown(() => parseManifests('a: 1\nb: 2\na: 3\n')) as Error).message).toBe('error parsing YAML at line 3, column 1: Map keys must be unique');
    expect((thrown(() => parseManifests('a:\n  - {x: 1, x: 2}\n')) as Error).message).toBe('error parsing YAML at line 2, column 12: Map keys must be unique');
  });

  it('are checked in linear time (a mapping of 25000 keys takes about 10× one of 2500, not 100×)', () => {
    // Relative to a tenth of the size measured in the same run: the machine's speed drops out. The best
    // of three runs of each keeps a pause of the shared machine from deciding.
    const mapping = (keys: number) => Array.from({ length: keys }, (_, i) => `k${i}: 1`).join('\n');
    const best = (text: string) =>
      Math.max(
        0.5,
        Math.min(
          ...[0, 1, 2].map(() => {
            const started = performance.now();
            parseManifests(text);
            return performance.now() - started;
          }),
        ),
      );
    const small = best(mapping(2_500));
    const large = best(mapping(25_000));
    expect(large / small).toBeLessThan(40);
  });
});

describe('messages about untrusted values', () => {
  it.each([
    ['apiVersion', { apiVersion: { toString: 0 }, kind: 'Job' }, 'the API version in the data ({"toString":0}) does not match the expected API version (batch/v1)'],
    ['kind', { apiVersion: 'batch/v1', kind: { toString: 0 } }, 'the kind in the data ({"toString":0}) does not match the expected kind (Job)'],
  ])('%s that is an object with a toString key', (_name, input, message) => {
    const err = thrown(() => parseJob(input));
    expect(err).toBeInstanceOf(BadRequestError);
    expect((err as Error).message).toBe(message);
  });
});
