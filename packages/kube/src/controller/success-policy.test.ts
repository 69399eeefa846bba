/**
 * matchSuccessPolicy, after Kubernetes' TestMatchSuccessPolicy (pkg/controller/job/success_policy_test.go):
 * every case with the feature enabled (it is GA in 1.33), ported one to one.
 */
import { describe, expect, it } from 'vitest';
import type { SuccessPolicy } from '../types.js';
import type { OrderedIntervals } from './indexes.js';
import { matchSuccessPolicy } from './success-policy.js';

const iv = (...pairs: [number, number][]): OrderedIntervals => pairs.map(([first, last]) => ({ first, last }));
const rules = (...r: { succeededIndexes?: string; succeededCount?: number }[]): SuccessPolicy => ({ rules: r });
const MATCHED_0 = 'Matched rules at index 0';

describe('matchSuccessPolicy', () => {
  it.each<{ name: string; policy: SuccessPolicy | undefined; succeeded: OrderedIntervals; want: string | undefined }>([
    { name: 'successPolicy is null', policy: undefined, succeeded: iv([0, 0]), want: undefined },
    { name: 'any rules are nothing', policy: rules(), succeeded: iv([0, 0]), want: undefined },
    { name: 'rules.succeededIndexes is invalid format', policy: rules({ succeededIndexes: 'invalid-form' }), succeeded: iv([0, 0]), want: undefined },
    { name: 'succeededIndexes matched rules', policy: rules({ succeededIndexes: '0-2' }), succeeded: iv([0, 2], [4, 7]), want: MATCHED_0 },
    { name: "succeededIndexes didn't match rules", policy: rules({ succeededIndexes: '3' }), succeeded: iv([0, 2]), want: undefined },
    { name: 'succeededCount matched rules', policy: rules({ succeededCount: 2 }), succeeded: iv([0, 2]), want: MATCHED_0 },
    { name: "succeededCount didn't match rules", policy: rules({ succeededCount: 4 }), succeeded: iv([0, 2]), want: undefined },
    {
      name: 'multiple rules; succeededIndexes met one of rules',
      policy: rules({ succeededIndexes: '9' }, { succeededIndexes: '4,6' }),
      succeeded: iv([0, 2], [4, 7]),
      want: 'Matched rules at index 1',
    },
    { name: 'multiple rules; succeededIndexes met all rules', policy: rules({ succeededIndexes: '0,1' }, { succeededIndexes: '5' }), succeeded: iv([0, 2], [4, 7]), want: MATCHED_0 },
    { name: 'succeededIndexes and succeededCount; met', policy: rules({ succeededIndexes: '3-6', succeededCount: 2 }), succeeded: iv([0, 2], [4, 7]), want: MATCHED_0 },
    { name: "succeededIndexes and succeededCount; didn't match", policy: rules({ succeededIndexes: '3-6', succeededCount: 2 }), succeeded: iv([0, 2], [6, 7]), want: undefined },
    { name: 'succeededIndexes are nothing', policy: rules({ succeededCount: 4 }), succeeded: [], want: undefined },
    { name: 'rules is proper subset of succeededIndexes', policy: rules({ succeededIndexes: '2-4,6-8' }), succeeded: iv([1, 5], [6, 9]), want: MATCHED_0 },
    { name: 'rules equals succeededIndexes', policy: rules({ succeededIndexes: '2-4,6-9' }), succeeded: iv([2, 4], [6, 9]), want: MATCHED_0 },
    { name: 'rules is subset of succeededIndexes', policy: rules({ succeededIndexes: '2-4,8-12' }), succeeded: iv([2, 5], [7, 15]), want: MATCHED_0 },
    { name: 'rules is an empty set', policy: rules({ succeededIndexes: '' }), succeeded: iv([1, 3]), want: undefined },
    { name: 'succeededIndexes is an empty set', policy: rules({ succeededIndexes: '' }), succeeded: [], want: undefined },
    { name: 'no element of the rule succeeded', policy: rules({ succeededIndexes: '10-12,14-16' }), succeeded: iv([1, 3], [5, 7]), want: undefined },
    { name: 'rules overlaps succeededIndexes at first', policy: rules({ succeededIndexes: '1-3,5-7' }), succeeded: iv([2, 4], [6, 8]), want: undefined },
    { name: 'rules overlaps succeededIndexes at first; succeededCount met', policy: rules({ succeededIndexes: '1-3,5-7', succeededCount: 4 }), succeeded: iv([2, 4], [6, 8]), want: MATCHED_0 },
    { name: 'rules overlaps succeededIndexes at last', policy: rules({ succeededIndexes: '2-4,6-9' }), succeeded: iv([1, 3], [5, 7]), want: undefined },
    { name: 'rules overlaps succeededIndexes at last; succeededCount met', policy: rules({ succeededIndexes: '2-4,6-9', succeededCount: 4 }), succeeded: iv([1, 3], [5, 7]), want: MATCHED_0 },
    { name: 'rules completely overlaps succeededIndexes', policy: rules({ succeededIndexes: '0-4,6-9' }), succeeded: iv([1, 3], [7, 8]), want: undefined },
    { name: 'rules completely overlaps succeededIndexes; succeededCount met', policy: rules({ succeededIndexes: '0-4,6-9', succeededCount: 5 }), succeeded: iv([1, 3], [7, 8]), want: MATCHED_0 },
    { name: 'rules overlaps multiple succeededIndexes at last', policy: rules({ succeededIndexes: '0-6,8-9' }), succeeded: iv([1, 3], [5, 9]), want: undefined },
    { name: 'rules overlaps multiple succeededIndexes at last; succeededCount met', policy: rules({ succeededIndexes: '0-6,8-9', succeededCount: 7 }), succeeded: iv([1, 3], [5, 9]), want: MATCHED_0 },
    { name: 'overlaps at first, equal at last', policy: rules({ succeededIndexes: '0-5,7-9' }), succeeded: iv([1, 5], [7, 10]), want: undefined },
    { name: 'overlaps at first, equal at last; succeededCount met', policy: rules({ succeededIndexes: '0-5,7-9', succeededCount: 8 }), succeeded: iv([1, 5], [7, 10]), want: MATCHED_0 },
    { name: 'the first rule overlaps succeededIndexes at first', policy: rules({ succeededIndexes: '0-3,6-9' }), succeeded: iv([1, 10]), want: undefined },
    { name: 'the first rule overlaps succeededIndexes at first; succeededCount met', policy: rules({ succeededIndexes: '0-3,6-9', succeededCount: 7 }), succeeded: iv([1, 10]), want: MATCHED_0 },
  ])('$name', ({ policy, succeeded, want }) => {
    expect(matchSuccessPolicy(policy, 10, succeeded)).toBe(want);
  });
});
