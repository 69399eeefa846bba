/**
 * Watch events as clients read them: one event per line, in the text JSON.stringify writes, and the
 * object a watch sends is what a GET answers at that resourceVersion; a selector filters; a record
 * written into the change stream by something else than the API (here a raw XADD with a newline
 * in it) cannot break the stream's lines.
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readLines } from '@jobfleet/client';
import type { Job } from '@jobfleet/kube';
import { redisKeys } from '@jobfleet/store';
import { startFleet, uniqueName, type Fleet } from './harness.js';
import { eventually } from './timing.js';

let fleet: Fleet;
let redis: Redis;

beforeAll(async () => {
  fleet = await startFleet({ workers: 0 });
  redis = new Redis(fleet.redisUrl);
});

afterAll(async () => {
  redis?.disconnect();
  await fleet?.close();
});

const job = (name: string, labels: Record<string, string>): Job =>
  ({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name, labels },
    spec: { suspend: true, template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox', command: ['true'] }] } } },
  }) as Job;

/** A raw watch from `rv`: every line it gets, as text. */
function watchLines(query: string, rv: string) {
  const lines: string[] = [];
  const abort = new AbortController();
  const watch = { lines, failure: undefined as unknown, stop: () => (abort.abort(), done) };
  const done = (async () => {
    const res = await fetch(`${fleet.api.url}/apis/batch/v1/namespaces/default/jobs?watch=1&resourceVersion=${rv}${query}`, { signal: abort.signal });
    if (res.body) for await (const line of readLines(res.body)) lines.push(line);
  })().catch((err: unknown) => {
    if (!abort.signal.aborted) watch.failure = err;
  });
  return watch;
}

it('sends each change on one line, equal to what GET answers; a selector filters; a foreign record cannot break the lines', async () => {
  const rv = (await (await fetch(`${fleet.api.url}/apis/batch/v1/namespaces/default/jobs?limit=1`)).json()) as { metadata: { resourceVersion: string } };
  const all = watchLines('', rv.metadata.resourceVersion);
  const selected = watchLines('&labelSelector=team%3Dblue', rv.metadata.resourceVersion);
  const blue = uniqueName('blue');
  const red = uniqueName('red');
  // A label value with characters JSON escapes: the text sent must still be the object.
  await fleet.client.createJob(job(blue, { team: 'blue' }));
  await fleet.client.createJob({ ...job(red, { team: 'red' }), metadata: { name: red, labels: { team: 'red' }, annotations: { note: 'quote " backslash \\ tab \t é ✓' } } } as Job);

  // Something else than the API writes into the change stream: a Job whose text holds a newline.
  const keys = redisKeys(fleet.prefix);
  const foreignRv = await redis.incr(keys.rv);
  const foreign = `{"apiVersion":"batch/v1","kind":"Job","metadata":{"name":"foreign","namespace":"default","resourceVersion":"${foreignRv}","labels":{"team":"blue"}},\n"spec":{}}`;
  await redis.xadd(keys.changes, `${foreignRv}-0`, 't', 'ADDED', 'k', 'Job', 'ns', 'default', 'n', 'foreign', 'o', foreign, 'd', '');
  const sawForeign = (lines: string[]) => lines.some((l) => l.includes('"name":"foreign"'));
  await eventually(
    async () => {
      for (const w of [all, selected]) if (w.failure) throw w.failure;
      return sawForeign(all.lines) && sawForeign(selected.lines) ? true : undefined;
    },
    15_000,
    'the watches to see the changes',
  );
  // The controller's status writes of the two Jobs come as MODIFIED: wait for GET and the watch to agree.
  await eventually(async () => {
    const got = await Promise.all([blue, red].map((n) => fleet.client.getJob(n)));
    return got.every((j) => all.lines.some((l) => l.includes(`"resourceVersion":"${j.metadata.resourceVersion}"`))) ? got : undefined;
  }, 15_000, 'the watch to reach what GET answers');
  const latest = await Promise.all([blue, red].map((n) => fleet.client.getJob(n)));
  await Promise.all([all.stop(), selected.stop()]);

  const events = all.lines.map((l) => JSON.parse(l) as { type: string; object: Job });
  // Each line is one event, in the text JSON.stringify writes (the foreign object's newline is gone).
  for (const [i, line] of all.lines.entries()) expect(line).toBe(JSON.stringify(events[i]));
  expect(events.filter((e) => e.type === 'ADDED').map((e) => e.object.metadata.name)).toStrictEqual([blue, red, 'foreign']);
  for (const got of latest) {
    const sent = events.find((e) => e.object.metadata.resourceVersion === got.metadata.resourceVersion)?.object;
    expect(sent).toStrictEqual(got);
  }
  const selectedNames = new Set(selected.lines.map((l) => (JSON.parse(l) as { object: Job }).object.metadata.name));
  expect(selectedNames).toStrictEqual(new Set([blue, 'foreign']));
});
