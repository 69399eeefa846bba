/** The client against an https server with a self-signed certificate (openssl makes a fresh one). */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fakeApiServer, jobAt, sendJson, type FakeApiServer } from './__tests__/fake-api-server.js';
import { JobfleetClient } from './client.js';
import { ServerUnreachableError } from './errors.js';

let dir: string;
let tls: { cert: Buffer; key: Buffer };
let server: FakeApiServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jobfleet-client-tls-'));
  const [key, cert] = [join(dir, 'tls.key'), join(dir, 'tls.crt')];
  const subject = ['-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'];
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', ...subject], { stdio: 'ignore' });
  tls = { cert: readFileSync(cert), key: readFileSync(key) };
  server = await fakeApiServer(async (request, response) => {
    if (request.url.pathname.endsWith('/log')) {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.write('one\ntw');
      await new Promise((resolve) => setTimeout(resolve, 20));
      response.end('o\n');
      return;
    }
    if (request.url.pathname.endsWith('/slow')) return; // never answers
    if (request.method === 'DELETE') {
      sendJson(response, 200, { kind: 'Status', status: 'Success' });
      return;
    }
    sendJson(response, request.url.pathname.endsWith('/missing') ? 404 : 200, request.url.pathname.endsWith('/missing') ? { kind: 'Status', code: 404, reason: 'NotFound', message: 'jobs.batch "missing" not found' } : jobAt('7'));
  }, { tls });
});
afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('https with a self-signed certificate', () => {
  it('given the certificate as `ca`: requests, bearer token, error answers and streamed logs work', async () => {
    const client = new JobfleetClient({ server: server.url, ca: tls.cert, token: 't0ken' });
    expect((await client.getJob('pi')).metadata.resourceVersion).toBe('7');
    expect(server.requests.at(-1)?.headers.authorization).toBe('Bearer t0ken');
    await expect(client.getJob('missing')).rejects.toThrow('jobs.batch "missing" not found');
    await client.deleteJob('pi');
    expect(JSON.parse(server.requests.at(-1)?.body ?? '{}')).toMatchObject({ propagationPolicy: 'Background' });
    const lines: string[] = [];
    for await (const line of client.streamLogs('pi-x')) lines.push(line);
    expect(lines).toEqual(['one', 'two']);
  });

  it('without it: ServerUnreachableError saying how to trust the certificate', async () => {
    const error = await new JobfleetClient({ server: server.url }).getJob('pi').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerUnreachableError);
    expect((error as Error).message).toBe(
      `cannot reach the jobfleet server at ${server.url} (self-signed certificate): trust the server's CA certificate: jobfleet --certificate-authority FILE (or JOBFLEET_CA_FILE), JobfleetClient's \`ca\` option`,
    );
  });

  it('insecureSkipTlsVerify skips the check', async () => {
    expect((await new JobfleetClient({ server: server.url, insecureSkipTlsVerify: true }).getJob('pi')).metadata.name).toBe('pi');
  });

  it('an abort rejects with the signal reason', async () => {
    const client = new JobfleetClient({ server: server.url, ca: tls.cert });
    const error = await client.getJob('slow', { signal: AbortSignal.timeout(100) }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('TimeoutError');
  });
});
