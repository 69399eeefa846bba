/**
 * DockerEngine's guards against the real Docker Engine: names are checked before any request,
 * redirects are never followed, and every call that is not a stream has a deadline. The silent
 * engine is a unix socket that accepts connections and never answers (a boundary fake of a hung
 * daemon; the code under test is the client side).
 */
import { mkdtempSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerEngine, DockerUnreachableError, UnsafeNameError, assertDockerName, kubernetesArch } from './docker.js';

/** A TCP listener that records every connection it gets: nothing must ever reach it. */
let listener: Server;
let port = 0;
const received: string[] = [];
const uncaught: unknown[] = [];
const onUncaught = (err: unknown) => uncaught.push(err);

beforeAll(async () => {
  listener = createServer((s) => {
    received.push('connection');
    s.on('data', (d: Buffer) => received.push(d.toString().split('\r\n')[0] ?? ''));
    s.end();
  });
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as { port: number }).port;
  process.on('uncaughtException', onUncaught);
});
afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await new Promise((resolve) => listener.close(resolve));
});

describe('assertDockerName', () => {
  it.each([
    ['image', 'busybox'],
    ['image', 'busybox:1.36'],
    ['image', 'registry.example.com:5000/team/app@sha256:' + 'a'.repeat(64)],
    ['container', 'jf_default_pi-abcde_main'],
    ['container', 'a'.repeat(64)],
    ['volume', 'jf_6f1c8a3e-2b7d-4c1e-9f00-0123456789ab_data'],
  ] as const)('accepts the %s name %s', (kind, name) => {
    expect(assertDockerName(kind, name)).toBe(name);
  });

  it.each([
    ['image', 'busybox/../../../127.0.0.1:9999/x'],
    ['image', 'busybox/../../../nonexistent.invalid/x'],
    ['image', 'BusyBox'],
    ['image', 'busybox\u0000'],
    ['image', 'busy\nbox'],
    ['image', 'a'.repeat(300)],
    ['image', ''],
    ['container', '../x'],
    ['container', 'a/b'],
    ['container', 'x?all=1'],
    ['volume', '..'],
    ['volume', 'a b'],
  ] as const)('refuses the %s name %j', (kind, name) => {
    expect(() => assertDockerName(kind, name)).toThrow(UnsafeNameError);
  });

  it('refuses what is not a string', () => {
    expect(() => assertDockerName('image', { toString: () => 'busybox' })).toThrow(UnsafeNameError);
    expect(() => assertDockerName('container', undefined)).toThrow(UnsafeNameError);
  });
});

describe('kubernetesArch', () => {
  it.each([
    ['x86_64', 'amd64'],
    ['aarch64', 'arm64'],
    ['armv7l', 'arm'],
    ['ppc64le', 'ppc64le'],
    ['s390x', 's390x'],
    ['toString', 'toString'],
  ])('%s is %s', (machine, arch) => {
    expect(kubernetesArch(machine)).toBe(arch);
  });
});

describe('DockerEngine against the real engine', () => {
  const engine = new DockerEngine();

  it("reports the host's OS and architecture as the kubelet's Node labels", async () => {
    const labels = await engine.platformLabels();
    expect(labels['kubernetes.io/os']).toBe('linux');
    expect(labels['kubernetes.io/arch']).toBe(kubernetesArch((await engine.docker.info()).Architecture));
  });

  it('sends no request for an image name that would leave /images (the engine would redirect it)', async () => {
    await expect(engine.hasImage(`busybox/../../../127.0.0.1:${port}/x`)).rejects.toBeInstanceOf(UnsafeNameError);
    await expect(engine.create({ name: 'jf_x', Image: `busybox/../../../127.0.0.1:${port}/x` })).rejects.toBeInstanceOf(UnsafeNameError);
    await expect(engine.pull(`busybox/../../../127.0.0.1:${port}/x`, 1_000)).rejects.toBeInstanceOf(UnsafeNameError);
    expect(await engine.hasImage('busybox:latest')).toBe(true);
    expect(await engine.hasImage('jobfleet-test/never-built:none')).toBe(false);
  });

  it('never follows a redirect of the engine, even for a path nothing checked', async () => {
    // Straight through dockerode, as code that forgot the check would: Docker answers 301 with a Location on another host.
    const raw = engine.docker;
    await expect(raw.getImage(`busybox/../../../127.0.0.1:${port}/x`).inspect()).rejects.toThrow();
    await expect(raw.getImage('busybox/../../../nonexistent.invalid/x').inspect()).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 500)); // a followed redirect would arrive (or throw) meanwhile
    expect(received).toEqual([]);
    expect(uncaught).toEqual([]);
  });
});

describe('DockerEngine against an engine that does not answer', () => {
  let silent: Server;
  const sockets = new Set<Socket>();
  let socketPath = '';
  beforeAll(async () => {
    socketPath = join(mkdtempSync(join(tmpdir(), 'jobfleet-silent-')), 'docker.sock');
    silent = createServer((s) => sockets.add(s)); // reads nothing, answers nothing
    await new Promise<void>((resolve) => silent.listen(socketPath, resolve));
  });
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => silent.close(resolve));
  });

  it('bounds every call that is not a stream by its timeout', async () => {
    const engine = new DockerEngine(new Docker({ socketPath }), { timeoutMs: 300 });
    const timed = async (call: () => Promise<unknown>) => {
      const started = Date.now();
      const err = await call().then(() => undefined, (e: unknown) => e);
      return { err, ms: Date.now() - started };
    };
    for (const call of [
      () => engine.hasImage('busybox'),
      () => engine.inspect('abc'),
      () => engine.create({ name: 'jf_x', Image: 'busybox' }),
      () => engine.start('abc'),
      () => engine.stop('abc', 0),
      () => engine.remove('abc'),
      () => engine.createVolume('jf_v', {}),
      () => engine.listManaged({}),
    ]) {
      const { err, ms } = await timed(call);
      expect(err).toBeInstanceOf(DockerUnreachableError);
      expect(ms).toBeLessThan(3_000);
    }
    const { ms } = await timed(async () => expect(await engine.ping()).toBe(false));
    expect(ms).toBeLessThan(3_000);
  });

  it('notices during a wait that the engine stopped answering', async () => {
    const engine = new DockerEngine(new Docker({ socketPath }), { timeoutMs: 300 });
    const started = Date.now();
    await expect(engine.wait('abc', 100)).rejects.toBeInstanceOf(DockerUnreachableError);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('says at once that a missing socket does not answer', async () => {
    const engine = new DockerEngine(new Docker({ socketPath: join(tmpdir(), 'jobfleet-no-such-docker.sock') }), { timeoutMs: 10_000 });
    const started = Date.now();
    await expect(engine.inspect('abc')).rejects.toBeInstanceOf(DockerUnreachableError);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});
