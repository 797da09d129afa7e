import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE } from '../../infra/bundling';
import { shipLazyModules } from '../../infra/lazy-modules.mjs';
import { PROJECT_ROOT } from '../../infra/paths';

/**
 * Bundles `functions/<name>/handler.ts` to `outfile` as the CDK construct deploys it, the lazy
 * packages it imports built beside it (`node_modules/` next to `outfile`), as its bundling hook does.
 */
export async function bundleFunction(name: string, outfile: string): Promise<Metafile> {
  return bundleEntry(join(PROJECT_ROOT, 'functions', name, 'handler.ts'), outfile);
}

/** Bundles any entry with the options and the lazy packages a function's bundle gets. */
export async function bundleEntry(entry: string, outfile: string): Promise<Metafile> {
  const { metafile } = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: LAMBDA_BUNDLE.format,
    target: LAMBDA_BUNDLE.target,
    minify: LAMBDA_BUNDLE.minify,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    define: { ...LAMBDA_BUNDLE.define },
    sourcemap: LAMBDA_BUNDLE.sourceMap,
    sourcesContent: LAMBDA_BUNDLE.sourcesContent,
    external: [...LAMBDA_BUNDLE.external],
    metafile: true,
    logLevel: 'error',
  });
  await shipLazyModules(outfile, LAMBDA_BUNDLE.target);
  return metafile;
}

const LOAD_AND_LIST = [
  "import { createRequire } from 'node:module';",
  "import { pathToFileURL } from 'node:url';",
  'const file = process.argv[1];',
  'const require = createRequire(file);',
  // The locale-sensitive built-ins the import calls: the first of them starts ICU (~10 ms).
  'const intl = new Set();',
  'for (const name of Object.getOwnPropertyNames(Intl)) {',
  '  const built = Intl[name];',
  "  if (typeof built !== 'function') continue;",
  "  const record = () => intl.add('Intl.' + name);",
  '  Intl[name] = new Proxy(built, {',
  '    construct: (target, args, newTarget) => (record(), Reflect.construct(target, args, newTarget)),',
  '    apply: (target, self, args) => (record(), Reflect.apply(target, self, args)),',
  '  });',
  '}',
  'for (const [type, method] of [',
  "  [String, 'localeCompare'], [String, 'toLocaleUpperCase'], [String, 'toLocaleLowerCase'],",
  "  [Number, 'toLocaleString'], [Date, 'toLocaleString'], [Date, 'toLocaleDateString'],",
  "  [Date, 'toLocaleTimeString'], [Array, 'toLocaleString'], [BigInt, 'toLocaleString'],",
  ']) {',
  '  const original = type.prototype[method];',
  '  type.prototype[method] = function (...args) {',
  "    intl.add(type.name + '.prototype.' + method);",
  '    return original.apply(this, args);',
  '  };',
  '}',
  'const t = performance.now();',
  // As the Lambda runtime loads a handler: require() for CommonJS, import() for an ES module.
  "if (file.endsWith('.mjs')) await import(pathToFileURL(file).href); else require(file);",
  'const ms = performance.now() - t;',
  'const sdk = new Set();',
  'for (const path of Object.keys(require.cache)) {',
  '  const pkg = /node_modules\\/(@aws-sdk\\/[^/]+)\\//.exec(path)?.[1];',
  '  if (pkg !== undefined) sdk.add(pkg);',
  '}',
  // Whether zod's messages are in English (zod/mini's are "Invalid input" until a locale is configured).
  "const english = typeof globalThis.__zod_globalConfig?.localeError === 'function';",
  'process.stdout.write(JSON.stringify({ ms, sdk: [...sdk].sort(), intl: [...intl].sort(), english }));',
].join('\n');

/** What importing a bundle cost: its time, the AWS SDK packages it loaded, the locale-sensitive built-ins it called. */
export interface BundleLoad {
  readonly ms: number;
  readonly sdk: string[];
  readonly intl: string[];
  /** Whether the import configured zod's English messages (README "Lambda bundles": zod/mini). */
  readonly english: boolean;
}

/**
 * Loads a bundle in a fresh Node.js process as the Lambda runtime loads a handler, and
 * says how long that took, which AWS SDK packages (external, the runtime's copy) it loaded and
 * which locale-sensitive built-ins (Intl, toLocaleString and the like) it called:
 * what a cold start pays before the first request. The bundle must sit where `@aws-sdk/*`
 * resolves from the project's install (under node_modules/.cache).
 */
export function loadBundle(file: string, env: NodeJS.ProcessEnv): BundleLoad {
  let out: string;
  try {
    out = execFileSync(process.execPath, ['--input-type=module', '-e', LOAD_AND_LIST, file], {
      env: { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  } catch (error) {
    // The failing line of a minified bundle is the whole bundle: say only what was thrown.
    const stderr = String((error as { stderr?: unknown }).stderr ?? '');
    const thrown = stderr.split('\n').find((line) => /(Error|Exception)\]?: /.test(line)) ?? stderr.slice(-300);
    throw new Error(`loading ${file} failed: ${thrown.trim().slice(0, 500)}`);
  }
  return JSON.parse(out) as BundleLoad;
}
