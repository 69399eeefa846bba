/** What guides a user: `version`, `completion`, help texts that say the defaults the flags really have, `up`'s suggestions. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command, Option } from 'commander';
import { afterAll, describe, expect, it } from 'vitest';
import { cliInvocation, tryCommands } from './banner.js';
import { buildProgram } from './program.js';

const BIN = fileURLToPath(new URL('../dist/bin.js', import.meta.url));
const SHIM = fileURLToPath(new URL('../bin/jobfleet.js', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'jobfleet-guides-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function jobfleet(args: string[]) {
  const result = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, JOBFLEET_SERVER: 'http://127.0.0.1:9' }, timeout: 20_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function allCommands(command: Command, path: string[] = []): { path: string[]; command: Command }[] {
  return [{ path, command }, ...command.commands.flatMap((c) => allCommands(c, [...path, c.name()]))];
}

describe('jobfleet version', () => {
  it('--client prints the client version without a server; without --client an unreachable server is one error line, exit 1', () => {
    const client = jobfleet(['version', '--client']);
    expect(client).toMatchObject({ code: 0, stderr: '' });
    expect(client.stdout).toMatch(/^Client Version: v\d+\.\d+\.\d+\n$/);
    const json = JSON.parse(jobfleet(['version', '--client', '-o', 'json']).stdout) as { clientVersion: { gitVersion: string } };
    expect(json.clientVersion.gitVersion).toBe(client.stdout.slice('Client Version: '.length).trim());
    const unreachable = jobfleet(['version']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.stdout).toBe(client.stdout); // the client's version first, as kubectl
    expect(unreachable.stderr).toMatch(/^error: .*127\.0\.0\.1:9.*\n$/);
  });
});

describe('jobfleet completion', () => {
  const script = join(scratch, 'jobfleet.bash');

  /** What bash offers for the words typed so far (the last one being completed). */
  function complete(words: string[]): string[] {
    const line = `source ${script}; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _jobfleet; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = spawnSync('bash', ['--norc', '-c', line], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    return result.stdout.split('\n').filter(Boolean);
  }

  it('bash sources the script and completes subcommands, options, resource types; file names after -f', () => {
    const { code, stdout } = jobfleet(['completion', 'bash']);
    expect(code).toBe(0);
    spawnSync('sh', ['-c', `cat > ${script}`], { input: stdout });
    const registered = spawnSync('bash', ['--norc', '-c', `source ${script} && complete -p jobfleet`], { encoding: 'utf8' });
    expect(registered.stdout.trim()).toBe('complete -o default -F _jobfleet jobfleet');
    const subcommands = allCommands(buildProgram()).filter(({ path }) => path.length === 1 && path[0] !== 'help').map(({ path }) => path[0]);
    expect(complete(['jobfleet', ''])).toEqual(expect.arrayContaining(subcommands as string[]));
    expect(complete(['jobfleet', 'ge'])).toEqual(['get']);
    expect(complete(['jobfleet', 'comp'])).toEqual(['completion']);
    expect(complete(['jobfleet', '--server', 'http://x:1', 'get', 'cron'])).toEqual(['cronjobs']); // a global option's value is no command
    expect(complete(['jobfleet', 'get', 'jobs', '--all'])).toEqual(['--all-namespaces']);
    expect(complete(['jobfleet', 'create', ''])).toContain('job');
    expect(complete(['jobfleet', 'run', '-f', ''])).toEqual([]); // bash's default: file names
    expect(complete(['jobfleet', 'logs', '-f', '--tim'])).toEqual(['--timestamps']); // logs -f is --follow, no value
  });

  it('zsh: the same function through bashcompinit; an unknown shell is a usage error', () => {
    const zsh = jobfleet(['completion', 'zsh']);
    expect(zsh.code).toBe(0);
    expect(zsh.stdout).toMatch(/^#compdef jobfleet\n/);
    expect(zsh.stdout).toContain('bashcompinit');
    expect(zsh.stdout).toContain('complete -o default -F _jobfleet jobfleet');
    expect(jobfleet(['completion', 'fish']).code).toBe(2);
  });
});

describe('help texts say the defaults the flags have', () => {
  /** `(default: X)` as commander prints it: X is what the option's own parser takes. */
  function documentedDefault(help: string, option: Option): string | undefined {
    const flags = option.flags.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const entry = new RegExp(`^\\s+${flags}\\s+([\\s\\S]*?)(?=^\\s+-|^\\S|(?![\\s\\S]))`, 'm').exec(help)?.[1] ?? '';
    const text = entry.replace(/\s+/g, ' ');
    return /\(default: (.*?)(?:, env: \w+)?\)\s*$/.exec(text)?.[1];
  }

  const cases = allCommands(buildProgram()).flatMap(({ path, command }) =>
    command.options.filter((o) => o.defaultValue !== undefined && typeof o.defaultValue !== 'boolean').map((option) => ({ name: `${['jobfleet', ...path].join(' ')} ${option.flags}`, command, option })),
  );

  it.each(cases)('$name', ({ command, option }) => {
    const shown = documentedDefault(command.helpInformation(), option);
    expect(shown, 'the help shows the default').toBeDefined();
    const text = (shown ?? '').replace(/^"(.*)"$/, '$1');
    // A prose default ("the host name") stands for a value computed at start; anything else must parse to the default.
    if (option.defaultValueDescription?.startsWith('the ')) return;
    const parsed: unknown = option.parseArg ? option.parseArg(text, undefined) : text;
    expect(parsed).toEqual(option.defaultValue);
  });

  it('wait --timeout shows 30s, the unit it takes (not the 30000 ms it parses to)', () => {
    const wait = buildProgram().commands.find((c) => c.name() === 'wait');
    expect(wait?.helpInformation().replace(/\s+/g, ' ')).toContain('(default: 30s)');
  });
});

describe("up's suggestions", () => {
  it('name the server in JOBFLEET_SERVER and the CLI as it can be run from a shell', () => {
    expect(tryCommands({ apiUrl: 'http://127.0.0.1:8080', cli: 'jobfleet', example: 'examples/echo-job.yaml' })).toEqual([
      'export JOBFLEET_SERVER=http://127.0.0.1:8080',
      'jobfleet run -f examples/echo-job.yaml',
      'jobfleet get jobs',
      'mkdir -p ~/.kube && jobfleet kubeconfig > ~/.kube/jobfleet && kubectl --kubeconfig ~/.kube/jobfleet get jobs',
    ]);
    expect(tryCommands({ apiUrl: 'https://127.0.0.1:8443', cli: 'npx jobfleet', caFile: '/tmp/my certs/tls.crt', token: true })[0]).toBe(
      "export JOBFLEET_SERVER=https://127.0.0.1:8443 JOBFLEET_CA_FILE='/tmp/my certs/tls.crt' JOBFLEET_TOKEN=<the token>",
    );
  });

  it('call the CLI jobfleet only when that name on PATH is this program', () => {
    const bin = join(scratch, 'bin');
    spawnSync('mkdir', ['-p', bin]);
    symlinkSync(SHIM, join(bin, 'jobfleet'));
    expect(cliInvocation({ PATH: `/nonexistent:${bin}` }, SHIM)).toBe('jobfleet');
    expect(cliInvocation({ PATH: '/nonexistent', npm_command: 'exec' }, SHIM)).toBe('npx jobfleet');
    expect(cliInvocation({ PATH: '/nonexistent' }, SHIM)).toBe(`${process.execPath} ${SHIM}`);
  });
});
