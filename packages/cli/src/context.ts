/** The global options (--server, --token, -n) and the client they describe. */
import { DEFAULT_NAMESPACE, DEFAULT_SERVER, JobfleetClient } from '@jobfleet/client';
import { Option, type Command } from 'commander';

export interface GlobalOptions {
  server: string;
  token?: string;
  namespace: string;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--server <url>', 'URL of the jobfleet API server').env('JOBFLEET_SERVER').default(DEFAULT_SERVER))
    .addOption(new Option('--token <token>', 'bearer token for the API server').env('JOBFLEET_TOKEN'))
    .addOption(new Option('-n, --namespace <namespace>', 'namespace of the objects').default(DEFAULT_NAMESPACE));
}

export function globalOptions(command: Command): GlobalOptions {
  const { server, token, namespace } = command.optsWithGlobals<GlobalOptions>();
  return { server, namespace, ...(token ? { token } : {}) };
}

export function clientFor(command: Command): JobfleetClient {
  return new JobfleetClient(globalOptions(command));
}

/** Whether the user chose the server (--server or JOBFLEET_SERVER) rather than taking the default. */
export function serverChosen(command: Command): boolean {
  return optionSource(command, 'server') !== 'default';
}

/** Whether -n/--namespace was given explicitly. */
export function namespaceChosen(command: Command): boolean {
  return optionSource(command, 'namespace') === 'cli';
}

function optionSource(command: Command, key: string): string | undefined {
  for (let current: Command | null = command; current; current = current.parent) {
    const source = current.getOptionValueSource(key);
    if (source !== undefined && current.options.some((o) => o.attributeName() === key)) return source;
  }
  return undefined;
}
