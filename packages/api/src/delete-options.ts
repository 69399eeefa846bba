/**
 * metav1.DeleteOptions of a pod DELETE, deletecollection or Eviction: from the body (JSON or YAML)
 * and the query, the query winning as in the API server. The body is untrusted: every option is
 * type-checked before use (a 400 names the bad one).
 */
import type { FastifyRequest } from 'fastify';
import { BadRequestError, formatBadValue } from '@jobfleet/kube';
import { decodeBody, parseQueryInt, queryString } from './http.js';
import { writeOptions } from './write-options.js';

export interface DeleteOptions {
  dryRun: boolean;
  gracePeriodSeconds?: number;
  uid?: string;
  resourceVersion?: string;
}

const PROPAGATION_POLICIES = ['Background', 'Foreground', 'Orphan'];

/** The body of a DELETE (which may be empty), as an object. */
export function deleteBody(req: FastifyRequest): Record<string, unknown> {
  const body = req.body;
  const empty = body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0) || body === '';
  return empty ? {} : decodeBody(req);
}

/** Checks a DeleteOptions object (a DELETE's body, or an Eviction's deleteOptions) with the query's values. */
export function readDeleteOptions(req: FastifyRequest, options: Record<string, unknown>): DeleteOptions {
  const { dryRun: queryDryRun } = writeOptions(req);
  const dryRunBody = options.dryRun;
  if (dryRunBody !== undefined && dryRunBody !== null && (!Array.isArray(dryRunBody) || !dryRunBody.every((v) => v === 'All'))) {
    throw new BadRequestError(`dryRun: Unsupported value: ${formatBadValue(dryRunBody)}: supported values: "All"`);
  }
  const dryRun = queryDryRun || (Array.isArray(dryRunBody) && dryRunBody.length > 0);
  // Pods have no dependents here: every propagation policy deletes just the pod, as in Kubernetes.
  const policy = queryString(req, 'propagationPolicy') ?? options.propagationPolicy;
  if (policy !== undefined && policy !== null && (typeof policy !== 'string' || !PROPAGATION_POLICIES.includes(policy))) {
    throw new BadRequestError(`propagationPolicy: Unsupported value: ${formatBadValue(policy)}: supported values: "Background", "Foreground", "Orphan"`);
  }
  const preconditions = options.preconditions ?? {};
  const stringOrUnset = (v: unknown) => v === undefined || v === null || typeof v === 'string';
  if (typeof preconditions !== 'object' || preconditions === null || Array.isArray(preconditions)) {
    throw new BadRequestError(`preconditions: Invalid value: ${formatBadValue(preconditions)}: must be an object with string uid and resourceVersion`);
  }
  const { uid, resourceVersion } = preconditions as { uid?: unknown; resourceVersion?: unknown };
  if (!stringOrUnset(uid) || !stringOrUnset(resourceVersion)) {
    throw new BadRequestError(`preconditions: Invalid value: ${formatBadValue(preconditions)}: must be an object with string uid and resourceVersion`);
  }
  const graceQuery = queryString(req, 'gracePeriodSeconds');
  const grace = graceQuery !== undefined ? parseQueryInt(graceQuery) : options.gracePeriodSeconds;
  if (grace !== undefined && grace !== null && (typeof grace !== 'number' || !Number.isSafeInteger(grace))) {
    throw new BadRequestError(`gracePeriodSeconds: Invalid value: ${formatBadValue(grace)}: must be an integer`);
  }
  return {
    dryRun,
    ...(typeof grace === 'number' ? { gracePeriodSeconds: grace } : {}),
    ...(typeof uid === 'string' && uid !== '' ? { uid } : {}),
    ...(typeof resourceVersion === 'string' && resourceVersion !== '' ? { resourceVersion } : {}),
  };
}
