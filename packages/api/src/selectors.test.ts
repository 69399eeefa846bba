import { describe, expect, it } from 'vitest';
import { SelectorError, equalityValue, matches, parseFieldSelector, parseLabelSelector, type Requirement } from './selectors.js';

describe('parseLabelSelector', () => {
  it.each<{ name: string; text: string | undefined; want: Requirement[] }>([
    { name: 'unset', text: undefined, want: [] },
    { name: 'empty', text: '', want: [] },
    { name: 'equality =', text: 'app=web', want: [{ key: 'app', op: 'eq', value: 'web' }] },
    { name: 'equality ==', text: 'app==web', want: [{ key: 'app', op: 'eq', value: 'web' }] },
    { name: 'inequality', text: 'tier!=db', want: [{ key: 'tier', op: 'neq', value: 'db' }] },
    { name: 'spaces around operators', text: ' app = web , tier != db ', want: [{ key: 'app', op: 'eq', value: 'web' }, { key: 'tier', op: 'neq', value: 'db' }] },
    { name: 'empty value', text: 'app=', want: [{ key: 'app', op: 'eq', value: '' }] },
    { name: 'prefixed key', text: 'batch.kubernetes.io/job-name=pi', want: [{ key: 'batch.kubernetes.io/job-name', op: 'eq', value: 'pi' }] },
    { name: 'in', text: 'env in (prod, staging)', want: [{ key: 'env', op: 'in', values: ['prod', 'staging'] }] },
    { name: 'notin', text: 'env notin (dev)', want: [{ key: 'env', op: 'notin', values: ['dev'] }] },
    { name: 'in without a space before the parenthesis', text: 'env in(a,b)', want: [{ key: 'env', op: 'in', values: ['a', 'b'] }] },
    { name: 'exists', text: 'gpu', want: [{ key: 'gpu', op: 'exists' }] },
    { name: 'does not exist', text: '!gpu', want: [{ key: 'gpu', op: 'notexists' }] },
    { name: 'does not exist, with a space', text: '! gpu', want: [{ key: 'gpu', op: 'notexists' }] },
    {
      name: 'everything at once; commas inside parentheses do not split',
      text: 'app=web,env in (a,b,c),!legacy,tier!=db,gpu',
      want: [
        { key: 'app', op: 'eq', value: 'web' },
        { key: 'env', op: 'in', values: ['a', 'b', 'c'] },
        { key: 'legacy', op: 'notexists' },
        { key: 'tier', op: 'neq', value: 'db' },
        { key: 'gpu', op: 'exists' },
      ],
    },
  ])('$name', ({ text, want }) => {
    expect(parseLabelSelector(text)).toStrictEqual(want);
  });

  it.each(['=web', '!=web', 'app web', 'a in b', 'a in (x', 'a = b c', '(a)', 'a,!=b'])('rejects %j', (text) => {
    expect(() => parseLabelSelector(text)).toThrow(SelectorError);
    expect(() => parseLabelSelector(text)).toThrow(/unable to parse requirement/);
  });

  it('names the bad requirement in the error', () => {
    expect(() => parseLabelSelector('app=web,bad value')).toThrow('unable to parse requirement: "bad value"');
  });
});

describe('matches', () => {
  const labels = { app: 'web', env: 'prod', empty: '' };
  it.each<{ name: string; selector: string; want: boolean }>([
    { name: 'no requirement matches everything', selector: '', want: true },
    { name: 'eq match', selector: 'app=web', want: true },
    { name: 'eq other value', selector: 'app=db', want: false },
    { name: 'eq missing key', selector: 'team=a', want: false },
    { name: 'eq empty value matches an empty label', selector: 'empty=', want: true },
    { name: 'neq other value', selector: 'app!=db', want: true },
    { name: 'neq same value', selector: 'app!=web', want: false },
    { name: 'neq missing key matches', selector: 'team!=a', want: true },
    { name: 'in, member', selector: 'env in (dev,prod)', want: true },
    { name: 'in, not a member', selector: 'env in (dev,qa)', want: false },
    { name: 'in, missing key', selector: 'team in (a)', want: false },
    { name: 'notin, member', selector: 'env notin (prod)', want: false },
    { name: 'notin, not a member', selector: 'env notin (dev)', want: true },
    { name: 'notin, missing key matches', selector: 'team notin (a)', want: true },
    { name: 'exists', selector: 'app', want: true },
    { name: 'exists, empty value', selector: 'empty', want: true },
    { name: 'exists, missing', selector: 'team', want: false },
    { name: '!key, present', selector: '!app', want: false },
    { name: '!key, missing', selector: '!team', want: true },
    { name: 'all must hold', selector: 'app=web,env=prod', want: true },
    { name: 'one failing fails all', selector: 'app=web,env=dev', want: false },
  ])('$name', ({ selector, want }) => {
    expect(matches(parseLabelSelector(selector), labels)).toBe(want);
  });

  it('an undefined value counts as missing', () => {
    expect(matches(parseLabelSelector('a'), { a: undefined })).toBe(false);
    expect(matches(parseLabelSelector('!a'), { a: undefined })).toBe(true);
  });

  it('inherited properties are not labels', () => {
    expect(matches(parseLabelSelector('toString'), {})).toBe(false);
    expect(matches(parseLabelSelector('constructor!=x'), {})).toBe(true);
  });
});

describe('parseFieldSelector', () => {
  const supported = ['metadata.name', 'metadata.namespace', 'status.phase'] as const;

  it.each<{ name: string; text: string | undefined; want: Requirement[] }>([
    { name: 'unset', text: undefined, want: [] },
    { name: 'one equality', text: 'status.phase=Running', want: [{ key: 'status.phase', op: 'eq', value: 'Running' }] },
    {
      name: 'equality and inequality',
      text: 'metadata.name==pi,status.phase!=Failed',
      want: [
        { key: 'metadata.name', op: 'eq', value: 'pi' },
        { key: 'status.phase', op: 'neq', value: 'Failed' },
      ],
    },
  ])('$name', ({ text, want }) => {
    expect(parseFieldSelector(text, supported)).toStrictEqual(want);
  });

  it.each<{ name: string; text: string; message: string | RegExp }>([
    { name: 'unsupported key', text: 'spec.nodeName=n1', message: 'field label not supported: spec.nodeName' },
    { name: 'unsupported key after a good one', text: 'metadata.name=a,status.podIP=1', message: 'field label not supported: status.podIP' },
    { name: 'set operator', text: 'status.phase in (Running)', message: 'invalid field selector: "status.phase in (Running)"' },
    { name: 'exists', text: 'metadata.name', message: 'invalid field selector: "metadata.name"' },
    { name: 'not parseable', text: 'a b', message: /unable to parse requirement/ },
  ])('rejects: $name', ({ text, message }) => {
    expect(() => parseFieldSelector(text, supported)).toThrow(SelectorError);
    expect(() => parseFieldSelector(text, supported)).toThrow(message);
  });
});

describe('equalityValue', () => {
  it.each<{ name: string; selector: string; key: string; want: string | undefined }>([
    { name: 'present', selector: 'a=1,job-name=pi', key: 'job-name', want: 'pi' },
    { name: 'only != is not an equality', selector: 'job-name!=pi', key: 'job-name', want: undefined },
    { name: 'absent', selector: 'a=1', key: 'job-name', want: undefined },
    { name: 'the first one', selector: 'k=1,k=2', key: 'k', want: '1' },
  ])('$name', ({ selector, key, want }) => {
    expect(equalityValue(parseLabelSelector(selector), key)).toBe(want);
  });
});
