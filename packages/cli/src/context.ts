/** The global options (--server, --token, -n, TLS trust) and the client they describe. */
import { readFileSync } from 'node:fs';
import { DEFAULT_NAMESPACE, DEFAULT_SERVER, HttpTransport, JobfleetClient, nodeFetch, type JobfleetClientOptions } from '@jobfleet/client';
import { Option, type Command } from 'commander';
import { UsageError } from './errors.js';

export interface GlobalOptions {
  server: string;
  token?: string;
  namespace: string;
  /** --certificate-authority: a PEM file with the CA of an https server (for a self-signed one, its certificate). */
  certificateAuthority?: string;
  insecureSkipTlsVerify?: boolean;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--server <url>', 'URL of the jobfleet API server (http:// or https://)').env('JOBFLEET_SERVER').default(DEFAULT_SERVER))
    .addOption(new Option('--token <token>', 'bearer token for the API server').env('JOBFLEET_TOKEN'))
    .addOption(new Option('-n, --namespace <namespace>', 'namespace of the objects').default(DEFAULT_NAMESPACE))
    .addOption(new Option('--certificate-authority <file>', "PEM file of the CA that signed an https server's certificate (a self-signed server: its certificate)").env('JOBFLEET_CA_FILE'))
    .addOption(new Option('--insecure-skip-tls-verify', "do not check an https server's certificate (insecure)"));
}

export function globalOptions(command: Command): GlobalOptions {
  const { server, token, namespace, certificateAuthority, insecureSkipTlsVerify } = command.optsWithGlobals<GlobalOptions>();
  if (certificateAuthority && insecureSkipTlsVerify) throw new UsageError('specifying a root certificates file with the insecure flag is not allowed');
  return {
    server,
    namespace,
    ...(token ? { token } : {}),
    ...(certificateAuthority ? { certificateAuthority } : {}),
    ...(insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
  };
}

/** What a JobfleetClient needs from the global options (the CA file read). */
export function clientOptions(command: Command): JobfleetClientOptions {
  const { server, token, namespace, certificateAuthority, insecureSkipTlsVerify } = globalOptions(command);
  return {
    server,
    namespace,
    ...(token ? { token } : {}),
    ...(certificateAuthority ? { ca: readPem(certificateAuthority, '--certificate-authority') } : {}),
    ...(insecureSkipTlsVerify ? { insecureSkipTlsVerify: true } : {}),
  };
}

export function clientFor(command: Command): JobfleetClient {
  return new JobfleetClient(clientOptions(command));
}

/** The server's HTTP layer, for the paths the client has no method for (/version, watches of Tables, all namespaces). */
export function transportFor(command: Command): HttpTransport {
  const { server, token, ca, insecureSkipTlsVerify } = clientOptions(command);
  const url = server ?? DEFAULT_SERVER;
  return new HttpTransport(url, token, nodeFetch({ ca, insecureSkipTlsVerify }));
}

/** A PEM file's contents; a file that cannot be read is one error line naming the option. */
export function readPem(file: string, option: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    throw new Error(`cannot read the ${option} file "${file}": ${code === 'ENOENT' ? 'no such file' : message}`);
  }
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
