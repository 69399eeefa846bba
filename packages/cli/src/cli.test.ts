/** The built `jobfleet` binary (dist/bin.js, so build first) run as a child process. */
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const COMMANDS = ['up', 'api', 'worker', 'janitor', 'run', 'apply', 'get', 'describe', 'logs', 'wait', 'delete', 'kubeconfig'];

function jobfleet(args: string[], env: Record<string, string | undefined> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8',
    env: { ...process.env, JOBFLEET_SERVER: undefined, JOBFLEET_TOKEN: undefined, ...env },
    timeout: 20_000,
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
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
    for (const option of ['--server <url>', '--token <token>', '-n, --namespace <namespace>']) expect(stdout).toContain(option);
    expect(stdout).toContain('JOBFLEET_SERVER');
  });

  it.each([
    { command: 'get', options: ['-o, --output <format>', '-l, --selector <selector>'] },
    { command: 'run', options: ['-f, --filename <file>', '--timeout <duration>', '--no-logs'] },
    { command: 'logs', options: ['-f, --follow', '-c, --container <name>', '--tail <lines>', '--timestamps'] },
    { command: 'wait', options: ['--for <condition>', '--timeout <duration>'] },
    { command: 'delete', options: ['--cascade <policy>'] },
    { command: 'up', options: ['--port <port>', '--host <host>', '--redis-url <url>', '--node-name <name>', '--max-pods <n>'] },
    { command: 'worker', options: ['--node-name <name>', '--max-pods <n>', '--redis-url <url>'] },
  ])('$command --help shows its options', ({ command, options }) => {
    const { code, stdout } = jobfleet([command, '--help']);
    expect(code).toBe(0);
    for (const option of options) expect(stdout).toContain(option);
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
    { name: 'unknown resource type', args: ['get', 'deployments'], message: 'error: the server doesn\'t have a resource type "deployments"' },
    { name: 'bad port', args: ['api', '--port', 'eighty'], message: 'must be a non-negative integer' },
  ])('$name', ({ args, message }) => {
    const { code, stderr, stdout } = jobfleet(args);
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

describe('commands that need no server', () => {
  it('kubeconfig prints a config for kubectl', () => {
    const { code, stdout } = jobfleet(['kubeconfig', '--server', 'http://10.0.0.1:8080', '--token', 'abc', '-n', 'team']);
    expect(code).toBe(0);
    expect(stdout).toContain('server: http://10.0.0.1:8080');
    expect(stdout).toContain('token: abc');
    expect(stdout).toContain('namespace: team');
    expect(stdout).toContain('current-context: jobfleet');
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
