/** Long-running commands (up, api, worker, janitor): serve until SIGINT/SIGTERM, then close gracefully. */
import type { ShutdownStack } from './system.js';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Resolves with the first SIGINT/SIGTERM; a second one exits at once with code 1. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onFirst = (signal: NodeJS.Signals) => {
      for (const name of SHUTDOWN_SIGNALS) process.off(name, onFirst);
      for (const name of SHUTDOWN_SIGNALS) process.once(name, forceExit);
      resolve(signal);
    };
    for (const name of SHUTDOWN_SIGNALS) process.on(name, onFirst);
  });
}

function forceExit(signal: NodeJS.Signals): void {
  process.stderr.write(`${signal} again: exiting without waiting for the shutdown to finish\n`);
  process.exit(1);
}

/**
 * Waits for the shutdown signal, closes everything started (reverse order), and reports close failures.
 * Call shutdownSignal() before starting anything, so a signal that arrives during startup is not lost.
 */
export async function serveUntilShutdown(stack: ShutdownStack, stopRequested: Promise<NodeJS.Signals>): Promise<void> {
  const signal = await stopRequested;
  process.stderr.write(`${signal} received, shutting down…\n`);
  const errors = await stack.closeAll();
  if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
  process.stderr.write('stopped\n');
}
