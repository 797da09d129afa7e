import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Metafile } from 'esbuild';
import { LAMBDA_BUNDLE } from '../../infra/bundling';
import { parseGantryConfig } from '../../infra/config/load';
import { lazyImportsOf } from '../../infra/lazy-modules.mjs';
import { PROJECT_ROOT } from '../../infra/paths';
import { inventoryOf } from '../../local/template/inventory';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';
import { bundleFunction, loadBundle } from '../support/bundles';
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
    const output = bundleOutput(await bundleFunction(name, outfile));
    const bytes = statSync(outfile).size;
    const env = {
      ...process.env,
      AWS_REGION: ENV.region,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      POWERTOOLS_SERVICE_NAME: name,
      ...(environments.get(name) ?? {}),
    };
    // The SDK packages the bundle requires that its import really loads (not those a step loads at its first call).
    const loaded = loadBundle(outfile, env).sdk;
    const sdkFile = join(outDir, `${name}.sdk.cjs`);
    writeFileSync(
      sdkFile,
      externalsOf(output)
        .filter((m) => loaded.includes(m))
        .map((m) => `require(${JSON.stringify(m)});`)
        .join('\n'),
    );
    const samples: number[] = [];
    const sdkSamples: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      samples.push(loadBundle(outfile, env).ms);
      sdkSamples.push(loadBundle(sdkFile, env).ms);
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
      lazyImportsOf(outfile)
        .map((m) => `${m} ${fmt(statSync(join(outDir, 'node_modules', m, 'index.mjs')).size / 1024, 0)}`)
        .join(', ') || '-',
      ok ? 'yes' : '**no**',
    ]);
    process.stderr.write('.');
  }
  return [
    `Each function bundled as deployed (${LAMBDA_BUNDLE.format}, ${LAMBDA_BUNDLE.target}, minified, ${LAMBDA_BUNDLE.external.join(', ')} external); import time is the median of ${options.rounds} fresh processes, next to the time the same processes take to load only the AWS SDK clients that import loads (external: the runtime's copy in Lambda, loaded the same way; a client a step loads at its first call is not counted). A package only some requests use ships beside the bundle (infra/lazy-modules.mjs), shown with its size: the cold start does not load it. Targets: at most ${MAX_BYTES / 1024} KB and ${MAX_IMPORT_MS} ms.`,
    '',
    table(
      [
        'function',
        'KB',
        'import ms',
        'of which loading the AWS SDK ms',
        'heaviest packages (KB)',
        'beside it, loaded on first use (KB)',
        'within targets',
      ],
      rows,
    ),
    '',
    over === 0 ? 'Every function is within both targets.' : `${over} of ${names.length} functions miss a target.`,
  ].join('\n');
}

type BundleOutput = Metafile['outputs'][string];

/** The bundle itself among esbuild's outputs (the other is its source map). */
function bundleOutput(metafile: Metafile): BundleOutput {
  const output = Object.entries(metafile.outputs).find(([path]) => !path.endsWith('.map'))?.[1];
  if (output === undefined) throw new Error('esbuild wrote no bundle');
  return output;
}

/** The AWS SDK packages the bundle leaves external (some only required at a step's first call). */
function externalsOf(output: BundleOutput): string[] {
  const sdk = output.imports.filter((i) => i.external && i.path.startsWith('@aws-sdk/')).map((i) => i.path);
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
