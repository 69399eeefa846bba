/** Query parameters every write takes (create, update, patch, delete): dryRun and fieldValidation. */
import type { FastifyRequest } from 'fastify';
import { BadRequestError, JobfleetError } from '@jobfleet/kube';
import { queryString, queryStrings } from './http.js';

export const FIELD_VALIDATION_VALUES = ['Ignore', 'Strict', 'Warn'] as const;

export interface WriteOptions {
  /** dryRun=All: validate and answer, write nothing. */
  dryRun: boolean;
}

/**
 * Reads dryRun and fieldValidation. Every directive is accepted, and jobfleet validates as Strict
 * whatever is asked: a field it does not know is always an error, never silently dropped.
 */
export function writeOptions(req: FastifyRequest): WriteOptions {
  // dryRun is a list in Kubernetes' options (every value counts, repeated or not); "All" is the one directive.
  const dryRuns = queryStrings(req, 'dryRun');
  const unsupported = dryRuns.find((v) => v !== '' && v !== 'All');
  if (unsupported !== undefined) {
    throw new BadRequestError(`dryRun: Unsupported value: "${unsupported}": supported values: "All"`);
  }
  const validation = queryString(req, 'fieldValidation');
  if (validation !== undefined && validation !== '' && !(FIELD_VALIDATION_VALUES as readonly string[]).includes(validation)) {
    throw new BadRequestError(`fieldValidation: Unsupported value: "${validation}": supported values: "Ignore", "Strict", "Warn"`);
  }
  return { dryRun: dryRuns.includes('All') };
}

/** 405, for verbs a resource does not support (e.g. writes to jobs/status). */
export function methodNotAllowed(message = 'the server does not allow this method on the requested resource'): JobfleetError {
  return new JobfleetError(message, 405, 'MethodNotAllowed');
}
