import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ObjectFormat } from '../../../shared/source/git-tree';

/** A file of a fixture commit: its bytes, an executable bit, or a symlink's target. */
export type FixtureFile = string | { readonly content?: string; readonly executable?: boolean; readonly link?: string };

/** git in `dir` with no global or system config (the machine's must not shape a fixture). */
export function git(dir: string, ...args: string[]): string {
  return execFileSync('git', args, {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' },
  }).trim();
}

/** Writes `files` into the work tree at `dir` (folders made as needed). */
export function writeFiles(dir: string, files: Readonly<Record<string, FixtureFile>>): void {
  for (const [path, file] of Object.entries(files)) {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    const spec = typeof file === 'string' ? { content: file } : file;
    if (spec.link !== undefined) symlinkSync(spec.link, full);
    else writeFileSync(full, spec.content ?? '');
    if (spec.executable === true) chmodSync(full, 0o755);
  }
}

/** A new repository at `dir` (main branch, the given object format). */
export function initRepository(dir: string, format: ObjectFormat = 'sha1'): void {
  git(dir, 'init', '--quiet', '-b', 'main', `--object-format=${format}`);
  git(dir, 'config', 'core.autocrlf', 'false');
}

/** Commits everything in the work tree with `message` (its body after a blank line); answers the commit id. */
export function commitAll(dir: string, message: string): string {
  git(dir, 'add', '--all');
  git(dir, '-c', 'user.name=Fixture', '-c', 'user.email=fixture@example.com', 'commit', '--quiet', '-m', message);
  return git(dir, 'rev-parse', 'HEAD');
}
