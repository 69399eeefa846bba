#!/usr/bin/env node
// The `jobfleet` command. npm links a package's bin only if the file exists when it installs, and
// dist/ only appears with the build, so the bin is this committed shim running the built CLI.
// A CLI that cannot even load (not built, a package missing from the build) says so in one line.
const entry = new URL('../dist/bin.js', import.meta.url);
try {
  await import(entry.href);
} catch (error) {
  const notBuilt = error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(entry.pathname);
  const reason = notBuilt ? 'jobfleet is not built yet' : `cannot load jobfleet: ${String(error?.message ?? error).split('\n')[0]}`;
  process.stderr.write(`error: ${reason}: run \`npm run build\` (or \`npm run setup\`) at the repository root\n`);
  process.exitCode = 1;
}
