/**
 * fakeApiServer — a BOUNDARY FAKE. It stands in for the jobfleet API server only to test what is the
 * client's own business: turning metav1.Status bodies into error classes, framing the watch stream
 * however its bytes are chunked, reconnecting, and the 410 / polling fallbacks. It implements no
 * Job semantics. The client is tested against the real server in packages/e2e.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Job, Status } from '@jobfleet/kube';

export interface FakeRequest {
  method: string;
  url: URL;
  headers: IncomingMessage['headers'];
  body: string;
}

export type FakeHandler = (request: FakeRequest, response: ServerResponse) => void | Promise<void>;

export interface FakeApiServer {
  url: string;
  requests: FakeRequest[];
  close(): Promise<void>;
}

/** With `tls` (PEM certificate and key) the fake serves https. */
export async function fakeApiServer(handler: FakeHandler, options: { tls?: { cert: string | Buffer; key: string | Buffer } } = {}): Promise<FakeApiServer> {
  const requests: FakeRequest[] = [];
  const listener = (incoming: IncomingMessage, response: ServerResponse) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request = { method: incoming.method ?? 'GET', url: new URL(incoming.url ?? '/', 'http://fake'), headers: incoming.headers, body: Buffer.concat(chunks).toString() };
      requests.push(request);
      Promise.resolve(handler(request, response)).catch((error: unknown) => {
        response.destroy(error instanceof Error ? error : new Error(String(error)));
      });
    });
  };
  const server = options.tls ? createHttpsServer(options.tls, listener) : createServer(listener);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(response: ServerResponse, code: number, body: unknown): void {
  response.writeHead(code, { 'Content-Type': 'application/json' });
  response.end(JSON.stringify(body));
}

export function statusBody(code: number, reason: string, message: string, details?: Status['details']): Status {
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, ...(details ? { details } : {}), code };
}

/** A Job at a resourceVersion, optionally with a True condition. */
export function jobAt(resourceVersion: string, condition?: { type: 'Complete' | 'Failed'; reason?: string; message?: string }): Job {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'pi', namespace: 'default', uid: 'uid-1', resourceVersion },
    spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
    status: condition ? { conditions: [{ type: condition.type, status: 'True', reason: condition.reason, message: condition.message }] } : {},
  };
}

export function watchLine(type: string, object: unknown): string {
  return `${JSON.stringify({ type, object })}\n`;
}

export const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
