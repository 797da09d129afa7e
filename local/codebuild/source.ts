import { execFile } from 'node:child_process';
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { COMMIT_ID } from '../../events';
import { clientError } from './errors';

const run = promisify(execFile);

export interface CheckoutInputs {
  /** A local repository: an absolute path or a file:// URL. */
  readonly location: string;
  /** A commit, or a branch or tag of the repository; absent means its default branch. */
  readonly version?: string;
  readonly srcDir: string;
  readonly env: Readonly<Record<string, string>>;
  readonly signal: AbortSignal;
}

/**
 * Git as the build runner calls it: only local repositories (`protocol.allow=never` with file
 * allowed, so neither the clone nor a submodule reaches the network), no prompts, no system or
 * user configuration.
 */
function git(args: readonly string[], inputs: CheckoutInputs, cwd?: string) {
  const config = ['-c', 'protocol.allow=never', '-c', 'protocol.file.allow=always', '-c', 'safe.directory=*'];
  return run('git', [...config, ...args], {
    cwd: cwd ?? inputs.srcDir,
    env: { ...inputs.env, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' },
    signal: inputs.signal,
    maxBuffer: 8 * 1024 * 1024,
  });
}

/**
 * DOWNLOAD_SOURCE: clones the repository into the build's own workspace and checks out exactly
 * the requested version. Returns the commit checked out (CODEBUILD_RESOLVED_SOURCE_VERSION).
 * @throws PhaseFailure (CLIENT_ERROR) when the repository cannot be cloned or the version is not in it.
 */
export async function checkout(inputs: CheckoutInputs): Promise<string> {
  const repository = localRepository(inputs.location);
  try {
    await git(['clone', '--quiet', '--no-checkout', '--', repository, inputs.srcDir], inputs, '/');
  } catch (error) {
    if (inputs.signal.aborted) throw error;
    throw clientError(`repository not found or not readable: ${inputs.location} (${gitMessage(error)})`, error);
  }
  const commit = await resolveVersion(inputs);
  await git(['-c', 'advice.detachedHead=false', 'checkout', '--quiet', '--detach', commit], inputs);
  return commit;
}

async function resolveVersion(inputs: CheckoutInputs): Promise<string> {
  const version = inputs.version ?? 'HEAD';
  // A commit id is that commit (never a branch someone named like one); a name is the branch, then
  // the tag, by full name: a tag named like the branch does not take its place.
  const candidates =
    version === 'HEAD' || COMMIT_ID.test(version)
      ? [version]
      : [`refs/remotes/origin/${version}`, `refs/tags/${version}`, version];
  for (const candidate of candidates) {
    try {
      const { stdout } = await git(
        ['rev-parse', '--verify', '--quiet', '--end-of-options', `${candidate}^{commit}`],
        inputs,
      );
      return stdout.trim();
    } catch {
      if (inputs.signal.aborted) throw inputs.signal.reason;
    }
  }
  throw clientError(`reference not found for primary source and source version ${version}`);
}

/** The path git should clone, or CLIENT_ERROR for a location local mode will not reach. */
function localRepository(location: string): string {
  if (location.startsWith('file://')) return fileURLToPath(location);
  if (isAbsolute(location)) return location;
  throw clientError(`local builds clone local repositories only (an absolute path or a file:// URL); got ${location}`);
}

function gitMessage(error: unknown): string {
  const stderr = (error as { stderr?: string }).stderr ?? '';
  const lines = stderr.trim().split('\n');
  return lines.at(-1) ?? 'git failed';
}
