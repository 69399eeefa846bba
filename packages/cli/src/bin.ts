#!/usr/bin/env node
import { main } from './main.js';

/**
 * How long the process may linger once the command is done. Every shutdown step is bounded, but a
 * library may still hold a handle (a socket to a Redis or Docker that no longer answers, a role that
 * failed half-way through its start); the command's outcome is final, so it must not hang the exit.
 */
const EXIT_GRACE_MS = 1_000;

process.exitCode = await main(process.argv.slice(2));
setTimeout(() => process.exit(), EXIT_GRACE_MS).unref();
