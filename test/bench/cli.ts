import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';
import { CACHE_DIR_ENV } from '../../local/template/synth-cache';
import { fmt, median, table } from './stats';

const REPORTS = join(PROJECT_ROOT, 'test', 'fixtures', 'reports');

/** Offline commands: the program alone, and one that loads a command group and reads files. */
const COMMANDS: Record<string, string[]> = {
  'gantry --version': ['--version'],
  'gantry gates evaluate (JUnit + SARIF)': [
    'gates',
    'evaluate',
    '--junit',
    join(REPORTS, 'junit', 'pytest.xml'),
    '--sarif',
    join(REPORTS, 'sarif', 'flawfinder.sarif'),
  ],
};

/** Wall time of one `gantry` process, from spawn to exit. */
function timeCommand(args: string[], env: NodeJS.ProcessEnv): number {
  const started = performance.now();
  const run = spawnSync(process.execPath, ['cli/bin.mjs', ...args], { cwd: PROJECT_ROOT, env, encoding: 'utf8' });
  if (run.error) throw run.error;
  if (run.status !== 0 && run.status !== 1)
    throw new Error(`gantry ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return performance.now() - started;
}

/**
 * `npm run bench -- cli`: a gantry command's wall time through tsx (the sources transpiled as they
 * load) and from its cached bundle, interleaved, plus the first run that builds the bundle.
 */
export async function benchCli(options: { rounds: number }): Promise<string> {
  const cacheDir = mkdtempSync(join(tmpdir(), 'gantry-bench-cli-'));
  const base = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', [CACHE_DIR_ENV]: cacheDir };
  const fromSource = { ...base, GANTRY_CLI_FROM_SOURCE: '1' };
  const bundled = { ...base, GANTRY_CLI_FROM_SOURCE: '' };
  try {
    const firstBuild = timeCommand(['--version'], bundled);
    const rows = Object.entries(COMMANDS).map(([what, args]) => {
      const source: number[] = [];
      const bundle: number[] = [];
      for (let round = 0; round < options.rounds; round++) {
        source.push(timeCommand(args, fromSource));
        bundle.push(timeCommand(args, bundled));
      }
      process.stderr.write('.');
      const s = median(source);
      const b = median(bundle);
      return [what, fmt(s), fmt(b), `${fmt((1 - b / s) * 100)}%`];
    });
    return [
      `Wall time of one gantry process, spawn to exit, median of ${options.rounds} runs each, interleaved. The first bundled run (\`gantry --version\` with an empty ${CACHE_DIR_ENV}) builds the bundle: ${fmt(firstBuild)} ms.`,
      '',
      table(['command', 'through tsx (ms)', 'bundled (ms)', 'saved'], rows),
    ].join('\n');
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
}
