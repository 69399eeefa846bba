/**
 * The web dashboard at /ui: a page of static files (assets/) and the ES modules of Preact and htm
 * served from node_modules, so there is no build step and no CDN (fleets may be offline). The page
 * holds no data: it reads the API itself, with the same bearer token as any client, and follows
 * changes through the API's watches.
 *
 * The files are read once at start-up into memory and served from a fixed table: no path from a
 * request ever reaches the file system. Every response carries a strict Content-Security-Policy:
 * scripts only from /ui itself plus the page's one inline script (its import map), by hash.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { FastifyInstance } from 'fastify';

interface Asset {
  body: Buffer;
  type: string;
}

const JS = 'text/javascript; charset=utf-8';

/** Whether a request path belongs to the dashboard, whose files are open: they hold no data. */
export function isUiPath(path: string): boolean {
  return path === '/ui' || path === '/ui/' || path.startsWith('/ui/');
}

/** The browser ES module builds of the libraries the page imports (their import map names them). */
function vendorFiles(): Record<string, string> {
  const require = createRequire(import.meta.url);
  return {
    // preact's exports map: "default" is its ESM build; hooks imports "preact" by name (the import map resolves it).
    'preact.mjs': require.resolve('preact'),
    'preact-hooks.mjs': require.resolve('preact/hooks'),
    // htm's "require" entry is dist/htm.js; its ESM build sits beside it (htm exports no package.json).
    'htm.mjs': join(dirname(require.resolve('htm')), 'htm.mjs'),
  };
}

/** The sha256 CSP source of each inline <script> of a page (the import map): the only inline code allowed. */
export function inlineScriptHashes(html: string): string[] {
  return [...html.matchAll(/<script\b[^>]*>([\s\S]*?)<\/script>/g)]
    .filter((m) => m[1] !== '')
    .map((m) => `'sha256-${createHash('sha256').update(m[1] ?? '', 'utf8').digest('base64')}'`);
}

export function contentSecurityPolicy(html: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' ${inlineScriptHashes(html).join(' ')}`,
    "style-src 'self'",
    "img-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function loadAssets(): Map<string, Asset> {
  const dir = new URL('./assets/', import.meta.url);
  const read = (name: string) => readFileSync(new URL(name, dir));
  const assets = new Map<string, Asset>([
    ['/ui', { body: read('index.html'), type: 'text/html; charset=utf-8' }],
    ['/ui/app.js', { body: read('app.js'), type: JS }],
    ['/ui/style.css', { body: read('style.css'), type: 'text/css; charset=utf-8' }],
    ['/ui/favicon.svg', { body: read('favicon.svg'), type: 'image/svg+xml' }],
  ]);
  for (const [name, path] of Object.entries(vendorFiles())) {
    // The source map comments point at files not served: dropped, so that devtools do not ask for them.
    const text = readFileSync(path, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
    assets.set(`/ui/vendor/${name}`, { body: Buffer.from(text, 'utf8'), type: JS });
  }
  return assets;
}

/** GET (and HEAD) of the dashboard's files. */
export function registerUiRoutes(app: FastifyInstance): void {
  const assets = loadAssets();
  const page = assets.get('/ui');
  const csp = contentSecurityPolicy(page?.body.toString('utf8') ?? '');
  for (const [path, asset] of assets) {
    app.get(path, async (_req, reply) =>
      reply
        .header('content-type', asset.type)
        .header('content-security-policy', csp)
        .header('x-content-type-options', 'nosniff')
        .header('referrer-policy', 'no-referrer')
        .header('x-frame-options', 'DENY')
        .header('cross-origin-opener-policy', 'same-origin')
        .header('cross-origin-resource-policy', 'same-origin')
        // Small files, revalidated on each load: an upgraded API serves its own page at once.
        .header('cache-control', 'no-cache')
        .send(asset.body),
    );
  }
}
