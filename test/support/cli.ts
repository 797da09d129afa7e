import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
export const ROOT = join(import.meta.dirname, '..', '..');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** The gantry command as a user runs it from the project folder; resolves with its exit code and output. */
export async function gantry(...args: string[]): Promise<CliResult> {
  return gantryWith({}, ...args);
}

/** The gantry command run from another folder or with another environment (replacing, not adding to, ours). */
export async function gantryWith(
  options: { readonly cwd?: string; readonly env?: NodeJS.ProcessEnv },
  ...args: string[]
): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, [join(ROOT, 'cli', 'bin.mjs'), ...args], {
      cwd: options.cwd ?? ROOT,
      ...(options.env ? { env: options.env } : {}),
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}
