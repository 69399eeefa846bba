import { describe, expect, it } from 'vitest';
import {
  OMIT_VALUE,
  duplicate,
  fieldErrorBody,
  forbidden,
  formatFieldError,
  invalid,
  notFound,
  notSupported,
  required,
  tooLong,
  tooMany,
  type FieldError,
} from './field-errors.js';

describe('formatFieldError', () => {
  it.each<{ name: string; error: FieldError; want: string }>([
    {
      name: 'invalid number is printed bare',
      error: invalid('spec.completions', -1, 'must be greater than or equal to 0'),
      want: 'spec.completions: Invalid value: -1: must be greater than or equal to 0',
    },
    {
      name: 'required with detail',
      error: required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"'),
      want: 'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    },
    {
      name: 'required without detail',
      error: required('spec.template.spec.containers'),
      want: 'spec.template.spec.containers: Required value',
    },
    {
      name: 'not supported lists the quoted values',
      error: notSupported('spec.x', 'Foo', ['A', 'B']),
      want: 'spec.x: Unsupported value: "Foo": supported values: "A", "B"',
    },
    {
      name: 'duplicate quotes strings',
      error: duplicate('spec.template.spec.containers[1].name', 'a'),
      want: 'spec.template.spec.containers[1].name: Duplicate value: "a"',
    },
    {
      name: 'forbidden has no value',
      error: forbidden('spec.podFailurePolicy', 'not supported by jobfleet'),
      want: 'spec.podFailurePolicy: Forbidden: not supported by jobfleet',
    },
    {
      name: 'not found',
      error: notFound('spec.template.spec.containers[0].volumeMounts[0].name', 'data'),
      want: 'spec.template.spec.containers[0].volumeMounts[0].name: Not found: "data"',
    },
    {
      name: 'too long leaves the value out',
      error: tooLong('metadata.annotations', 'x'.repeat(10), 262144),
      want: 'metadata.annotations: Too long: may not be more than 262144 bytes',
    },
    {
      name: 'too many shows the count',
      error: tooMany('spec.x', 25, 20),
      want: 'spec.x: Too many: 25: must have at most 20 items',
    },
    {
      name: 'a missing value prints as "null"',
      error: invalid('spec.selector', undefined, 'field is immutable'),
      want: 'spec.selector: Invalid value: "null": field is immutable',
    },
    {
      name: 'booleans are bare',
      error: invalid('spec.suspend', true, 'x'),
      want: 'spec.suspend: Invalid value: true: x',
    },
    {
      name: 'objects print as JSON',
      error: invalid('spec.selector', { matchLabels: { a: 'b' } }, 'x'),
      want: 'spec.selector: Invalid value: {"matchLabels":{"a":"b"}}: x',
    },
    {
      name: 'omitted value',
      error: invalid('spec.template', OMIT_VALUE, 'field is immutable'),
      want: 'spec.template: Invalid value: field is immutable',
    },
    {
      name: 'strings are escaped like Go %q',
      error: invalid('metadata.name', 'a"b', 'x'),
      want: 'metadata.name: Invalid value: "a\\"b": x',
    },
  ])('$name', ({ error, want }) => {
    expect(formatFieldError(error)).toBe(want);
  });

  it('the cause message is the part after "field: "', () => {
    const error = invalid('spec.completions', -1, 'must be greater than or equal to 0');
    expect(fieldErrorBody(error)).toBe('Invalid value: -1: must be greater than or equal to 0');
  });
});
