/**
 * The embedded system of `jobfleet run` and `jobfleet up` (finding 7): the real CLI in its own process
 * group, as a terminal runs it. Ctrl-C (SIGINT to the whole group) ends `run` within 10 s and leaves no
 * process and no container; a SIGKILLed `run` does not leave its redis-server behind; one data folder
 * serves one Redis; and `run` follows only a jobfleet API at the default address.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  containersOfJob,
  groupAlive,
  jobfleet,
  killGroup,
  quickJob,
  redisServersUsing,
  removeContainersOfJob,
  sleepingJob,
  startJobfleet,
  within,
  type JobfleetProcess,
} from './jobfleet-process.js';

let work: string;
let dataDir: string;
const jobs: string[] = [];

beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'jobfleet-hostile-embedded-'));
  dataDir = join(work, '.jobfleet');
});
afterEach(async () => {
  for (const name of jobs.splice(0)) await removeContainersOfJob(name);
  rmSync(work, { recursive: true, force: true });
});

function jobFile(yaml: string, file = 'job.yaml'): string {
  writeFileSync(join(work, file), yaml);
  return file;
}

function uniqueJob(): string {
  const name = `hostile-emb-${randomUUID().slice(0, 8)}`;
  jobs.push(name);
  return name;
}

/** `run -f` of a sleeping Job in `work`, once its container runs. */
async function runningSleeper(): Promise<{ run: JobfleetProcess; name: string }> {
  const name = uniqueJob();
  const run = startJobfleet(['run', '-f', jobFile(sleepingJob(name))], { cwd: work });
  await run.waitFor(/Starting an embedded jobfleet/, 30_000);
  await run.waitFor(/^start$/m, 60_000); // the pod's log: its container runs
  expect((await containersOfJob(name)).map((c) => c.State)).toEqual(['running']);
  expect(redisServersUsing(dataDir)).toHaveLength(1);
  return { run, name };
}

/** Processes (of any group) whose command line names the data folder: the redis-server and its watchdog. */
function processesNaming(folder: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(folder)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

describe('Ctrl-C and SIGKILL', () => {
  it('SIGINT to the process group during run: exit 130 within 10 s, no redis-server, process or container left', async () => {
    const { run, name } = await runningSleeper();
    const sent = Date.now();
    killGroup(run.child, 'SIGINT');
    const exit = await Promise.race([run.exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 20_000))]);
    const tookMs = Date.now() - sent;
    console.log(`run after Ctrl-C: exited in ${tookMs} ms with ${JSON.stringify(exit)}`);
    expect(exit).toEqual({ code: 130, signal: null });
    expect(tookMs).toBeLessThan(10_000);
    expect(run.stderr()).toContain(`interrupted; the embedded jobfleet stops with job.batch/${name} unfinished`);
    expect(groupAlive(run.pid)).toBe(false);
    expect(redisServersUsing(dataDir)).toEqual([]);
    expect(processesNaming(dataDir)).toEqual([]);
    expect(await containersOfJob(name)).toEqual([]);
  });

  it('SIGKILL of run: its redis-server goes within seconds; the next run in the folder takes the lock over and cleans up', async () => {
    const { run, name } = await runningSleeper();
    run.child.kill('SIGKILL'); // the jobfleet process alone, as the OOM killer would
    await run.exited;
    const goneMs = await within(10_000, () => redisServersUsing(dataDir).length === 0 && processesNaming(dataDir).length === 0);
    console.log(`redis-server of a SIGKILLed run: gone after ${goneMs} ms`);
    expect(goneMs).toBeGreaterThanOrEqual(0); // within 10 s
    expect(readdirSync(dataDir)).toContain('jobfleet.lock'); // stale: its process is dead

    const next = uniqueJob();
    const again = await jobfleet(['run', '-f', jobFile(quickJob(next), 'next.yaml')], { cwd: work });
    expect([again.code, again.stdout]).toEqual([0, 'done\n']);
    // Same folder, same embedded node: its worker removed what the killed run left.
    expect(await containersOfJob(name)).toEqual([]);
    expect(readdirSync(dataDir)).not.toContain('jobfleet.lock');
  });
});

describe('one data folder serves one Redis', () => {
  it('a second up or run in the folder says it is locked, by whom, and what to do; exit 1', async () => {
    const node = `hostile-emb-${randomUUID().slice(0, 8)}`;
    const up = startJobfleet(['up', '--port', '0', '--node-name', node], { cwd: work });
    await up.waitFor(/jobfleet is up: API (\S+)/, 30_000);
    const locked = `the data folder ${dataDir} is in use by jobfleet process ${up.pid}, which runs a Redis on it: stop that process, or run this one in another folder`;

    const secondUp = await jobfleet(['up', '--port', '0', '--node-name', `${node}-2`], { cwd: work });
    expect(secondUp.code).toBe(1);
    expect(secondUp.stderr).toBe(`error: cannot start jobfleet: ${locked}\n`);

    const name = uniqueJob();
    const run = await jobfleet(['run', '-f', jobFile(quickJob(name))], { cwd: work });
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n').at(-1)).toBe(`error: cannot start jobfleet: ${locked}`);
    expect(redisServersUsing(dataDir)).toHaveLength(1); // the first one's, untouched

    killGroup(up.child, 'SIGTERM');
    expect(await up.exited).toEqual({ code: 0, signal: null });
    expect(redisServersUsing(dataDir)).toEqual([]);
    expect(readdirSync(dataDir)).not.toContain('jobfleet.lock');
  });
});

describe('run follows only a jobfleet API at the default address', () => {
  it('another HTTP server on 127.0.0.1:8080 gets no Job: run starts an embedded jobfleet instead', async (context) => {
    const requests: string[] = [];
    const impostor = createServer((req: IncomingMessage, res) => {
      requests.push(`${req.method} ${req.url}`);
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    const listening = await new Promise<boolean>((resolve) => {
      impostor.once('error', () => resolve(false));
      impostor.listen(8080, '127.0.0.1', () => resolve(true));
    });
    if (!listening) return context.skip('127.0.0.1:8080 is taken on this machine');
    try {
      const name = uniqueJob();
      const run = await jobfleet(['run', '-f', jobFile(quickJob(name))], { cwd: work });
      expect(run.stderr).toContain('http://127.0.0.1:8080 answers but is not a jobfleet API (GET /version: HTTP 200): not using it\n');
      expect(run.stderr).toContain('Starting an embedded jobfleet (Redis data in .jobfleet/)');
      expect([run.code, run.stdout]).toEqual([0, 'done\n']);
      expect(requests).toEqual(['GET /version']);
    } finally {
      await new Promise((resolve) => impostor.close(resolve));
    }
  });
});
