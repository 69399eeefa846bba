/**
 * fetch over node:http and node:https: the client's transport. Node's global fetch (undici) cost
 * ~0.45 ms of CPU more per request on this machine (its web-stream and fetch-spec machinery): the
 * 1,000 Jobs of the benchmark, client and server in one process, took ~19 % less CPU over node:http
 * (BENCHMARKS.md, session 7). It also takes what Node 20's fetch takes only through an undici Agent
 * (the undici package is not a dependency): the CAs of a server signed by a private CA (a
 * self-signed `jobfleet up --tls-cert-file`), or no check at all. It covers what HttpTransport sends:
 * a method, headers, a string body and a signal; connections are kept alive (Node's global agents).
 * It fails like fetch: TypeError("fetch failed") with the cause when no answer came, the signal's
 * reason on an abort, and a streamed body that errors with TypeError("terminated") if the connection
 * drops mid-body. Redirects are not followed (the API server sends none). There is no body timeout
 * (undici's is 300 s): a watch ends when the server ends it, or when TCP keep-alive (the agents'
 * keepAlive sockets) finds the peer gone.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/** How an https server's certificate is checked: the client's and the CLI's options of the same names. */
export interface TlsOptions {
  /** PEM certificates of the CAs to trust (instead of the system's). */
  ca?: string | Buffer | undefined;
  /** Skip the check of the server's certificate (kubectl's --insecure-skip-tls-verify). */
  insecureSkipTlsVerify?: boolean | undefined;
}

/** Statuses whose Response must have no body. */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

/** fetch over node:http for http:// URLs and node:https (with `tls`) for https:// ones. */
export function nodeFetch(tls: TlsOptions = {}): typeof fetch {
  return (input, init = {}) =>
    new Promise<Response>((resolve, reject) => {
      if (typeof input !== 'string' && !(input instanceof URL)) throw new TypeError('nodeFetch takes a URL, not a Request');
      const signal = init.signal ?? undefined;
      signal?.throwIfAborted();
      const body = typeof init.body === 'string' ? Buffer.from(init.body) : undefined;
      const headers = Object.fromEntries(new Headers(init.headers));
      if (body) headers['content-length'] = String(body.length);
      const url = typeof input === 'string' ? new URL(input) : input;
      const req =
        url.protocol === 'https:'
          ? httpsRequest(url, { method: init.method ?? 'GET', headers, ...(tls.ca === undefined ? {} : { ca: tls.ca }), rejectUnauthorized: !tls.insecureSkipTlsVerify })
          : httpRequest(url, { method: init.method ?? 'GET', headers });
      const onAbort = () => req.destroy(signal?.reason instanceof Error ? signal.reason : undefined);
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = () => signal?.removeEventListener('abort', onAbort);
      req.once('error', (error) => {
        done();
        reject(signal?.aborted ? signal.reason : new TypeError('fetch failed', { cause: error }));
      });
      req.once('response', (res) => {
        res.once('close', done);
        const status = res.statusCode ?? 0;
        const body = NULL_BODY_STATUSES.has(status) || init.method === 'HEAD' ? null : bodyStream(res, signal);
        resolve(new Response(body, { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) }));
      });
      req.end(body);
    });
}

function responseHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    for (const item of Array.isArray(value) ? value : value === undefined ? [] : [value]) headers.append(name, item);
  }
  return headers;
}

/** The response body as a web stream, read as fast as its consumer reads. */
function bodyStream(res: IncomingMessage, signal: AbortSignal | undefined): ReadableStream<Uint8Array> {
  let settled = false;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      res.on('data', (chunk: Buffer) => {
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 1) <= 0) res.pause();
      });
      res.once('end', () => {
        settled = true;
        controller.close();
      });
      res.on('error', () => undefined); // reported through 'close' below
      res.once('close', () => {
        if (settled) return;
        settled = true;
        controller.error(signal?.aborted ? signal.reason : new TypeError('terminated'));
      });
    },
    pull() {
      res.resume();
    },
    cancel() {
      settled = true;
      res.destroy();
    },
  });
}
