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
 * How long one git call may take. Reading a repository's own files can block forever (a FIFO in
 * its config's include, or in its alternates), and a large archive takes seconds: past this the
 * call is killed and answered as failed, never left open.
 */
export const GIT_TIMEOUT_MS = 120_000;

/** A git call that ran out of time (so the caller can say so, not "not found"). */
export class GitTimeout extends Error {}

/** What git says of the repository in `dir`: where its objects are, their hash, and whether it is a shallow clone. */
export interface LocatedRepository {
  readonly objects: string;
  readonly format: 'sha1' | 'sha256';
  readonly shallow: boolean;
}

/**
 * Asks git where the repository in `dir` keeps its objects, with no global or system config.
 * This is the one call that reads the repository's own config (git must, to know its format), so
 * it is off the event loop and bounded by `timeoutMs`.
 */
export async function locateRepository(dir: string, timeoutMs = GIT_TIMEOUT_MS): Promise<LocatedRepository> {
  const { stdout } = await run(
    ['rev-parse', '--path-format=absolute', '--git-common-dir', '--show-object-format', '--is-shallow-repository'],
    { cwd: dir, env: bareEnvironment(), encoding: 'utf8', timeout: timeoutMs },
  );
  const [common = '', format = '', shallow = ''] = String(stdout).trim().split('\n');
  if (common === '' || (format !== 'sha1' && format !== 'sha256') || !/^(?:true|false)$/.test(shallow))
    throw new Error(`${dir} is not a git repository git can read`);
  return { objects: join(common, 'objects'), format, shallow: shallow === 'true' };
}

/**
 * Runs git over nothing but the objects of the repository in `dir`, as a provider's server holds
 * a pushed commit: through a throwaway git folder whose only link to the repository is an
 * alternates file. None of the repository's config applies (filter drivers that would run a
 * command and serve its output, core.autocrlf, an attributes file, an include), nor
 * `.git/info/attributes`, grafts, replace refs or a shallow file, nor the machine's global or
 * system config; a commit's tree is what it is, its history what its parents say (a history a
 * shallow clone lacks is an error, never a shorter list). Off the event loop: the control plane
 * shares it, and a large repository's archive takes seconds. Each git call is bounded by
 * `timeoutMs` (a GitTimeout past it).
 */
export async function gitOverObjects<E extends 'utf8' | 'buffer'>(
  dir: string,
  args: readonly string[],
  encoding: E,
  timeoutMs = GIT_TIMEOUT_MS,
): Promise<E extends 'buffer' ? Buffer : string> {
  const { objects, format } = await locateRepository(dir, timeoutMs);
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
    writeFileSync(join(gitDir, 'objects', 'info', 'alternates'), `${objects}\n`);
    const { stdout } = await run(['--no-replace-objects', ...args], {
      cwd: gitDir,
      env: bareEnvironment(gitDir),
      encoding,
      maxBuffer: 512 * 1024 * 1024,
      timeout: timeoutMs,
    });
    return stdout as E extends 'buffer' ? Buffer : string;
  } finally {
    rmSync(gitDir, { recursive: true, force: true });
  }
}

/** git, killed past its timeout; a kill for time is a GitTimeout. */
async function run(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; encoding: 'utf8' | 'buffer'; timeout: number; maxBuffer?: number },
): Promise<{ stdout: string | Buffer }> {
  try {
    return await execFileAsync('git', args, { ...options, killSignal: 'SIGKILL' });
  } catch (error) {
    const { killed, code } = error as { killed?: boolean; code?: unknown };
    if (killed === true && code !== 'ERR_CHILD_PROCESS_STDIO_MAXBUFFER')
      throw new GitTimeout(`git ${args.find((a) => !a.startsWith('-'))} took longer than ${options.timeout / 1000} s`);
    throw error;
  }
}
