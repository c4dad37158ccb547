import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import { AppError } from '@weft/schema';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AppDeps } from '../../app.js';
import type { Config } from '../../config/index.js';

/** packages/web/dist, seen from src/http/web and from dist/http/web alike (same depth). */
export const WEB_DIST_DIR = fileURLToPath(new URL('../../../../web/dist/', import.meta.url));

// Vite puts content-hashed files here; a new build gives new names, so they can be cached for good.
const HASHED_ASSETS_PREFIX = 'assets/';
const INDEX_FILE = 'index.html';

const NOT_BUILT_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Weft</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; line-height: 1.5">
<h1>Weft</h1>
<p>The dashboard is not built. Run <code>npm run build</code> (or <code>npm start</code>, which builds it) and reload.</p>
<p>The API works without it: see the <a href="/api/docs">API reference</a>.</p>
</body>
</html>
`;

export interface WebRoutesOptions {
  /** Where the built dashboard is; tests point it elsewhere. */
  distDir?: string;
}

/**
 * Serves the dashboard (packages/web) at `/`: the built files, and index.html for any other path
 * outside /api so the browser's router can handle deep links. The dist folder is looked up on each
 * request, so a build made while the server runs is picked up without a restart.
 */
export async function webRoutes(app: FastifyInstance, _config: Config, _deps: AppDeps, options: WebRoutesOptions = {}): Promise<void> {
  const root = path.resolve(options.distDir ?? WEB_DIST_DIR);
  await app.register(fastifyStatic, { root, serve: false, suppressWarning: true, cacheControl: false });

  const send = (reply: FastifyReply, file: string) => {
    reply.header('cache-control', file.startsWith(HASHED_ASSETS_PREFIX) ? 'public, max-age=31536000, immutable' : 'no-cache');
    return reply.sendFile(file, root);
  };

  app.get('/*', { config: { access: false }, schema: { hide: true } }, async (request, reply) => {
    const urlPath = request.url.split('?')[0] ?? '/';
    if (urlPath === '/api' || urlPath.startsWith('/api/')) {
      throw new AppError('NOT_FOUND', `No route ${request.method} ${urlPath}.`);
    }
    if (!existsSync(path.join(root, INDEX_FILE))) {
      return reply
        .status(urlPath === '/' ? 200 : 404)
        .type('text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(NOT_BUILT_PAGE);
    }
    const file = builtFile(root, urlPath);
    return send(reply, file ?? INDEX_FILE);
  });
}

/** The file under root that the path names, or undefined (a route of the dashboard, or an attempt to leave root). */
function builtFile(root: string, urlPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (decoded.includes('\0')) return undefined;
  const full = path.resolve(root, `.${path.posix.normalize(decoded)}`);
  if (full !== root && !full.startsWith(root + path.sep)) return undefined;
  try {
    return statSync(full).isFile() ? path.relative(root, full).split(path.sep).join('/') : undefined;
  } catch {
    return undefined;
  }
}
