// The gantry command bundled: its TypeScript sources in ES modules split where the command
// groups load lazily, the installed packages left to Node.js. Through tsx, every command first
// resolves and transpiles some 390 source files (0.3-0.5 s on 2 cores); the bundle, once built,
// is reused while every source it read is byte for byte the same, as local mode's handler bundles are.
import { symlinkSync } from 'node:fs';
import { dirname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildKey, cachedBuild, cacheRoot, keepInUse, sourceRecorder } from '../local/build-cache.mjs';

/** Bumped when the bundle's shape or options change (this file and build-cache.mjs are in its key too). */
const FORMAT = 'gantry-cli-v3';
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(PROJECT_ROOT, 'cli', 'main.ts');
const SHAPING = ['tsconfig.json', join('cli', 'bundle.mjs'), join('local', 'build-cache.mjs')];

/**
 * Each source module keeps its own `import.meta.url` and `import.meta.dirname`: local mode starts
 * workers and processes from files beside its sources (`new URL('./thread-entry.mjs', import.meta.url)`),
 * which must resolve where they are, not where the bundle is.
 */
const sourceLocation = (path) =>
  `const __gantrySourceUrl=${JSON.stringify(pathToFileURL(path).href)};` +
  `const __gantrySourceDir=${JSON.stringify(dirname(path))};`;

async function build(outdir) {
  const esbuild = await import('esbuild');
  const sources = sourceRecorder(PROJECT_ROOT, sourceLocation);
  const { metafile } = await esbuild.build({
    entryPoints: [{ in: ENTRY, out: 'main' }],
    absWorkingDir: PROJECT_ROOT,
    outdir,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: `node${process.versions.node.split('.')[0]}`,
    // Exactly what tsx would run: no module is dropped for a "sideEffects" promise, which
    // package.json makes for the Lambda bundles, not for local mode's own modules.
    ignoreAnnotations: true,
    define: { 'import.meta.url': '__gantrySourceUrl', 'import.meta.dirname': '__gantrySourceDir' },
    // Set as the first module of the bundle runs: a load that fails before it (a file of the
    // bundle removed meanwhile) ran nothing, so bin.mjs may run the sources instead.
    banner: { js: 'globalThis.__gantryCliLinked = true;' },
    plugins: [sources.plugin],
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
  });
  // The packages stay where npm put them: a cache folder outside the project (GANTRY_CACHE_DIR)
  // finds them through a link, by Node.js's own resolution, so each loads once as from source.
  const fromRoot = relative(PROJECT_ROOT, outdir);
  if (fromRoot.startsWith('..') || isAbsolute(fromRoot)) {
    symlinkSync(join(PROJECT_ROOT, 'node_modules'), join(outdir, 'node_modules'), 'junction');
  }
  return { metafile, outputs: { main: 'main.mjs' }, read: sources.read, folders: sources.folders };
}

/** The bundled command's entry module, built first when no current bundle is cached. */
export async function bundledCli() {
  const key = buildKey(FORMAT, PROJECT_ROOT, [ENTRY], SHAPING);
  const { dir, outputs } = await cachedBuild(join(cacheRoot(PROJECT_ROOT), `cli-${key}`), FORMAT, PROJECT_ROOT, build);
  // The command's groups load lazily, `gantry local up`'s for as long as it runs: keep the build,
  // and let it go as the command ends (a crash leaves the marker for half an hour).
  process.once('exit', keepInUse(dir));
  return pathToFileURL(join(dir, outputs.main)).href;
}
