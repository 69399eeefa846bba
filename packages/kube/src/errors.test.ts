import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictError,
  GoneError,
  InternalError,
  InvalidError,
  JobfleetError,
  NotFoundError,
  RequestEntityTooLargeError,
  ServiceUnavailableError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  fromStatus,
  toStatus,
} from './errors.js';
import { invalid, required } from './field-errors.js';
import type { Status } from './types.js';

const restartPolicyRequired = required('spec.template.spec.restartPolicy', 'valid values: "OnFailure", "Never"');

describe('toStatus', () => {
  it('Invalid matches the reference Status exactly', () => {
    const reference = JSON.parse(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","code":422,"reason":"Invalid",' +
        '"message":"Job.batch \\"pi\\" is invalid: spec.template.spec.restartPolicy: Required value: valid values: \\"OnFailure\\", \\"Never\\"",' +
        '"details":{"name":"pi","group":"batch","kind":"Job","causes":[{"reason":"FieldValueRequired",' +
        '"message":"Required value: valid values: \\"OnFailure\\", \\"Never\\"","field":"spec.template.spec.restartPolicy"}]}}',
    ) as unknown;
    const status = toStatus(new InvalidError({ name: 'pi', errors: [restartPolicyRequired] }));
    expect(status).toStrictEqual(reference);
  });

  it('serializes in Kubernetes field order', () => {
    const status = toStatus(new NotFoundError({ group: 'batch', resource: 'jobs', name: 'pi' }));
    expect(JSON.stringify(status)).toBe(
      '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"jobs.batch \\"pi\\" not found",' +
        '"reason":"NotFound","details":{"name":"pi","group":"batch","kind":"jobs"},"code":404}',
    );
  });

  it('Invalid with several errors brackets them and keeps one cause each', () => {
    const errors = [invalid('spec.completions', -1, 'must be greater than or equal to 0'), restartPolicyRequired];
    const status = toStatus(new InvalidError({ name: 'pi', errors }));
    expect(status.message).toBe(
      'Job.batch "pi" is invalid: [spec.completions: Invalid value: -1: must be greater than or equal to 0, ' +
        'spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"]',
    );
    expect(status.details?.causes).toHaveLength(2);
  });

  it('Invalid drops repeated messages from the text, as Kubernetes aggregates do', () => {
    const status = toStatus(new InvalidError({ name: 'pi', errors: [restartPolicyRequired, restartPolicyRequired] }));
    expect(status.message).toBe(
      'Job.batch "pi" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"',
    );
  });

  it.each<{ name: string; error: unknown; code: number; reason: string; message: string; details?: Status['details'] }>([
    { name: 'bad request', error: new BadRequestError('bad'), code: 400, reason: 'BadRequest', message: 'bad' },
    { name: 'unauthorized', error: new UnauthorizedError(), code: 401, reason: 'Unauthorized', message: 'Unauthorized' },
    {
      name: 'not found in the core group',
      error: new NotFoundError({ group: '', resource: 'pods', name: 'x' }),
      code: 404,
      reason: 'NotFound',
      message: 'pods "x" not found',
      details: { name: 'x', kind: 'pods' },
    },
    {
      name: 'already exists',
      error: new AlreadyExistsError({ group: 'batch', resource: 'jobs', name: 'pi' }),
      code: 409,
      reason: 'AlreadyExists',
      message: 'jobs.batch "pi" already exists',
      details: { name: 'pi', group: 'batch', kind: 'jobs' },
    },
    {
      name: 'conflict',
      error: new ConflictError({ group: 'batch', resource: 'jobs', name: 'pi' }),
      code: 409,
      reason: 'Conflict',
      message:
        'Operation cannot be fulfilled on jobs.batch "pi": the object has been modified; please apply your changes to the latest version and try again',
      details: { name: 'pi', group: 'batch', kind: 'jobs' },
    },
    { name: 'expired', error: new GoneError('too old resource version: 1 (5)'), code: 410, reason: 'Expired', message: 'too old resource version: 1 (5)' },
    { name: 'gone', error: new GoneError('gone', 'Gone'), code: 410, reason: 'Gone', message: 'gone' },
    { name: 'too large', error: new RequestEntityTooLargeError(), code: 413, reason: 'RequestEntityTooLarge', message: 'Request entity too large' },
    { name: 'media type', error: new UnsupportedMediaTypeError('nope'), code: 415, reason: 'UnsupportedMediaType', message: 'nope' },
    { name: 'internal', error: new InternalError('boom'), code: 500, reason: 'InternalError', message: 'boom' },
    {
      name: 'unavailable with retry',
      error: new ServiceUnavailableError('redis down', 5),
      code: 503,
      reason: 'ServiceUnavailable',
      message: 'redis down',
      details: { retryAfterSeconds: 5 },
    },
    { name: 'a plain Error', error: new Error('disk full'), code: 500, reason: 'InternalError', message: 'Internal error occurred: disk full' },
    { name: 'a thrown string', error: 'oops', code: 500, reason: 'InternalError', message: 'Internal error occurred: oops' },
  ])('$name', ({ error, code, reason, message, details }) => {
    expect(toStatus(error)).toStrictEqual({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message,
      reason,
      ...(details ? { details } : {}),
      code,
    });
  });
});

