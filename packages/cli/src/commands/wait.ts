import type { Command } from 'commander';
import { InvalidArgumentError, Option } from 'commander';
import { clientFor } from '../context.js';
import { formatDuration } from '../duration.js';
import { durationArgument, jobRefs, qualifiedName } from '../options.js';

interface WaitCondition {
  type: string;
  status: string;
}

/** kubectl's default --timeout. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** kubectl: a negative timeout means a week. */
const WEEK_MS = 7 * 24 * 3_600_000;

export function registerWait(program: Command): void {
  program
    .command('wait')
    .description('wait for a condition on Jobs: jobfleet wait job/NAME --for condition=complete')
    .argument('<resources...>', 'job/NAME ... or job NAME ...')
    .requiredOption('--for <condition>', 'condition=complete|failed (any condition type, optionally =True/False)', parseCondition)
    // The default shown in the flag's own unit (30s), not the milliseconds it parses to.
    .addOption(new Option('--timeout <duration>', 'give up after this long (30s, 2m, 1h); 0 checks once, negative waits a week').argParser(durationArgument).default(DEFAULT_TIMEOUT_MS, formatDuration(DEFAULT_TIMEOUT_MS)))
    .action(async (resources: string[], options: { for: WaitCondition; timeout: number }, command: Command) => {
      const client = clientFor(command);
      const timeoutMs = options.timeout < 0 ? WEEK_MS : options.timeout;
      for (const ref of jobRefs(resources, 'wait supports jobs only')) {
        await client.waitForCondition(ref.name, options.for, { timeoutMs });
        process.stdout.write(`${qualifiedName(ref)} condition met\n`);
      }
    });
}

/** `condition=NAME` or `condition=NAME=VALUE`, as kubectl wait --for. */
export function parseCondition(value: string): WaitCondition {
  const match = /^condition=([^=]+)(?:=(.*))?$/i.exec(value);
  if (!match?.[1]) throw new InvalidArgumentError('expected condition=NAME[=VALUE], e.g. condition=complete or condition=failed.');
  return { type: match[1], status: match[2] ?? 'True' };
}
