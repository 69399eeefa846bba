/** The built `jobfleet` binary (dist/bin.js, so build first) run as a child process. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
/** What npm links as `jobfleet`: a committed shim that runs dist/bin.js. */
const SHIM = fileURLToPath(new URL('../bin/jobfleet.js', import.meta.url));
const REDIS_OPTIONS = ['--redis-url <url>', 'REDIS_PASSWORD', '--redis-username <name>', 'REDIS_USERNAME', '--redis-ca-file <file>', 'REDIS_CA_FILE', '--redis-cert-file <file>', '--redis-key-file <file>'];
/** What the worker's Node registers with (worker, up): the kubelet's flags, and its capacity. */
const NODE_OPTIONS = ['--capacity <list>', 'JOBFLEET_CAPACITY', '--node-labels <list>', 'JOBFLEET_NODE_LABELS', '--register-with-taints <list>', 'JOBFLEET_REGISTER_WITH_TAINTS'];
const COMMANDS = ['up', 'api', 'worker', 'janitor', 'run', 'apply', 'create', 'get', 'describe', 'logs', 'wait', 'delete', 'kubeconfig'];

function jobfleet(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, JOBFLEET_SERVER: undefined, JOBFLEET_TOKEN: undefined, ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function jobfleetAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, JOBFLEET_SERVER: undefined, JOBFLEET_TOKEN: undefined } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** A port nothing listens on: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

describe('jobfleet --help', () => {
  it('lists every command and the global options', () => {
    const { code, stdout } = jobfleet(['--help']);
    expect(code).toBe(0);
    for (const command of COMMANDS) expect(stdout).toMatch(new RegExp(`^  ${command}\\b`, 'm'));
    for (const option of ['--server <url>', '--token <token>', '-n, --namespace <namespace>', '--certificate-authority <file>', '--insecure-skip-tls-verify']) expect(stdout).toContain(option);
    for (const variable of ['JOBFLEET_SERVER', 'JOBFLEET_TOKEN', 'JOBFLEET_CA_FILE']) expect(stdout).toContain(variable);
  });

  it.each([
    { command: 'get', options: ['-o, --output <format>', '-l, --selector <selector>'] },
    { command: 'run', options: ['-f, --filename <file>', '--timeout <duration>', '--no-logs'] },
    { command: 'logs', options: ['-f, --follow', '-c, --container <name>', '--tail <lines>', '--timestamps'] },
    { command: 'wait', options: ['--for <condition>', '--timeout <duration>'] },
    { command: 'delete', options: ['--cascade <policy>', '--grace-period <seconds>'] },
    { command: 'up', options: ['--port <port>', '--host <host>', '--redis-url <url>', '--node-name <name>', '--node-ip <ip>', 'JOBFLEET_NODE_IP', '--max-pods <n>', ...NODE_OPTIONS, '--tls-cert-file <file>', '--tls-private-key-file <file>', 'JOBFLEET_TLS_CERT_FILE', 'JOBFLEET_TLS_KEY_FILE', '--allow-privileged', ...REDIS_OPTIONS] },
    { command: 'api', options: ['--port <port>', '--host <host>', '--redis-url <url>', '--tls-cert-file <file>', '--tls-private-key-file <file>', '--allow-privileged', ...REDIS_OPTIONS] },
    { command: 'worker', options: ['--node-name <name>', '--node-ip <ip>', 'JOBFLEET_NODE_IP', '--max-pods <n>', ...NODE_OPTIONS, '--redis-url <url>', '--allow-privileged', ...REDIS_OPTIONS] },
    { command: 'janitor', options: REDIS_OPTIONS },
  ])('$command --help shows its options', ({ command, options }) => {
    const { code, stdout } = jobfleet([command, '--help']);
    expect(code).toBe(0);
    for (const option of options) expect(stdout).toContain(option);
  });
});

describe('the jobfleet bin shim', () => {
  it('runs the built CLI with its arguments and exit code', () => {
    const version = spawnSync(process.execPath, [SHIM, '--version'], { encoding: 'utf8' });
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const usage = spawnSync(process.execPath, [SHIM, 'get'], { encoding: 'utf8' });
    expect(usage.status).toBe(2);
  });
});

