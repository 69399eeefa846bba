/** How the CLI turns failures into its one-line `error: …` and its exit code. */
import { InvalidError, type StatusDetails } from '@jobfleet/kube';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Wrong arguments that commander cannot catch itself (e.g. an unknown resource type); exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A failure whose `error:` lines were already printed (e.g. per document by apply); exits 1 silently. */
export class AlreadyReportedError extends Error {
  override readonly name = 'AlreadyReportedError';
}

/** Ctrl-C during a command that handles it (run); exits 130. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/** The message printed after `error: `, always one line. */
export function errorMessage(error: unknown): string {
  if (error instanceof InvalidError) return oneLine(invalidMessage(error.details ?? {}, error.message));
  return oneLine(error instanceof Error ? error.message : String(error));
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof InterruptedError) return EXIT_INTERRUPTED;
  return EXIT_FAILURE;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, '; ');
}

/**
 * kubectl's wording for 422 Invalid (cmdutil StandardErrorMessage): `The Job "pi" is invalid: field: message`,
 * several causes bracketed on one line (kubectl prints them as `* field: message` lines).
 */
export function invalidMessage(details: StatusDetails, serverMessage = ''): string {
  const { kind, name, causes = [] } = details;
  if (!kind && !name && causes.length === 0) return serverMessage ? `The request is invalid: ${serverMessage}` : 'The request is invalid';
  const subject = kind || name ? `The ${kind ?? ''} ${JSON.stringify(name ?? '')} is invalid` : 'The request is invalid';
  const problems = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message));
  if (problems.length === 0) return subject;
  if (problems.length === 1) return `${subject}: ${problems[0]}`;
  return `${subject}: [${problems.join(', ')}]`;
}
