import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Hono } from 'hono';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.png': 'image/png',
};

/**
 * Where the built dashboard is: `dist/dashboard/` beside the compiled server (`dist/server/`), which
 * is also where it is when the server runs from `src/` through tsx (then `../../dist/dashboard`).
 */
export function findDashboardDir(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  for (const candidate of [
    path.resolve(here, '../dashboard'),
    path.resolve(here, '../../dist/dashboard'),
  ]) {
    if (existsSync(path.join(candidate, 'index.html'))) return candidate;
  }
  return undefined;
}

/**
 * Serves the dashboard: its hashed assets (cached for good) and index.html for `/` and every page
 * path (`/runs/<id>`), which the dashboard routes itself. The assets hold no data: every piece of
 * run data comes from /api, behind the token.
 */
export function serveDashboard(app: Hono, dir: string | undefined): void {
  const files = new Map<string, { body: Uint8Array; type: string }>();
  const load = (relative: string): { body: Uint8Array; type: string } | undefined => {
    if (!dir) return undefined;
    const cached = files.get(relative);
    if (cached) return cached;
    const file = path.resolve(dir, relative);
    if (!file.startsWith(dir + path.sep) || !existsSync(file)) return undefined;
    const entry = {
      body: new Uint8Array(readFileSync(file)),
      type: TYPES[path.extname(file)] ?? 'application/octet-stream',
    };
    files.set(relative, entry);
    return entry;
  };
  const page = (): Response => {
    const index = load('index.html');
    if (!index) {
      return new Response(
        'The dashboard is not built: run `npm run build:dashboard` (the API under /api works without it).\n',
        { status: 503, headers: { 'content-type': 'text/plain; charset=utf-8' } },
      );
    }
    return new Response(index.body, {
      headers: {
        'content-type': index.type,
        'cache-control': 'no-cache',
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'content-security-policy':
          "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
      },
    });
  };
  app.get('/assets/*', (c) => {
    const asset = load(c.req.path.slice(1));
    if (!asset) return c.notFound();
    return new Response(asset.body, {
      headers: {
        'content-type': asset.type,
        'cache-control': 'public, max-age=31536000, immutable',
        'x-content-type-options': 'nosniff',
      },
    });
  });
  app.get('/', page);
  app.get('/runs', page);
  app.get('/runs/*', page);
}
