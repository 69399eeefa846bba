/** Long-running commands (up, api, worker, janitor): serve until SIGINT/SIGTERM, then close gracefully. */
import type { Logger } from '@jobfleet/controllers';
import type { RedisFlags, RedisSettings } from './redis-settings.js';
import { roleLogger, roleRedis, type LogFlags } from './role-options.js';
import { checkRedis, ShutdownStack } from './system.js';

const SHUTDOWN_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** Exit code of a process stopped by a signal before it finished starting (128 + SIGTERM's number, as shells report). */
const EXIT_STOPPED_DURING_STARTUP = 143;

/** Resolves with the first SIGINT/SIGTERM; a second one exits at once with code 1. */
function shutdownSignal(): Promise<NodeJS.Signals> {
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
 * Runs `start` (which pushes what it starts onto `stack`), serves until SIGINT/SIGTERM, then closes
 * everything in reverse order, each step bounded (see ShutdownStack). The signal listeners are in
 * place before `start` runs: a signal during startup closes whatever already started and exits, since
 * a start that waits on an unreachable dependency may never finish.
 */
export async function serve(stack: ShutdownStack, start: () => Promise<void>): Promise<void> {
  const stopRequested = shutdownSignal();
  const started = start().then(
    () => undefined,
    async (error: unknown) => {
      // What started before the failure (connections, an embedded Redis) must not keep the process alive.
      await stack.closeAll();
      throw error;
    },
  );
  const signalDuringStartup = await Promise.race([started, stopRequested]);
  if (signalDuringStartup) {
    started.catch(() => undefined); // a start cut short by the shutdown fails: expected
    process.stderr.write(`${signalDuringStartup} received before startup finished, stopping…\n`);
    await closeAll(stack);
    process.exit(EXIT_STOPPED_DURING_STARTUP);
  }
  let signal: NodeJS.Signals;
  try {
    signal = await Promise.race([stopRequested, stack.failed]);
  } catch (error) {
    // A role failed for good: everything else stops too, and the command fails with its reason.
    await closeAll(stack).catch(() => undefined);
    throw error;
  }
  process.stderr.write(`${signal} received, shutting down…\n`);
  await closeAll(stack);
  process.stderr.write('stopped\n');
}

async function closeAll(stack: ShutdownStack): Promise<void> {
  const errors = await stack.closeAll();
  if (errors.length > 0) throw new AggregateError(errors, errors.map((e) => e.message).join('; '));
}

/**
 * A role command (api, worker, janitor): its Redis from the flags (checked before anything starts),
 * its logger, then `start` under serve(); the line `start` answers goes to stdout once it runs.
 */
export async function runRole(flags: RedisFlags & LogFlags, start: (redis: RedisSettings, logger: Logger, stack: ShutdownStack) => Promise<string>): Promise<void> {
  const redis = roleRedis(flags) as RedisSettings;
  const logger = await roleLogger(flags);
  await checkRedis(redis);
  const stack = new ShutdownStack();
  await serve(stack, async () => {
    process.stdout.write(`${await start(redis, logger, stack)}\n`);
  });
}