describe('usage errors exit 2 with one error line', () => {
  it.each([
    { name: 'unknown option', args: ['get', 'jobs', '--bogus'], message: "error: unknown option '--bogus'" },
    { name: 'unknown command', args: ['frobnicate'], message: "error: unknown command 'frobnicate'" },
    { name: 'missing argument', args: ['get'], message: "error: missing required argument 'type'" },
    { name: 'missing required option', args: ['apply'], message: "error: required option '-f, --filename <file>' not specified" },
    { name: 'bad output format', args: ['get', 'jobs', '-o', 'table'], message: "error: option '-o, --output <format>' argument 'table' is invalid" },
    { name: 'duration without unit', args: ['wait', 'job/x', '--for', 'condition=complete', '--timeout', '30'], message: 'time: missing unit in duration "30"' },
    { name: 'bad --for', args: ['wait', 'job/x', '--for', 'complete'], message: 'expected condition=NAME[=VALUE]' },
    { name: 'bad --cascade', args: ['delete', 'job', 'x', '--cascade', 'sideways'], message: 'must be one of background, foreground, orphan' },
    { name: 'bad --grace-period', args: ['delete', 'pod', 'x', '--grace-period', 'soon'], message: 'must be an integer number of seconds' },
    { name: 'delete of a node', args: ['delete', 'node/x'], message: 'error: delete supports jobs, cronjobs and pods only' },
    { name: 'create job without --from or --image', args: ['create', 'job', 'x'], message: 'error: either --image or --from must be specified' },
    { name: 'create job with --from and a command', args: ['create', 'job', 'x', '--from', 'cronjob/y', '--', 'echo'], message: 'error: cannot specify --from and command' },
    { name: 'create job --from a Job', args: ['create', 'job', 'x', '--from=job/y'], message: 'error: --from must name a cronjob (cronjob/NAME)' },
    { name: 'describe of a pod', args: ['describe', 'pod/x'], message: 'error: describe supports jobs and cronjobs only' },
    { name: 'unknown resource type', args: ['get', 'deployments'], message: 'error: the server doesn\'t have a resource type "deployments"' },
    { name: 'bad port', args: ['api', '--port', 'eighty'], message: 'must be a non-negative integer' },
    { name: 'a TLS certificate without its key', args: ['api', '--tls-cert-file', 'tls.crt'], message: 'error: --tls-cert-file and --tls-private-key-file go together' },
    { name: 'a CA and insecure', args: ['get', 'jobs', '--certificate-authority', 'ca.crt', '--insecure-skip-tls-verify'], message: 'error: specifying a root certificates file with the insecure flag is not allowed' },
    { name: 'logs of an event', args: ['logs', 'event/x'], message: 'error: logs takes a pod or a job' },
    { name: 'a Redis CA with redis://', args: ['worker', '--redis-url', 'redis://:pw@h:1', '--redis-ca-file', 'ca.crt'], message: 'error: --redis-ca-file, --redis-cert-file and --redis-key-file need a rediss:// URL, got redis://:***@h:1' },
    { name: 'a Redis client certificate without its key', args: ['janitor', '--redis-url', 'rediss://h:1', '--redis-cert-file', 'c.crt'], message: 'error: --redis-cert-file and --redis-key-file go together' },
    { name: 'a Redis URL of another scheme', args: ['api', '--redis-url', 'http://h:1'], message: 'error: --redis-url (REDIS_URL): the Redis URL must be a redis:// or rediss:// URL (redis://[USER:PASSWORD@]HOST:PORT[/DB]; rediss:// for TLS) or a Sentinel set, redis+sentinel://[USER:PASSWORD@]HOST:PORT[,HOST:PORT…]/MASTER_NAME, got http://h:1' },
    { name: 'JOBFLEET_ALLOW_PRIVILEGED that is not a boolean', args: ['worker'], env: { JOBFLEET_ALLOW_PRIVILEGED: 'yes' }, message: 'error: JOBFLEET_ALLOW_PRIVILEGED must be "true" or "false", got "yes"' },
  ])('$name', ({ args, message, env }) => {
    const { code, stderr, stdout } = jobfleet(args, env);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stdout).toBe('');
  });

  it('with no command, prints the help and exits 2', () => {
    const { code, stderr } = jobfleet([]);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: jobfleet');
  });
});

describe('an unreachable server', () => {
  it.each([
    { name: 'given with --server', args: (url: string) => ['get', 'jobs', '--server', url], env: {} },
    { name: 'given with JOBFLEET_SERVER', args: () => ['get', 'pods'], env: (url: string) => ({ JOBFLEET_SERVER: url }) },
    { name: 'given to run (no embedded fallback when chosen)', args: (url: string) => ['run', '-f', fileURLToPath(new URL('../../../examples/echo-job.yaml', import.meta.url)), '--server', url], env: {} },
  ])('$name: one error line naming the URL, exit 1', async ({ args, env }) => {
    const url = `http://127.0.0.1:${await closedPort()}`;
    const { code, stderr, stdout } = jobfleet(args(url), typeof env === 'function' ? env(url) : env);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`error: cannot reach the jobfleet server at ${url} (connection refused): start one with \`jobfleet up\` or set JOBFLEET_SERVER to its URL\n`);
  });
});

