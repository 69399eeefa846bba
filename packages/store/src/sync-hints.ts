/**
 * What this process last saw of each Job's uncounted set: the Job's uid and the pods in it (what its
 * last sync read, plus the pods its commits added, minus those they counted or removed). With it
 * loadForSync-4+.lua is given the keys of the pods it reads (a script may touch only keys it is
 * given) and reads them in one round trip; a hint that is wrong costs another round trip, never a
 * pod unread (the script checks it against the set). At most `max` Jobs are kept, the least
 * recently used going first.
 */
export class SyncHints {
  private readonly hints = new Map<string, { uid: string; names: Set<string> }>();

  constructor(private readonly max = 10_000) {}

  get(ns: string, name: string): { uid: string; names: ReadonlySet<string> } | undefined {
    const key = `${ns}/${name}`;
    const hint = this.hints.get(key);
    if (hint) {
      this.hints.delete(key);
      this.hints.set(key, hint);
    }
    return hint;
  }

  set(ns: string, name: string, uid: string, names: Iterable<string>): void {
    const key = `${ns}/${name}`;
    this.hints.delete(key);
    this.hints.set(key, { uid, names: new Set(names) });
    if (this.hints.size > this.max) this.hints.delete(this.hints.keys().next().value ?? '');
  }

  /** A commit of the Job of `uid` added pods to its uncounted set and took others out. */
  update(ns: string, name: string, uid: string, added: readonly string[], removed: readonly string[]): void {
    const hint = this.hints.get(`${ns}/${name}`);
    if (!hint || hint.uid !== uid) {
      if (added.length > 0) this.set(ns, name, uid, added);
      return;
    }
    for (const n of added) hint.names.add(n);
    for (const n of removed) hint.names.delete(n);
  }

  forget(ns: string, name: string): void {
    this.hints.delete(`${ns}/${name}`);
  }
}
