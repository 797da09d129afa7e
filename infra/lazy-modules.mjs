// Packages a function reaches only on a path few requests take, shipped beside its bundle rather
// than inside it, so that a cold start does not parse them. A function's bundle keeps them external
// (esbuild leaves its `import("<package>")` as it is) and this script then builds each package it
// imports into the function's folder as `node_modules/<package>/index.mjs`: the first request that
// needs one loads it from there, as Node resolves any package. Plain JavaScript, so that the CDK
// construct's bundling hook runs it with `node` and the tests and benchmarks import the same code.
//
// Usage: node infra/lazy-modules.mjs <bundle file> <target>
import { readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/**
 * The packages kept out of every bundle, with why. hyparquet-writer (58 KB) is the Parquet format
 * of the console's audit export: in the bundle, it was a fifth of what every console cold start
 * parsed (274 KB against issue 19's 250 KB), for one download format.
 */
export const LAZY_MODULES = ['hyparquet-writer'];

/**
 * The lazy packages `bundle` (a built function) imports: esbuild writes each as `import("<name>")`.
 * Any other mention of one (a static import, now `require("<name>")`, or a subpath) would be
 * external with nothing shipped for it, so it fails the build, saying what to write instead.
 */
export function lazyImportsOf(bundle) {
  const text = readFileSync(bundle, 'utf8');
  const count = (needle) => text.split(needle).length - 1;
  return LAZY_MODULES.filter((name) => {
    const dynamic = count(`import(${JSON.stringify(name)})`);
    const other = count(JSON.stringify(name)) - dynamic + count(`"${name}/`);
    if (other > 0) {
      throw new Error(
        `${bundle}: ${name} is shipped beside the bundle (infra/lazy-modules.mjs) and must be loaded only with await import('${name}'), never imported statically or by a subpath`,
      );
    }
    return dynamic > 0;
  });
}

/**
 * Builds each lazy package `bundle` imports into `node_modules/<name>/` beside it: one minified ES
 * module with the package's dependencies inside. Returns the files written.
 */
export async function shipLazyModules(bundle, target) {
  const { build } = await import('esbuild');
  const written = [];
  for (const name of lazyImportsOf(bundle)) {
    const dir = join(dirname(bundle), 'node_modules', name);
    const outfile = join(dir, 'index.mjs');
    await build({
      stdin: { contents: `export * from ${JSON.stringify(name)};`, resolveDir: PROJECT_ROOT, loader: 'js' },
      bundle: true,
      platform: 'node',
      format: 'esm',
      target,
      minify: true,
      outfile,
      logLevel: 'error',
    });
    writeFileSync(
      join(dir, 'package.json'),
      `${JSON.stringify({ name, private: true, type: 'module', main: 'index.mjs' })}\n`,
    );
    written.push(outfile);
  }
  return written;
}

if (process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url))) {
  const [bundle, target] = process.argv.slice(2);
  if (bundle === undefined || target === undefined) {
    console.error('usage: node infra/lazy-modules.mjs <bundle file> <target>');
    process.exit(2);
  }
  await shipLazyModules(bundle, target);
}