describe('an unreachable Redis: roles fail fast with one line, exit 1', () => {
  it.each(['api', 'worker', 'janitor', 'up'])('%s', async (role) => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const { code, stderr, stdout } = jobfleet([role, '--redis-url', url]);
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe(`error: cannot reach Redis at ${url}: connect ECONNREFUSED ${url.slice('redis://'.length)}; start it or set REDIS_URL\n`);
  });

  it('a Redis that accepts but never answers: within about 5 s', async () => {
    const silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const url = `redis://127.0.0.1:${(silent.address() as { port: number }).port}`;
    const started = Date.now();
    const { code, stderr } = await jobfleetAsync(['worker', '--redis-url', url]);
    silent.close();
    expect(code).toBe(1);
    expect(stderr).toMatch(new RegExp(`^error: cannot reach Redis at ${url}: [^\n]+; start it or set REDIS_URL\n$`));
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('up warns, in one line, that kubectl will not send a token over http', async () => {
    const url = `redis://127.0.0.1:${await closedPort()}`;
    const { stderr } = jobfleet(['up', '--token', 't', '--redis-url', url]);
    expect(stderr.split('\n')[0]).toBe('warning: --token without --tls-cert-file/--tls-private-key-file: kubectl will not send the token over http');
  });
});

describe('commands that need no server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jobfleet-cli-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('kubeconfig prints a config for kubectl', () => {
    const { code, stdout, stderr } = jobfleet(['kubeconfig', '--server', 'http://10.0.0.1:8080', '--token', 'abc', '-n', 'team']);
    expect(code).toBe(0);
    expect(stdout).toContain('server: http://10.0.0.1:8080');
    expect(stdout).toContain('token: abc');
    expect(stdout).toContain('namespace: team');
    expect(stdout).toContain('current-context: jobfleet');
    expect(stderr).toBe('warning: kubectl will not send the token to http://10.0.0.1:8080: it sends bearer tokens only over https\n');
  });

  it('kubeconfig keeps an https server URL and embeds --certificate-authority as base64 data', () => {
    const ca = join(dir, 'ca.crt');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
    const { code, stdout, stderr } = jobfleet(['kubeconfig', '--server', 'https://10.0.0.1:8443', '--token', 'abc', '--certificate-authority', ca]);
    expect(code).toBe(0);
    expect(stderr).toBe('');
    expect(stdout).toContain('server: https://10.0.0.1:8443\n');
    expect(stdout).toContain(`certificate-authority-data: ${Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString('base64')}\n`);
    expect(jobfleet(['kubeconfig', '--server', 'https://h', '--insecure-skip-tls-verify']).stdout).toContain('insecure-skip-tls-verify: true\n');
  });

  it('a --certificate-authority file that does not exist is one error line', () => {
    const { code, stderr } = jobfleet(['kubeconfig', '--server', 'https://h', '--certificate-authority', join(dir, 'missing.crt')]);
    expect(code).toBe(1);
    expect(stderr).toBe(`error: cannot read the --certificate-authority file "${join(dir, 'missing.crt')}": no such file\n`);
  });

  it('apply of a missing file fails with one line', () => {
    const { code, stderr } = jobfleet(['apply', '-f', 'no-such-file.yaml', '--server', 'http://127.0.0.1:9']);
    expect(code).toBe(1);
    expect(stderr).toBe('error: the path "no-such-file.yaml" does not exist\n');
  });

  it('run refuses a file holding several Jobs as a usage error', () => {
    const twoJobs = 'apiVersion: batch/v1\nkind: Job\nmetadata: {name: a}\nspec: {}\n---\napiVersion: batch/v1\nkind: Job\nmetadata: {name: b}\nspec: {}\n';
    const result = spawnSync(process.execPath, [BIN, 'run', '-f', '-', '--server', 'http://127.0.0.1:9'], { input: twoJobs, encoding: 'utf8' });
    expect(result.status).toBe(2);
    expect(result.stderr).toBe('error: run takes exactly one Job, but - holds 2; use jobfleet apply for several\n');
  });
});
