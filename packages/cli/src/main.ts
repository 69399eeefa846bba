/** Runs the CLI and maps the outcome to an exit code: 0 ok, 1 failure, 2 usage error (130 on Ctrl-C in run). */
import { CommanderError } from 'commander';
import { AlreadyReportedError, errorMessage, EXIT_OK, EXIT_USAGE, exitCodeOf } from './errors.js';
import { buildProgram } from './program.js';

const COMMANDER_SUCCESS = new Set(['commander.helpDisplayed', 'commander.version']);

export async function main(args: readonly string[]): Promise<number> {
  try {
    await buildProgram().parseAsync([...args], { from: 'user' });
    return EXIT_OK;
  } catch (error) {
    return handleError(error);
  }
}

function handleError(error: unknown): number {
  if (error instanceof CommanderError) {
    // commander already printed its message (or the help); every other outcome is a usage error.
    return COMMANDER_SUCCESS.has(error.code) ? EXIT_OK : EXIT_USAGE;
  }
  if (!(error instanceof AlreadyReportedError)) process.stderr.write(`error: ${errorMessage(error)}\n`);
  return exitCodeOf(error);
}
