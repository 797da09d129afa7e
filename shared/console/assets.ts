import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { BrowserSignIn } from './ports';

/**
 * The console's browser modules: its own (console/) and preact with htm, straight from
 * node_modules. They are read from the project root, or from beside the bundle in Lambda (the
 * console construct copies `CONSOLE_ASSET_FILES` there).
 */
const ROOT = [import.meta.dirname, resolve(import.meta.dirname, '..', '..')].find((dir) =>
  existsSync(join(dir, 'console', 'app.js')),
);
const FILES: Record<string, string> = {
  'app.js': 'console/app.js',
  'sign-in.js': 'console/sign-in.js',
  'console.css': 'console/console.css',
  'preact.mjs': 'node_modules/preact/dist/preact.mjs',
  'hooks.mjs': 'node_modules/preact/hooks/dist/hooks.mjs',
  'htm.mjs': 'node_modules/htm/dist/htm.mjs',
};
const cache = new Map<string, Buffer>();

/** Every file the console serves, relative to the project root. */
export const CONSOLE_ASSET_FILES: readonly string[] = Object.values(FILES);

/** A named asset (never a path the request chose), or undefined. */
export function staticAsset(name: string): Response | undefined {
  // Own names only: `constructor` or `__proto__` are the object's, not files.
  const path = Object.hasOwn(FILES, name) ? FILES[name] : undefined;
  if (path === undefined) return undefined;
  let body = cache.get(name);
  if (body === undefined) {
    if (ROOT === undefined) return undefined;
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

/**
 * The one HTML page: an import map and the app module; everything else is fetched as JSON. With
 * a browser sign-in, the page carries the IdP's public settings (never a secret).
 */
export function shellPage(base: string, signIn?: BrowserSignIn): string {
  const signInAttr = signIn === undefined ? '' : ` data-sign-in="${attribute(JSON.stringify(signIn))}"`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Gantry console</title>
<link rel="stylesheet" href="${base}/static/console.css">
<script type="importmap">${importMap(base)}</script>
</head>
<body>
<div id="app" data-base="${base}"${signInAttr}><p class="loading">Loading the Gantry console…</p></div>
<script type="module" src="${base}/static/app.js"></script>
</body>
</html>`;
}

/**
 * The shell's Content-Security-Policy: scripts only from the console itself (and its one inline
 * import map, by hash), so an injected script cannot read the bearer token kept in
 * sessionStorage; `connect-src` reaches only the console and the IdP's configured origins (the
 * issuer's, for discovery, and the endpoints'), so even a script that did run could not send the
 * token to any other host. A token endpoint that discovery names elsewhere must be configured
 * (the sign-in page says so).
 */
export function shellPolicy(base: string, signIn?: BrowserSignIn): string {
  const map = createHash('sha256').update(importMap(base)).digest('base64');
  return [
    "default-src 'self'",
    `script-src 'self' 'sha256-${map}'`,
    "style-src 'self'",
    "img-src 'self' data:",
    ["connect-src 'self'", ...signInOrigins(signIn)].join(' '),
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

/** The origins the browser's sign-in may fetch from: the issuer's and the configured endpoints'. */
function signInOrigins(signIn?: BrowserSignIn): string[] {
  const urls = [signIn?.issuer, signIn?.authorizationEndpoint, signIn?.tokenEndpoint];
  return [...new Set(urls.flatMap((u) => (u === undefined ? [] : [new URL(u).origin])))];
}

function importMap(base: string): string {
  return JSON.stringify({
    imports: {
      preact: `${base}/static/preact.mjs`,
      'preact/hooks': `${base}/static/hooks.mjs`,
      htm: `${base}/static/htm.mjs`,
    },
  });
}

function attribute(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
