import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE } from '../../infra/bundling';
import { parseGantryConfig } from '../../infra/config/load';
import { PROJECT_ROOT } from '../../infra/paths';
import { inventoryOf } from '../../local/template/inventory';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';
import { fmt, median, table } from './stats';

const ENV = { region: 'us-east-1', accountId: '000000000000', edgeEndpoint: 'http://127.0.0.1:4566' };
/** Issue 19's targets for every function. */
const MAX_BYTES = 250 * 1024;
const MAX_IMPORT_MS = 100;
/**
 * The demo config deploys no console (it has no `console:` block), so its template gives the
 * console function no environment; the bench adds one so that every function is synthesized
 * with the environment it would be deployed with.
 */
const CONSOLE_BLOCK = '\nconsole:\n  issuer: https://idp.example.com/oauth2/default\n  audience: gantry-bench\n';

/**
 * Loads a bundle in a fresh Node.js process as the Lambda runtime loads a handler (require() for
 * CommonJS, import() for an ES module) and prints how long it took.
 */
const IMPORT_ONCE = [
  "import { createRequire } from 'node:module';",
  "import { pathToFileURL } from 'node:url';",
  'const file = process.argv[1];',
  'const t = performance.now();',
  "if (file.endsWith('.cjs')) createRequire(file)(file); else await import(pathToFileURL(file).href);",
  'process.stdout.write(String(performance.now() - t));',
].join('\n');

/**
 * `npm run bench -- bundles`: every function under `functions/` bundled with the options the
 * CDK construct deploys (infra/bundling.ts), its minified size, the packages that weigh most in
 * it, and how long importing it takes in a fresh process with the environment the synthesized
 * template gives it (the module-level work a cold start pays before the first request). The
 * bundles are written under node_modules/.cache so that the AWS SDK, external as in Lambda,
 * resolves from the project's install.
 */
export async function benchBundles(options: { rounds: number }): Promise<string> {
  const outDir = join(PROJECT_ROOT, 'node_modules', '.cache', 'gantry-bench-bundles');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const demo = readFileSync(join(PROJECT_ROOT, 'gantry.config.yaml'), 'utf8');
  const config = parseGantryConfig(`${demo}${CONSOLE_BLOCK}`, 'gantry.config.yaml (with a console)');
  const functions = inventoryOf(new TemplateResolver(synthTemplates(config), ENV)).functions;
  const environments = new Map(functions.map((f) => [f.label, f.environment]));
  const names = readdirSync(join(PROJECT_ROOT, 'functions')).sort();
  const rows: (string | number)[][] = [];
  let over = 0;
  for (const name of names) {
    const outfile = join(outDir, `${name}.${LAMBDA_BUNDLE.format === 'cjs' ? 'cjs' : 'mjs'}`);
    const { metafile } = await build({
      entryPoints: [join(PROJECT_ROOT, 'functions', name, 'handler.ts')],
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
    const bytes = statSync(outfile).size;
    const output = bundleOutput(metafile);
    const sdkFile = join(outDir, `${name}.sdk.cjs`);
    writeFileSync(
      sdkFile,
      externalsOf(output)
        .map((m) => `require(${JSON.stringify(m)});`)
        .join('\n'),
    );
    const env = {
      ...process.env,
      AWS_REGION: ENV.region,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      POWERTOOLS_SERVICE_NAME: name,
      ...(environments.get(name) ?? {}),
    };
    const samples: number[] = [];
    const sdkSamples: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      samples.push(loadMs(outfile, env));
      sdkSamples.push(loadMs(sdkFile, env));
    }
    const importMs = median(samples);
    const ok = bytes <= MAX_BYTES && importMs <= MAX_IMPORT_MS;
    if (!ok) over++;
    rows.push([
      name,
      fmt(bytes / 1024, 0),
      fmt(importMs, 0),
      fmt(median(sdkSamples), 0),
      heaviest(output),
      ok ? 'yes' : '**no**',
    ]);
    process.stderr.write('.');
  }
  return [
    `Each function bundled as deployed (${LAMBDA_BUNDLE.format}, ${LAMBDA_BUNDLE.target}, minified, ${LAMBDA_BUNDLE.external.join(', ')} external); import time is the median of ${options.rounds} fresh processes, next to the time the same processes take to load only the AWS SDK clients the bundle requires (external: the runtime's copy in Lambda, loaded the same way). Targets: at most ${MAX_BYTES / 1024} KB and ${MAX_IMPORT_MS} ms.`,
    '',
    table(
      ['function', 'KB', 'import ms', 'of which loading the AWS SDK ms', 'heaviest packages (KB)', 'within targets'],
      rows,
    ),
    '',
    over === 0 ? 'Every function is within both targets.' : `${over} of ${names.length} functions miss a target.`,
  ].join('\n');
}

/** Milliseconds to load `file` in a fresh Node.js process, as the Lambda runtime loads a handler. */
function loadMs(file: string, env: NodeJS.ProcessEnv): number {
  return Number(
    execFileSync(process.execPath, ['--input-type=module', '-e', IMPORT_ONCE, file], {
      env,
      cwd: PROJECT_ROOT,
      encoding: 'utf8',
    }),
  );
}

type BundleOutput = Metafile['outputs'][string];

/** The bundle itself among esbuild's outputs (the other is its source map). */
function bundleOutput(metafile: Metafile): BundleOutput {
  const output = Object.entries(metafile.outputs).find(([path]) => !path.endsWith('.map'))?.[1];
  if (output === undefined) throw new Error('esbuild wrote no bundle');
  return output;
}

/** The AWS SDK packages the bundle leaves external and loads with it (its cold start). */
function externalsOf(output: BundleOutput): string[] {
  // A dynamic import() loads when first called, not with the bundle (the receiver's SQS client).
  const sdk = output.imports
    .filter((i) => i.external && i.kind !== 'dynamic-import' && i.path.startsWith('@aws-sdk/'))
    .map((i) => i.path);
  return [...new Set(sdk)].sort();
}

/** The three packages (or project folders) that put the most bytes into a bundle. */
function heaviest(output: BundleOutput): string {
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output.inputs)) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([pkg, bytes]) => `${pkg} ${fmt(bytes / 1024, 0)}`)
    .join(', ');
}
