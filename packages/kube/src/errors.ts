/**
 * jobfleet's one error hierarchy. Every class maps to a Kubernetes metav1.Status (toStatus) and
 * back (fromStatus), so the API server and the client agree on code, reason, message and details.
 */
import {
  FIELD_ERROR_TYPE_TEXT,
  OMIT_VALUE,
  fieldErrorBody,
  formatFieldError,
  goQuote,
  type FieldError,
  type FieldErrorType,
} from './field-errors.js';
import type { Status, StatusCause } from './types.js';

export type StatusDetails = NonNullable<Status['details']>;

/** A named object of a resource, e.g. {group: 'batch', resource: 'jobs', name: 'pi'}; group '' is core. */
export interface ResourceRef {
  group: string;
  resource: string;
  name: string;
}

const BRANDS = Symbol.for('@jobfleet/kube.errorClassNames');

/** Kubernetes StatusReason for codes whose Status carries no (known) reason. */
const REASON_BY_CODE: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  404: 'NotFound',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  500: 'InternalError',
  503: 'ServiceUnavailable',
};

export class JobfleetError extends Error {
  /**
   * instanceof compares class names recorded on the instance, so it still works when two copies
   * of this package are loaded (e.g. the client's and the CLI's).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    const names: unknown = typeof value === 'object' && value !== null ? Reflect.get(value, BRANDS) : undefined;
    return Array.isArray(names) && names.includes(this.name);
  }

  override name = 'JobfleetError';
  /** HTTP status code. */
  readonly code: number;
  /** Kubernetes StatusReason, e.g. "NotFound". */
  readonly reason: string;
  readonly details: StatusDetails | undefined;

  constructor(message: string, code = 500, reason = 'InternalError', details?: StatusDetails) {
    super(message);
    this.code = code;
    this.reason = reason;
    this.details = details;
    Object.defineProperty(this, BRANDS, { value: classNames(new.target) });
  }
}

export class BadRequestError extends JobfleetError {
  override name = 'BadRequestError';
  constructor(message: string) {
    super(message, 400, 'BadRequest');
  }
}

export class UnauthorizedError extends JobfleetError {
  override name = 'UnauthorizedError';
  constructor(message = 'Unauthorized') {
    super(message, 401, 'Unauthorized');
  }
}

export interface ResourceErrorInit extends ResourceRef {
  /** Replaces the built message; used when re-creating an error from a server's Status. */
  message?: string;
}

export class NotFoundError extends JobfleetError {
  override name = 'NotFoundError';
  readonly target: ResourceRef;
  constructor(init: ResourceErrorInit) {
    super(init.message ?? `${describeObject(init)} not found`, 404, 'NotFound', resourceDetails(init));
    this.target = resourceRef(init);
  }
}

export class AlreadyExistsError extends JobfleetError {
  override name = 'AlreadyExistsError';
  readonly target: ResourceRef;
  constructor(init: ResourceErrorInit) {
    super(init.message ?? `${describeObject(init)} already exists`, 409, 'AlreadyExists', resourceDetails(init));
    this.target = resourceRef(init);
  }
}

export const CONFLICT_DETAIL =
  'the object has been modified; please apply your changes to the latest version and try again';

export interface ConflictErrorInit extends ResourceErrorInit {
  /** Why the write was refused; defaults to the stale-resourceVersion text. */
  detail?: string;
}

export class ConflictError extends JobfleetError {
  override name = 'ConflictError';
  readonly target: ResourceRef;
  constructor(init: ConflictErrorInit) {
    const detail = init.detail ?? CONFLICT_DETAIL;
    super(init.message ?? `Operation cannot be fulfilled on ${describeObject(init)}: ${detail}`, 409, 'Conflict', resourceDetails(init));
    this.target = resourceRef(init);
  }
}

/** 410: a watch or list asked for a resourceVersion that is no longer kept. */
export class GoneError extends JobfleetError {
  override name = 'GoneError';
  constructor(message: string, reason: 'Expired' | 'Gone' = 'Expired') {
    super(message, 410, reason);
  }
}

export class RequestEntityTooLargeError extends JobfleetError {
  override name = 'RequestEntityTooLargeError';
  constructor(message = 'Request entity too large') {
    super(message, 413, 'RequestEntityTooLarge');
  }
}

export class UnsupportedMediaTypeError extends JobfleetError {
  override name = 'UnsupportedMediaTypeError';
  constructor(message: string) {
    super(message, 415, 'UnsupportedMediaType');
  }
}

export interface InvalidErrorInit {
  /** The object's name ('' when it has only generateName). */
  name: string;
  errors: readonly FieldError[];
  kind?: string;
  group?: string;
  /** Replaces the built message; used when re-creating an error from a server's Status. */
  message?: string;
  /** Replaces the causes built from `errors`; used when re-creating an error from a server's Status. */
  causes?: StatusCause[];
}

/** 422, carrying every FieldError found (Kubernetes' errors.NewInvalid). */
export class InvalidError extends JobfleetError {
  override name = 'InvalidError';
  readonly errors: readonly FieldError[];
  readonly target: { group: string; kind: string; name: string };
  constructor(init: InvalidErrorInit) {
    const target = { group: init.group ?? 'batch', kind: init.kind ?? 'Job', name: init.name };
    const causes = init.causes ?? init.errors.map(toStatusCause);
    super(init.message ?? invalidMessage(target, init.errors), 422, 'Invalid', invalidDetails(target, causes));
    this.errors = init.errors;
    this.target = target;
  }
}

