import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { ApiContext } from '../context.js';
import { buildServer } from '../server.js';
import { contentSecurityPolicy, inlineScriptHashes, isUiPath } from './ui.js';

// The dashboard's files need no store: a context that is never reached stands in for it (a request
// that reached a resource handler would fail with a 500, not the 401/404 asserted here).
const app = buildServer({} as ApiContext, { token: 'ui-secret' });
afterAll(() => app.close());

describe('/ui: the dashboard files', () => {
  it.each([
    ['/ui', 'text/html'],
    ['/ui/', 'text/html'],
    ['/ui/app.js', 'text/javascript'],
    ['/ui/style.css', 'text/css'],
    ['/ui/vendor/preact.mjs', 'text/javascript'],
    ['/ui/vendor/preact-hooks.mjs', 'text/javascript'],
    ['/ui/vendor/htm.mjs', 'text/javascript'],
  ])('%s is served without a token (no data in it), with a strict CSP', async (url, type) => {
    const res = await app.inject({ url });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain(type);
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/=]+'(;|$)/);
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it("the CSP's one script hash is the page's import map, which maps the vendored modules", async () => {
    const page = (await app.inject({ url: '/ui' })).body;
    const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(page)?.[1] ?? '';
    const digest = createHash('sha256').update(importMap).digest('base64');
    expect(inlineScriptHashes(page)).toEqual([`'sha256-${digest}'`]);
    expect(contentSecurityPolicy(page)).toContain(`'sha256-${digest}'`);
    for (const target of Object.values((JSON.parse(importMap) as { imports: Record<string, string> }).imports)) {
      expect((await app.inject({ url: target })).statusCode, target).toBe(200);
    }
    // No CDN: every script and style the page loads is the API's own.
    expect(page).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('vendored modules import only what the import map names', async () => {
    const hooks = (await app.inject({ url: '/ui/vendor/preact-hooks.mjs' })).body;
    expect([...hooks.matchAll(/from\s*"([^"]+)"/g)].map((m) => m[1])).toEqual(['preact']);
    expect(hooks).not.toContain('sourceMappingURL');
  });

  it('the API behind the token stays behind it, also through paths that start with /ui', async () => {
    expect((await app.inject({ url: '/api/v1/namespaces/default/pods' })).statusCode).toBe(401);
    for (const url of ['/ui/../api/v1/namespaces/default/pods', '/ui/%2e%2e/api/v1/namespaces/default/pods', '/ui/..%2fapi/v1/nodes', '/uiapi/v1/nodes']) {
      const res = await app.inject({ url });
      expect([401, 404], url).toContain(res.statusCode);
    }
  });

  it.each([
    ['/ui', true],
    ['/ui/', true],
    ['/ui/app.js', true],
    ['/uix', false],
    ['/api/v1/pods', false],
    ['/', false],
  ])('isUiPath(%s) = %s', (path, want) => expect(isUiPath(path)).toBe(want));
});
