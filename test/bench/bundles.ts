import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { LAMBDA_BUNDLE } from '../../infra/bundling';
import { loadGantryConfig } from '../../infra/config/load';
import { PROJECT_ROOT } from '../../infra/paths';
import { inventoryOf } from '../../local/template/inventory';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';
import { fmt, median, table } from './stats';

const ENV = { region: 'us-east-1', accountId: '000000000000', edgeEndpoint: 'http://127.0.0.1:4566' };
/** Issue 19's targets for every function. */
const MAX_BYTES = 250 * 1024;
const MAX_IMPORT_MS = 100;

/** Imports a bundle in a fresh Node.js process, as a Lambda cold start does, and prints how long it took. */
const IMPORT_ONCE = `const t = performance.now(); await import(process.argv[1]); process.stdout.write(String(performance.now() - t));`;

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
  const config = loadGantryConfig(join(PROJECT_ROOT, 'gantry.config.yaml'));
  const functions = inventoryOf(new TemplateResolver(synthTemplates(config), ENV)).functions;
  const environments = new Map(functions.map((f) => [f.label, f.environment]));
  const names = readdirSync(join(PROJECT_ROOT, 'functions')).sort();
  const rows: (string | number)[][] = [];
  let over = 0;
  for (const name of names) {
    const outfile = join(outDir, `${name}.mjs`);
    const { metafile } = await build({
      entryPoints: [join(PROJECT_ROOT, 'functions', name, 'handler.ts')],
      outfile,
      bundle: true,
      platform: 'node',
      format: LAMBDA_BUNDLE.format,
      target: LAMBDA_BUNDLE.target,
      minify: LAMBDA_BUNDLE.minify,
      mainFields: [...LAMBDA_BUNDLE.mainFields],
      banner: { js: LAMBDA_BUNDLE.banner },
      external: [...LAMBDA_BUNDLE.external],
      metafile: true,
      logLevel: 'error',
    });
    const bytes = statSync(outfile).size;
    const env = {
      ...process.env,
      AWS_REGION: ENV.region,
      AWS_ACCESS_KEY_ID: 'bench',
      AWS_SECRET_ACCESS_KEY: 'bench',
      POWERTOOLS_SERVICE_NAME: name,
      ...(environments.get(name) ?? {}),
    };
    const samples: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      const out = execFileSync(
        process.execPath,
        ['--input-type=module', '-e', IMPORT_ONCE, pathToFileURL(outfile).href],
        {
          env,
          cwd: PROJECT_ROOT,
          encoding: 'utf8',
        },
      );
      samples.push(Number(out));
    }
    const importMs = median(samples);
    const ok = bytes <= MAX_BYTES && importMs <= MAX_IMPORT_MS;
    if (!ok) over++;
    rows.push([name, fmt(bytes / 1024, 0), fmt(importMs, 0), heaviest(metafile), ok ? 'yes' : '**no**']);
    process.stderr.write('.');
  }
  return [
    `Each function bundled as deployed (${LAMBDA_BUNDLE.format}, ${LAMBDA_BUNDLE.target}, minified, ${LAMBDA_BUNDLE.external.join(', ')} external); import time is the median of ${options.rounds} fresh processes. Targets: at most ${MAX_BYTES / 1024} KB and ${MAX_IMPORT_MS} ms.`,
    '',
    table(['function', 'KB', 'import ms', 'heaviest packages (KB)', 'within targets'], rows),
    '',
    over === 0 ? 'Every function is within both targets.' : `${over} of ${names.length} functions miss a target.`,
  ].join('\n');
}

/** The three packages (or project folders) that put the most bytes into a bundle. */
function heaviest(metafile: Metafile): string {
  const output = Object.values(metafile.outputs)[0];
  const byPackage = new Map<string, number>();
  for (const [path, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1] ?? path.split('/').slice(0, 2).join('/');
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + input.bytesInOutput);
  }
  return [...byPackage]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([pkg, bytes]) => `${pkg} ${fmt(bytes / 1024, 0)}`)
    .join(', ');
}
