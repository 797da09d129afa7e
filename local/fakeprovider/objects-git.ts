import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

/** Variables that would point git at other objects, config or history than the repository's own. */
const INHERITED = [
  'GIT_DIR',
  'GIT_WORK_TREE',
  'GIT_COMMON_DIR',
  'GIT_OBJECT_DIRECTORY',
  'GIT_ALTERNATE_OBJECT_DIRECTORIES',
  'GIT_INDEX_FILE',
  'GIT_GRAFT_FILE',
  'GIT_REPLACE_REF_BASE',
  'GIT_CONFIG',
  'GIT_CONFIG_PARAMETERS',
  'GIT_CONFIG_COUNT',
  'GIT_ATTR_SOURCE',
];

/** The environment of a git that reads no config but its own (no global, no system file). */
function bareEnvironment(gitDir?: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_CONFIG_GLOBAL: '/dev/null', GIT_CONFIG_NOSYSTEM: '1' };
  for (const name of INHERITED) delete env[name];
  if (gitDir !== undefined) env.GIT_DIR = gitDir;
  return env;
}

/**
 * Runs git over nothing but the objects of the repository in `dir`, as a provider's server holds
 * a pushed commit: through a throwaway git folder whose only link to the repository is an
 * alternates file. None of the repository's config applies (filter drivers that would run a
 * command and serve its output, core.autocrlf, an attributes file, an include), nor
 * `.git/info/attributes`, grafts, replace refs or a shallow file, nor the machine's global or
 * system config; a commit's tree is what it is, its history what its parents say (a history a
 * shallow clone lacks is an error, never a shorter list). Off the event loop: the control plane
 * shares it, and a large repository's archive takes seconds.
 */
export async function gitOverObjects<E extends 'utf8' | 'buffer'>(
  dir: string,
  args: readonly string[],
  encoding: E,
): Promise<E extends 'buffer' ? Buffer : string> {
  const { stdout: located } = await execFileAsync(
    'git',
    ['rev-parse', '--path-format=absolute', '--git-common-dir', '--show-object-format'],
    { cwd: dir, encoding: 'utf8', env: bareEnvironment() },
  );
  const [common = '', format = ''] = located.trim().split('\n');
  if (common === '' || !/^sha(?:1|256)$/.test(format)) throw new Error(`${dir} is not a git repository git can read`);
  const gitDir = mkdtempSync(join(tmpdir(), 'gantry-objects-'));
  try {
    mkdirSync(join(gitDir, 'objects', 'info'), { recursive: true });
    mkdirSync(join(gitDir, 'refs'));
    writeFileSync(join(gitDir, 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(
      join(gitDir, 'config'),
      format === 'sha1'
        ? '[core]\n\trepositoryformatversion = 0\n'
        : `[core]\n\trepositoryformatversion = 1\n[extensions]\n\tobjectformat = ${format}\n`,
    );
    writeFileSync(join(gitDir, 'objects', 'info', 'alternates'), `${join(common, 'objects')}\n`);
    const { stdout } = await execFileAsync('git', ['--no-replace-objects', ...args], {
      cwd: gitDir,
      env: bareEnvironment(gitDir),
      encoding,
      maxBuffer: 512 * 1024 * 1024,
    });
    return stdout as E extends 'buffer' ? Buffer : string;
  } finally {
    rmSync(gitDir, { recursive: true, force: true });
  }
}
