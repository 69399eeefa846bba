/**
 * The HTTP layer: URL building, bearer token, JSON bodies, and turning failures into errors —
 * non-2xx answers through @jobfleet/kube's fromStatus (metav1.Status bodies, or a synthesized
 * Status for anything else), unreachable servers into ServerUnreachableError.
 */
import { fromStatus, type Status } from '@jobfleet/kube';
import { ServerUnreachableError, TLS_HINT } from './errors.js';
import { nodeFetch } from './node-fetch.js';

export type Query = Record<string, string | number | boolean | undefined>;

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal | undefined;
  accept?: string;
  /** Content-Type of the body (default application/json). */
  contentType?: string;
}

const PROBLEM_BY_CODE: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'unknown host',
  EAI_AGAIN: 'unknown host',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
};

/**
 * Calls with a whole answer (create, get, list, patch, delete, evict, a log read whole, …) in
 * flight at once by default; more wait their turn. Each takes a connection of its own (HTTP/1.1),
 * kept alive for the next: without a bound, 1,000 concurrent calls opened 1,000 sockets (a file
 * descriptor and an accept each on both sides), and 1,000 Jobs submitted at once were all Complete
 * ~23 % later than through 64 reused ones (BENCHMARKS.md, session 7). Watches and followed logs
 * are long-lived streams and are not counted.
 */
export const DEFAULT_MAX_REQUESTS_IN_FLIGHT = 64;

/** A counting semaphore whose waiters leave the line when their signal aborts. */
class Slots {
  private free: number;
  private readonly waiting = new Set<() => void>();

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`maxRequestsInFlight must be a whole number of at least 1, not ${size}`);
    this.free = size;
  }

  async take(signal: AbortSignal | undefined): Promise<void> {
    signal?.throwIfAborted();
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => {
        this.waiting.delete(wake);
        reject(signal?.reason);
      };
      // give() hands its slot straight to the first waiter: free stays as it is.
      const wake = () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      this.waiting.add(wake);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  give(): void {
    const next = this.waiting.values().next();
    if (next.done) this.free++;
    else {
      this.waiting.delete(next.value);
      next.value();
    }
  }
}

export class HttpTransport {
  readonly server: string;
  private readonly fetchImpl: typeof fetch;
  private readonly slots: Slots;

  constructor(
    server: string,
    private readonly token: string | undefined,
    fetchImpl: typeof fetch = nodeFetch(),
    maxRequestsInFlight = DEFAULT_MAX_REQUESTS_IN_FLIGHT,
  ) {
    this.server = server.replace(/\/+$/, '');
    this.fetchImpl = (input, init) => fetchImpl(input, init);
    this.slots = new Slots(maxRequestsInFlight);
  }

  url(path: string, query: Query = {}): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    const search = params.toString();
    return `${this.server}${path}${search ? `?${search}` : ''}`;
  }

  /** Sends the request and returns the raw response, whatever its status. */
  async send(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { Accept: options.accept ?? 'application/json' };
    if (this.token) headers.Authorization = `Bearer ${this.token}`;
    if (options.body !== undefined) headers['Content-Type'] = options.contentType ?? 'application/json';
    try {
      return await this.fetchImpl(this.url(path, options.query), {
        method,
        headers,
        body: options.body === undefined ? null : JSON.stringify(options.body),
        signal: options.signal ?? null,
      });
    } catch (error) {
      throw this.connectionError(error);
    }
  }

  /** Like send, but a non-2xx answer becomes the matching error class. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const response = await this.send(method, path, options);
    if (!response.ok) throw fromStatus(await readStatus(response));
    return response;
  }

  /**
   * A call whose answer `read` takes whole (a non-2xx one becomes its error class): one of at most
   * maxRequestsInFlight at once, the others wait their turn. Streams (watches, followed logs) use request.
   */
  async call<T>(method: string, path: string, options: RequestOptions, read: (response: Response) => Promise<T>): Promise<T> {
    await this.slots.take(options.signal);
    try {
      return await read(await this.request(method, path, options));
    } finally {
      this.slots.give();
    }
  }

  json<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    return this.call(method, path, options, (response) => response.json() as Promise<T>);
  }

  /** fetch (nodeFetch, as undici) rejects with TypeError("fetch failed") whenever no HTTP answer came back; aborts pass through. */
  private connectionError(error: unknown): unknown {
    if (!(error instanceof TypeError) || error.message !== 'fetch failed') return error;
    const hint = isCertificateProblem(connectionErrorCode(error)) ? TLS_HINT : undefined;
    return new ServerUnreachableError(this.server, connectionProblem(error), { cause: error, ...(hint ? { hint } : {}) });
  }
}

/** The error code (ECONNREFUSED, …) buried in undici's "fetch failed" TypeError, if any. */
export function connectionErrorCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    const nested = current instanceof AggregateError ? current.errors[0] : undefined;
    current = nested ?? current.cause;
  }
  return undefined;
}

/** The server answered TLS with a certificate this client cannot verify (self-signed, unknown CA, wrong host, expired). */
function isCertificateProblem(code: string | undefined): boolean {
  return code !== undefined && /CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code);
}

function connectionProblem(error: TypeError): string {
  const code = connectionErrorCode(error);
  if (code !== undefined && PROBLEM_BY_CODE[code]) return PROBLEM_BY_CODE[code];
  return error.cause instanceof Error ? error.cause.message : (code ?? error.message);
}

/** The metav1.Status of a failed response; synthesized from the HTTP status when the body is not one. */
export async function readStatus(response: Response): Promise<Status> {
  const text = await response.text().catch(() => '');
  return parseStatus(text) ?? syntheticStatus(response.status, text.trim() || response.statusText);
}

export function parseStatus(text: string): Status | undefined {
  try {
    const value: unknown = JSON.parse(text);
    if (isStatus(value)) return value;
  } catch {
    // not JSON
  }
  return undefined;
}

export function isStatus(value: unknown): value is Status {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'Status';
}

/** Reasons client-go assigns to a bare HTTP code (k8s.io/apimachinery/pkg/api/errors NewGenericServerResponse). */
const REASON_BY_CODE: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

export function syntheticStatus(code: number, message: string): Status {
  const reason = REASON_BY_CODE[code] ?? ''; // StatusReasonUnknown: the error keeps its HTTP code
  const text = message.length > 300 ? `${message.slice(0, 300)}…` : message;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code, reason, message: text || `the server responded with HTTP ${code}` };
}