export class InternalError extends JobfleetError {
  override name = 'InternalError';
  constructor(message: string) {
    super(message, 500, 'InternalError');
  }
}

export class ServiceUnavailableError extends JobfleetError {
  override name = 'ServiceUnavailableError';
  constructor(message: string, retryAfterSeconds?: number) {
    super(message, 503, 'ServiceUnavailable', retryAfterSeconds === undefined ? undefined : { retryAfterSeconds });
  }
}

/** Any thrown value as a JobfleetError; unknown ones become 500s as Kubernetes' NewInternalError does. */
export function toJobfleetError(err: unknown): JobfleetError {
  if (err instanceof JobfleetError) return err;
  const text = err instanceof Error ? err.message : String(err);
  return new InternalError(`Internal error occurred: ${text}`);
}

/** The metav1.Status body for an error, with Kubernetes' field order. */
export function toStatus(err: unknown): Status {
  const e = toJobfleetError(err);
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message: e.message,
    reason: e.reason,
    ...(e.details ? { details: e.details } : {}),
    code: e.code,
  };
}

/** The error class matching a Status (by reason, else by code); unknown ones stay plain JobfleetErrors. */
export function fromStatus(status: Status): JobfleetError {
  const reason = status.reason || REASON_BY_CODE[status.code] || '';
  const build = STATUS_READERS[reason];
  if (build) return build(status, status.message ?? '');
  return new JobfleetError(status.message ?? '', status.code, reason, status.details);
}

type StatusReader = (status: Status, message: string) => JobfleetError;

const STATUS_READERS: Readonly<Record<string, StatusReader>> = {
  BadRequest: (_, message) => new BadRequestError(message),
  Unauthorized: (_, message) => new UnauthorizedError(message),
  NotFound: (s, message) => new NotFoundError({ ...refFromDetails(s), message }),
  AlreadyExists: (s, message) => new AlreadyExistsError({ ...refFromDetails(s), message }),
  Conflict: (s, message) => new ConflictError({ ...refFromDetails(s), message }),
  Expired: (_, message) => new GoneError(message, 'Expired'),
  Gone: (_, message) => new GoneError(message, 'Gone'),
  RequestEntityTooLarge: (_, message) => new RequestEntityTooLargeError(message),
  UnsupportedMediaType: (_, message) => new UnsupportedMediaTypeError(message),
  Invalid: (s, message) => invalidFromStatus(s, message),
  InternalError: (_, message) => new InternalError(message),
  ServiceUnavailable: (s, message) => new ServiceUnavailableError(message, s.details?.retryAfterSeconds),
};

function invalidFromStatus(status: Status, message: string): InvalidError {
  const details = status.details ?? {};
  const causes = details.causes ?? [];
  return new InvalidError({
    name: details.name ?? '',
    kind: details.kind ?? '',
    group: details.group ?? '',
    errors: causes.map(fieldErrorFromCause),
    message,
    causes,
  });
}

/** Rebuilds a FieldError whose formatted text equals the cause's (the bad value stays inside `detail`). */
function fieldErrorFromCause(cause: StatusCause): FieldError {
  const type = cause.reason as FieldErrorType;
  const typeText: string | undefined = FIELD_ERROR_TYPE_TEXT[type];
  const startsWithType = typeText !== undefined && cause.message.startsWith(typeText);
  const detail = startsWithType ? cause.message.slice(typeText.length).replace(/^: /, '') : cause.message;
  return { type, field: cause.field ?? '', badValue: OMIT_VALUE, detail };
}

function refFromDetails(status: Status): ResourceRef {
  const d = status.details ?? {};
  return { group: d.group ?? '', resource: d.kind ?? '', name: d.name ?? '' };
}

function resourceRef(init: ResourceRef): ResourceRef {
  return { group: init.group, resource: init.resource, name: init.name };
}

/** `jobs.batch "pi"`, or `pods "x"` for the core group. */
function describeObject(ref: ResourceRef): string {
  const qualified = ref.group ? `${ref.resource}.${ref.group}` : ref.resource;
  return `${qualified} ${goQuote(ref.name)}`;
}

/** Status details of resource errors: `kind` holds the resource ("jobs"), empty group left out. */
function resourceDetails(ref: ResourceRef): StatusDetails {
  return { name: ref.name, ...(ref.group ? { group: ref.group } : {}), kind: ref.resource };
}

function invalidMessage(target: { group: string; kind: string; name: string }, errors: readonly FieldError[]): string {
  const qualifiedKind = target.group ? `${target.kind}.${target.group}` : target.kind;
  const head = `${qualifiedKind} ${goQuote(target.name)} is invalid`;
  return errors.length === 0 ? head : `${head}: ${aggregateMessage(errors.map(formatFieldError))}`;
}

/** Kubernetes' utilerrors.Aggregate text: duplicates dropped, brackets only around several. */
function aggregateMessage(messages: readonly string[]): string {
  const unique = [...new Set(messages)];
  return unique.length === 1 ? (unique[0] ?? '') : `[${unique.join(', ')}]`;
}

function invalidDetails(target: { group: string; kind: string; name: string }, causes: StatusCause[]): StatusDetails {
  return { name: target.name, ...(target.group ? { group: target.group } : {}), kind: target.kind, causes };
}

function toStatusCause(e: FieldError): StatusCause {
  return { reason: e.type, message: fieldErrorBody(e), ...(e.field ? { field: e.field } : {}) };
}

/** Class names from the instance's class up to (not including) Error. */
function classNames(ctor: unknown): string[] {
  const names: string[] = [];
  for (let c = ctor; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) names.push(c.name);
  return names;
}
