// The gantry command bundled: its TypeScript sources in ES modules split where the command
// groups load lazily, the installed packages left to Node.js. Through tsx, every command first
// resolves and transpiles some 400 source files (0.3-0.5 s on 2 cores); the bundle, once built,
// is reused while every source it read is byte for byte the same, as local mode's handler bundles are.
import { readFileSync, symlinkSync } from 'node:fs';
import { dirname, extname, isAbsolute, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { buildKey, cachedBuild, cacheRoot } from '../local/build-cache.mjs';

/** Bumped when the bundle's shape or options change. */
const FORMAT = 'gantry-cli-v1';
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const ENTRY = join(PROJECT_ROOT, 'cli', 'main.ts');

/**
 * Each source module keeps its own `import.meta.url` and `import.meta.dirname`: local mode starts
 * workers and processes from files beside its sources (`new URL('./thread-entry.mjs', import.meta.url)`),
 * which must resolve where they are, not where the bundle is.
 */
const sourceLocations = {
  name: 'gantry-source-locations',
  setup(build) {
    build.onLoad({ filter: /\.(?:[cm]?ts|[cm]?js)$/ }, (args) => {
      if (args.path.split(/[\\/]/).includes('node_modules')) return undefined;
      const here =
        `const __gantrySourceUrl=${JSON.stringify(pathToFileURL(args.path).href)};` +
        `const __gantrySourceDir=${JSON.stringify(dirname(args.path))};`;
      const loader = /ts$/.test(extname(args.path)) ? 'ts' : 'js';
      return { contents: here + readFileSync(args.path, 'utf8'), loader };
    });
  },
};

async function build(outdir) {
  const esbuild = await import('esbuild');
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
    plugins: [sourceLocations],
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
  return { metafile, outputs: { main: 'main.mjs' } };
}

/** The bundled command's entry module, built first when no current bundle is cached. */
export async function bundledCli() {
  const dir = join(cacheRoot(PROJECT_ROOT), `cli-${buildKey(FORMAT, PROJECT_ROOT, [ENTRY])}`);
  const outputs = await cachedBuild(dir, FORMAT, PROJECT_ROOT, build);
  return pathToFileURL(join(dir, outputs.main)).href;
}
