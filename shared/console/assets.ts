import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The console's browser modules: its own (console/) and preact with htm, straight from node_modules. */
const ROOT = process.env.GANTRY_CONSOLE_ASSETS ?? resolve(import.meta.dirname, '..', '..');
const FILES: Record<string, string> = {
  'app.js': 'console/app.js',
  'console.css': 'console/console.css',
  'preact.mjs': 'node_modules/preact/dist/preact.mjs',
  'hooks.mjs': 'node_modules/preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'node_modules/htm/dist/htm.mjs',
};
const cache = new Map<string, Buffer>();

/** A named asset (never a path the request chose), or undefined. */
export function staticAsset(name: string): Response | undefined {
  const path = FILES[name];
  if (path === undefined) return undefined;
  let body = cache.get(name);
  if (body === undefined) {
    const file = join(ROOT, path);
    if (!existsSync(file)) return undefined;
    body = readFileSync(file);
    cache.set(name, body);
  }
  const type = name.endsWith('.css') ? 'text/css' : 'text/javascript';
  return new Response(new Uint8Array(body), {
    headers: { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'max-age=300' },
  });
}

/** The one HTML page: an import map and the app module; everything else is fetched as JSON. */
export function shellPage(base: string): string {
  const map = {
    imports: {
      preact: `${base}/static/preact.mjs`,
      'preact/hooks': `${base}/static/hooks.mjs`,
      htm: `${base}/static/htm.mjs`,
    },
  };
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gantry console</title>
<link rel="stylesheet" href="${base}/static/console.css">
<script type="importmap">${JSON.stringify(map)}</script>
</head>
<body>
<div id="app" data-base="${base}"><p class="loading">Loading the Gantry console…</p></div>
<script type="module" src="${base}/static/app.js"></script>
</body>
</html>`;
}
