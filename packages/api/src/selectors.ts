/** Kubernetes label and field selectors: parsing and matching (pure). */

export type Requirement =
  | { key: string; op: 'eq' | 'neq'; value: string }
  | { key: string; op: 'in' | 'notin'; values: string[] }
  | { key: string; op: 'exists' | 'notexists' };

export class SelectorError extends Error {}

/** Splits on commas that are not inside parentheses: "a in (x,y),b=c" → ["a in (x,y)", "b=c"]. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t.length > 0);
}

export function parseLabelSelector(text: string | undefined): Requirement[] {
  if (!text) return [];
  return splitTerms(text).map(parseTerm);
}

function parseTerm(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim()).filter((v) => v.length > 0);
    return { key: set[1] ?? '', op: set[2] as 'in' | 'notin', values };
  }
  const neq = /^([^=!\s]+)\s*!=\s*(\S*)$/.exec(term);
  if (neq) return { key: neq[1] ?? '', op: 'neq', value: neq[2] ?? '' };
  const eq = /^([^=!\s]+)\s*==?\s*(\S*)$/.exec(term);
  if (eq) return { key: eq[1] ?? '', op: 'eq', value: eq[2] ?? '' };
  const notExists = /^!\s*([^=!\s]+)$/.exec(term);
  if (notExists) return { key: notExists[1] ?? '', op: 'notexists' };
  if (/^[^=!\s(),]+$/.test(term)) return { key: term, op: 'exists' };
  throw new SelectorError(`unable to parse requirement: "${term}"`);
}

export function matches(requirements: Requirement[], values: Record<string, string | undefined>): boolean {
  return requirements.every((r) => {
    const has = Object.prototype.hasOwnProperty.call(values, r.key) && values[r.key] !== undefined;
    const v = values[r.key];
    switch (r.op) {
      case 'eq':
        return has && v === r.value;
      case 'neq':
        return !has || v !== r.value;
      case 'in':
        return has && r.values.includes(v ?? '');
      case 'notin':
        return !has || !r.values.includes(v ?? '');
      case 'exists':
        return has;
      case 'notexists':
        return !has;
    }
  });
}

/** Field selectors only support =, == and != (Kubernetes). */
export function parseFieldSelector(text: string | undefined, supported: readonly string[]): Requirement[] {
  const reqs = parseLabelSelector(text);
  for (const r of reqs) {
    if (r.op !== 'eq' && r.op !== 'neq') throw new SelectorError(`invalid field selector: "${text}"`);
    if (!supported.includes(r.key)) throw new SelectorError(`field label not supported: ${r.key}`);
  }
  return reqs;
}

/** The value of `key=value` in an equality requirement, for index lookups. */
export function equalityValue(reqs: Requirement[], key: string): string | undefined {
  for (const r of reqs) if (r.key === key && r.op === 'eq') return r.value;
  return undefined;
}
