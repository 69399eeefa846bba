#!/usr/bin/env node
/**
 * Records what /version reports about this build in dist/build-info.json: jobfleet's version (this
 * package's), the git commit and tree state when built from a git checkout (empty otherwise, e.g. from
 * an npm tarball), and the build date, as the Kubernetes build stamps version.Info.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const git = (...args) => {
  try {
    return execFileSync('git', args, { cwd: new URL('..', import.meta.url), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
};
const gitCommit = git('rev-parse', 'HEAD') ?? '';
const status = gitCommit ? git('status', '--porcelain', '--untracked-files=no') : undefined;
const info = {
  version: pkg.version,
  gitCommit,
  gitTreeState: status === undefined ? '' : status === '' ? 'clean' : 'dirty',
  buildDate: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
};
mkdirSync(new URL('../dist/', import.meta.url), { recursive: true });
writeFileSync(new URL('../dist/build-info.json', import.meta.url), `${JSON.stringify(info, null, 2)}\n`);
