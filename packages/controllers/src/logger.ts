/**
 * The roles' logger: pino (fastify's own logger, so the API's request lines and the roles' lines are
 * one stream). It lives here because every role (api, worker, janitor) depends on this package and
 * `@jobfleet/kube` stays free of I/O. The CLI makes one logger per process from --log-level and
 * --log-format and passes it down; a role given none logs nothing.
 */
import { pino, type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ['json', 'text'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LoggerSettings {
  /** Default info. */
  level?: LogLevel;
  /** json: one JSON object a line; text: pino-pretty's lines. Default json. */
  format?: LogFormat;
  /** Where lines go (default stderr: stdout is the user's data). */
  destination?: NodeJS.WritableStream;
  /** Colours in text lines (default: when the destination is a terminal). */
  colorize?: boolean;
}

/** What is never written, wherever it appears in what a line carries (one and two levels down, and as a request's headers). */
export const REDACT_PATHS = [
  'password',
  'token',
  'authorization',
  '*.password',
  '*.token',
  '*.authorization',
  '*.*.password',
  '*.*.token',
  'sentinelPassword',
  '*.sentinelPassword',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'headers.authorization',
  'headers.cookie',
];
export const REDACTED = '[REDACTED]';

/** Longest string a line carries from what users, containers or Redis sent (a message, a Docker error). */
export const MAX_LOGGED_STRING = 1_024;

/** A string from outside, cut to MAX_LOGGED_STRING: a line never carries a whole log or object. */
export function clip(value: unknown, max = MAX_LOGGED_STRING): string {
  const s = typeof value === 'string' ? value : value instanceof Error ? value.message : String(value);
  return s.length <= max ? s : `${s.slice(0, max)}… (${s.length - max} more characters)`;
}

/** A URL with its password hidden (redis://user:***@host:6379): URLs are logged, their secrets are not. */
export function redactUrlPassword(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^/@:]*):([^/@]*)@/i, (_, scheme: string, user: string) => `${scheme}${user}:***@`);
}

/** Control characters (newlines, terminal escapes) as visible escapes: text lines show hostile strings as data. */
function escapeControls(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/** text on a terminal (a person reads it), json otherwise (a log collector reads it). */
export function defaultLogFormat(stream: { isTTY?: boolean } = process.stderr): LogFormat {
  return stream.isTTY ? 'text' : 'json';
}

/**
 * A logger writing to `destination` (stderr by default). JSON lines carry pino's fields (`level` as
 * a number, `time` in ms, `pid`, `hostname`, `msg`); text lines are pino-pretty's, written in this
 * thread (no transport worker), with control characters of messages shown escaped.
 */
export function createLogger(settings: LoggerSettings = {}): Logger {
  const level = settings.level ?? 'info';
  const options = { level, redact: { paths: REDACT_PATHS, censor: REDACTED } };
  const destination = settings.destination ?? process.stderr;
  if ((settings.format ?? 'json') === 'json') return pino(options, destination as DestinationStream);
  const stream = pretty({
    destination,
    sync: true,
    colorize: settings.colorize ?? Boolean((destination as { isTTY?: boolean }).isTTY),
    translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    messageFormat: (log, messageKey) => escapeControls(String(log[messageKey] ?? '')),
  });
  return pino(options, stream);
}

/** A logger that writes nothing: the default of every role (tests, embedding). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
