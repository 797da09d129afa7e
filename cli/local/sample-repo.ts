import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';

const SAMPLE = join(PROJECT_ROOT, 'examples', 'sample-service');
const AUTHOR = ['-c', 'user.name=Dana Developer', '-c', 'user.email=dana@example.com'];

/** Runs git in `cwd` with a fixed author, returning stdout. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', [...AUTHOR, '-c', 'init.defaultBranch=main', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

/** Demo branches, each one commit on develop with a change from `demo-changes/`. */
const DEMO_BRANCHES = [
  { branch: 'demo/failing-gate', change: 'failing-gate', message: 'Add the legacy calculator (untested, uses eval)' },
  { branch: 'demo/bad-release', change: 'bad-release', message: 'Greeting style from configuration' },
] as const;

/**
 * The demo's sample repository: `examples/sample-service` as a git repository with `main` and
 * `develop`, and demo branches where a change fails the gates (`demo/failing-gate`) or fails in
 * production (`demo/bad-release`). Made once, then reused; a missing demo branch is added.
 */
export function ensureSampleRepo(dir: string): string {
  if (!existsSync(join(dir, '.git'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    cpSync(SAMPLE, dir, {
      recursive: true,
      filter: (src) => !src.includes(`${join(SAMPLE, 'demo-changes')}`) && !src.includes('node_modules'),
    });
    git(dir, 'init', '--quiet');
    git(dir, 'add', '--all');
    git(dir, 'commit', '--quiet', '-m', 'Sample service: greeting API with tests');
    git(dir, 'checkout', '--quiet', '-b', 'develop');
  }
  for (const demo of DEMO_BRANCHES) {
    if (git(dir, 'branch', '--list', demo.branch) !== '') continue;
    git(dir, 'checkout', '--quiet', '-b', demo.branch, 'develop');
    cpSync(join(SAMPLE, 'demo-changes', demo.change), dir, {
      recursive: true,
      filter: (src) => !src.endsWith('README.md'),
    });
    git(dir, 'add', '--all');
    git(dir, 'commit', '--quiet', '-m', demo.message);
  }
  git(dir, 'checkout', '--quiet', 'develop');
  return dir;
}
