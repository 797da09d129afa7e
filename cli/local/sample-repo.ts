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

/**
 * The demo's sample repository: `examples/sample-service` as a git repository with `main` and
 * `develop`, and `demo/failing-gate` where a change fails the gates. Made once, then reused.
 */
export function ensureSampleRepo(dir: string): string {
  if (existsSync(join(dir, '.git'))) return dir;
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
  git(dir, 'checkout', '--quiet', '-b', 'demo/failing-gate');
  cpSync(join(SAMPLE, 'demo-changes', 'failing-gate'), dir, {
    recursive: true,
    filter: (src) => !src.endsWith('README.md'),
  });
  git(dir, 'add', '--all');
  git(dir, 'commit', '--quiet', '-m', 'Add the legacy calculator (untested, uses eval)');
  git(dir, 'checkout', '--quiet', 'develop');
  return dir;
}
