import { BadRequestError } from '@jobfleet/kube';

export interface ContinueToken {
  ns: string;
  name: string;
  rv: string;
}

export function encodeContinue(token: ContinueToken): string {
  return Buffer.from(JSON.stringify(token)).toString('base64url');
}

export function decodeContinue(text: string | undefined): ContinueToken | undefined {
  if (!text) return undefined;
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as ContinueToken;
    if (typeof t.ns === 'string' && typeof t.name === 'string') return t;
  } catch {
    // fall through
  }
  throw new BadRequestError('continue key is not valid: it must be the value of metadata.continue of an earlier list');
}

export interface PageRequest<T> {
  namespaces: string[];
  /** Names in the namespace's index, in name order, from `after` (exclusive), at most `limit`. */
  names: (ns: string, after: string | undefined, limit: number) => Promise<string[]>;
  fetch: (ns: string, names: string[]) => Promise<T[]>;
  keep: (obj: T) => boolean;
  nameOf: (obj: T) => string;
  limit?: number;
  continueToken?: ContinueToken;
}

const BATCH = 500;

/** One page of a list in name order, namespace by namespace, with Kubernetes' limit/continue. */
export async function listPage<T>(req: PageRequest<T>): Promise<{ items: T[]; continueToken?: ContinueToken }> {
  const items: T[] = [];
  const limit = req.limit && req.limit > 0 ? req.limit : Infinity;
  const namespaces = [...req.namespaces].sort();
  const startNs = req.continueToken?.ns;
  for (const ns of namespaces) {
    if (startNs !== undefined && ns < startNs) continue;
    let after = startNs === ns ? req.continueToken?.name : undefined;
    for (;;) {
      const want = Math.min(BATCH, limit - items.length);
      const names = await req.names(ns, after, want);
      if (names.length === 0) break;
      for (const obj of await req.fetch(ns, names)) {
        if (!req.keep(obj)) continue;
        items.push(obj);
        if (items.length >= limit) return { items, continueToken: { ns, name: req.nameOf(obj), rv: '' } };
      }
      after = names[names.length - 1];
      if (names.length < want) break;
    }
  }
  return { items };
}
