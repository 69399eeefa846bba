/** How the CLI turns failures into its one-line `error: …` and its exit code. */
import type { Status } from '@jobfleet/spec';

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** Wrong arguments that commander cannot catch itself (e.g. an unknown resource type); exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Ctrl-C during a command that handles it (run); exits 130. */
export class InterruptedError extends Error {
  override readonly name = 'InterruptedError';
}

/** The message printed after `error: `, always one line. */
export function errorMessage(error: unknown): string {
  const status = statusOf(error);
  const message = (status && invalidMessage(status)) ?? (error instanceof Error ? error.message : String(error));
  return oneLine(message);
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof InterruptedError) return EXIT_INTERRUPTED;
  return EXIT_FAILURE;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, '; ');
}

/** The metav1.Status an API error was built from, if it carries one. */
function statusOf(error: unknown): Status | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'object' && status !== null && (status as { kind?: unknown }).kind === 'Status' ? (status as Status) : undefined;
}

/**
 * kubectl's wording for 422 Invalid (cmdutil StandardErrorMessage): `The Job "pi" is invalid: field: message`,
 * several causes bracketed on one line. Undefined for other statuses.
 */
export function invalidMessage(status: Status): string | undefined {
  if (status.reason !== 'Invalid' || !status.details) return undefined;
  const { kind, name, causes = [] } = status.details;
  const subject = kind || name ? `The ${kind ?? ''} ${JSON.stringify(name ?? '')} is invalid` : 'The request is invalid';
  const problems = causes.map((cause) => (cause.field ? `${cause.field}: ${cause.message}` : cause.message));
  if (problems.length === 0) return subject;
  if (problems.length === 1) return `${subject}: ${problems[0]}`;
  return `${subject}: [${problems.join(', ')}]`;
}
