import { createRequire } from 'node:module';
import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import { transportFor } from '../context.js';

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string };

/** The CLI's version, in the form kubectl prints its own (`v` and semver). */
export const CLIENT_VERSION = `v${version}`;

interface VersionOptions {
  client?: boolean;
  output?: 'json' | 'yaml';
}

/** How long `version` waits for the server's /version. */
const SERVER_TIMEOUT_MS = 5_000;

export function registerVersion(program: Command): void {
  program
    .command('version')
    .description("print the client's version and, with the server's /version, the server's (as kubectl version)")
    .option('--client', 'the client version only (no server needed)')
    .addOption(new Option('-o, --output <format>', 'output format').choices(['json', 'yaml']))
    .action(async (options: VersionOptions, command: Command) => printVersion(options, command));
}

async function printVersion(options: VersionOptions, command: Command): Promise<void> {
  const clientVersion = { gitVersion: CLIENT_VERSION, goVersion: `node${process.versions.node}`, compiler: 'jobfleet', platform: `${process.platform}/${process.arch === 'x64' ? 'amd64' : process.arch}` };
  // kubectl prints the client's version before it fails to reach the server.
  if (!options.output) process.stdout.write(`Client Version: ${CLIENT_VERSION}\n`);
  const serverVersion = options.client ? undefined : await transportFor(command).json<Record<string, unknown>>('GET', '/version', { signal: AbortSignal.timeout(SERVER_TIMEOUT_MS) });
  if (options.output) {
    const value = { clientVersion, ...(serverVersion ? { serverVersion } : {}) };
    process.stdout.write(options.output === 'json' ? `${JSON.stringify(value, null, 2)}\n` : stringify(value));
    return;
  }
  if (serverVersion) process.stdout.write(`Server Version: ${String(serverVersion.gitVersion ?? '')}\n`);
}
