/**
 * The Job's successPolicy, as Kubernetes' matchSuccessPolicy (pkg/controller/job/success_policy.go):
 * the first rule whose indexes (all of them, or succeededCount of them) succeeded declares success.
 */
import type { SuccessPolicy } from '../types.js';
import { parseIndexes, totalIndexes, type OrderedIntervals } from './indexes.js';

/** "Matched rules at index N" when a rule is met, else undefined. */
export function matchSuccessPolicy(policy: SuccessPolicy | undefined, completions: number, succeeded: OrderedIntervals): string | undefined {
  if (!policy || succeeded.length === 0) return undefined;
  for (const [index, rule] of policy.rules.entries()) {
    if (rule.succeededIndexes !== undefined) {
      const required = parseIndexes(rule.succeededIndexes, completions);
      // An unreadable rule (validation refuses those) matches nothing.
      if (required.length === 0) continue;
      if (matchSucceededIndexesRule(required, succeeded, rule.succeededCount)) return `Matched rules at index ${index}`;
    } else if (rule.succeededCount !== undefined && totalIndexes(succeeded) >= rule.succeededCount) {
      return `Matched rules at index ${index}`;
    }
  }
  return undefined;
}

/** Whether all of the rule's indexes, or succeededCount of them, are among the succeeded ones. */
export function matchSucceededIndexesRule(rule: OrderedIntervals, succeeded: OrderedIntervals, succeededCount: number | undefined): boolean {
  let contains = 0;
  let r = 0;
  let s = 0;
  while (r < rule.length && s < succeeded.length) {
    const a = rule[r] ?? { first: 0, last: -1 };
    const b = succeeded[s] ?? { first: 0, last: -1 };
    const overlap = Math.min(a.last, b.last) - Math.max(a.first, b.first) + 1;
    if (overlap > 0) contains += overlap;
    if (b.last < a.last) s++;
    else if (b.last > a.last) r++;
    else {
      s++;
      r++;
    }
  }
  return contains === totalIndexes(rule) || (succeededCount !== undefined && contains >= succeededCount);
}
