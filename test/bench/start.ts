import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';
import { CACHE_DIR_ENV } from '../../local/template/synth-cache';
import { fmt, median, table } from './stats';

/** Issue 19's targets: `npm start` ready within 8 s, and within 5 s when it has started before. */
const FIRST_MS = 8_000;
const SECOND_MS = 5_000;

interface Start {
  readonly readyMs: number;
  /** CPU seconds the process (and its worker threads) spent until ready: steadier than wall time on a busy machine. */
  readonly cpuSec: number;
}

/**
 * Runs `gantry local up` (what `npm start` runs) in a fresh process until it prints that it is up,
 * measuring from the spawn, then stops it with Ctrl-C. Free ports, a fresh data folder.
 */
async function timeStart(cacheDir: string): Promise<Start> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-start-'));
  const started = performance.now();
  const child = spawn(process.execPath, ['cli/bin.mjs', 'local', 'up', '--quiet', '--data-dir', dataDir], {
    cwd: PROJECT_ROOT,
    env: {
      ...process.env,
      [CACHE_DIR_ENV]: cacheDir,
      GANTRY_PORT: '0',
      GANTRY_AWS_PORT: '0',
      GANTRY_SERVICE_PORT: '0',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    let output = '';
    const readyMs = await new Promise<number>((resolve, reject) => {
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
        if (output.includes('control plane is up')) resolve(performance.now() - started);
      });
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString('utf8');
      });
      child.on('exit', (code) => reject(new Error(`gantry local up exited (${code}) before it was up:\n${output}`)));
    });
    return { readyMs, cpuSec: cpuSeconds(child.pid) };
  } finally {
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** utime + stime of a running Linux process, in seconds (NaN elsewhere). */
function cpuSeconds(pid: number | undefined): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}

/**
 * `npm run bench -- start`: `npm start` to ready, first with an empty start-up cache (the templates
 * are synthesized and the handlers bundled), then again with the cache the first start left.
 */
export async function benchStart(options: { rounds: number }): Promise<string> {
  const first: Start[] = [];
  const second: Start[] = [];
  for (let round = 0; round < options.rounds; round++) {
    const cacheDir = mkdtempSync(join(tmpdir(), 'gantry-bench-cache-'));
    try {
      first.push(await timeStart(cacheDir));
      second.push(await timeStart(cacheDir));
    } finally {
      rmSync(cacheDir, { recursive: true, force: true });
    }
    process.stderr.write('.');
  }
  const row = (what: string, starts: Start[], targetMs: number) => {
    const ms = median(starts.map((s) => s.readyMs));
    return [
      what,
      fmt(ms / 1000, 1),
      fmt(median(starts.map((s) => s.cpuSec)), 1),
      `≤ ${fmt(targetMs / 1000)} s`,
      ms <= targetMs ? 'met' : 'missed',
    ];
  };
  return [
    `\`gantry local up\` (what \`npm start\` runs) in a fresh process, from spawn to the "is up" line; median of ${options.rounds} rounds, each with a new cache folder (${CACHE_DIR_ENV}).`,
    '',
    table(
      ['start', 'ready (s)', 'CPU (s)', 'target', ''],
      [
        row('first (empty cache: synthesize, bundle)', first, FIRST_MS),
        row('second (templates and bundles cached)', second, SECOND_MS),
      ],
    ),
  ].join('\n');
}