describe('fromStatus', () => {
  it.each<{ name: string; error: JobfleetError; type: abstract new (...args: never[]) => JobfleetError }>([
    { name: 'BadRequest', error: new BadRequestError('bad'), type: BadRequestError },
    { name: 'Unauthorized', error: new UnauthorizedError(), type: UnauthorizedError },
    { name: 'NotFound', error: new NotFoundError({ group: 'batch', resource: 'jobs', name: 'pi' }), type: NotFoundError },
    { name: 'AlreadyExists', error: new AlreadyExistsError({ group: 'batch', resource: 'jobs', name: 'pi' }), type: AlreadyExistsError },
    { name: 'Conflict', error: new ConflictError({ group: 'batch', resource: 'jobs', name: 'pi', detail: 'other' }), type: ConflictError },
    { name: 'Expired', error: new GoneError('old'), type: GoneError },
    { name: 'RequestEntityTooLarge', error: new RequestEntityTooLargeError(), type: RequestEntityTooLargeError },
    { name: 'UnsupportedMediaType', error: new UnsupportedMediaTypeError('x'), type: UnsupportedMediaTypeError },
    {
      name: 'Invalid',
      error: new InvalidError({ name: 'pi', errors: [invalid('spec.completions', -1, 'must be greater than or equal to 0'), restartPolicyRequired] }),
      type: InvalidError,
    },
    { name: 'InternalError', error: new InternalError('boom'), type: InternalError },
    { name: 'ServiceUnavailable', error: new ServiceUnavailableError('later', 3), type: ServiceUnavailableError },
  ])('$name comes back as the same class and the same Status', ({ error, type }) => {
    const status = toStatus(error);
    const restored = fromStatus(status);
    expect(restored).toBeInstanceOf(type);
    expect(restored).toBeInstanceOf(JobfleetError);
    expect(restored.name).toBe(error.name);
    expect(restored.message).toBe(error.message);
    expect(toStatus(restored)).toStrictEqual(status);
  });

  it('keeps the field errors of an Invalid', () => {
    const restored = fromStatus(toStatus(new InvalidError({ name: 'pi', errors: [restartPolicyRequired] })));
    expect(restored).toBeInstanceOf(InvalidError);
    const [first] = (restored as InvalidError).errors;
    expect(first?.field).toBe('spec.template.spec.restartPolicy');
    expect(first?.type).toBe('FieldValueRequired');
  });

  it('reads the reason from the code when the Status has none', () => {
    const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'the server could not find the requested resource', code: 404 };
    const restored = fromStatus(status);
    expect(restored).toBeInstanceOf(NotFoundError);
    expect(restored.message).toBe('the server could not find the requested resource');
  });

  it('keeps code and reason of an unknown reason', () => {
    const status: Status = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'slow down', reason: 'TooManyRequests', code: 429 };
    const restored = fromStatus(status);
    expect(restored).toBeInstanceOf(JobfleetError);
    expect(restored).not.toBeInstanceOf(NotFoundError);
    expect([restored.code, restored.reason, restored.message]).toStrictEqual([429, 'TooManyRequests', 'slow down']);
  });
});

describe('error classes', () => {
  it('set their name and stay Errors', () => {
    const err = new ConflictError({ group: 'batch', resource: 'jobs', name: 'pi' });
    expect(err.name).toBe('ConflictError');
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(NotFoundError);
  });

  it('recognise instances made by another copy of the package', () => {
    // Another copy has its own classes; they share only the class names and the global brand symbol.
    const otherCopy = { NotFoundError: class NotFoundError extends JobfleetError {} };
    const err = new NotFoundError({ group: '', resource: 'pods', name: 'x' });
    expect(err).toBeInstanceOf(otherCopy.NotFoundError);
    expect(new otherCopy.NotFoundError('x', 404, 'NotFound')).not.toBeInstanceOf(ConflictError);
  });
});
