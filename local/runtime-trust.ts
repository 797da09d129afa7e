import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/** Which check a runtime.json failed before the CLI would follow it. */
export type RuntimeTrustCheck = 'file' | 'owner' | 'mode' | 'url' | 'pid';

/**
 * A runtime.json the CLI will not follow. A checkout can carry a `.gantry/runtime.json` of its
 * own, so the file is trusted only when this user's local control plane could have written it:
 * a regular file of this user, 0600, naming loopback URLs and a live process of this user.
 */
export class UntrustedRuntimeError extends Error {
  override readonly name = 'UntrustedRuntimeError';

  constructor(
    readonly file: string,
    readonly check: RuntimeTrustCheck,
    readonly detail: string,
  ) {
    super(
      `not using ${file}: ${detail}. A local control plane writes it 0600, as you, with loopback URLs, while it runs; this one may come from the folder you are in (a checkout can carry one). Run gantry from another folder, pass --data-dir <your local plane's folder>, or --region <region> for AWS`,
    );
  }
}

/** Hosts a local control plane listens on: the URLs of its runtime.json must name one of them. */
const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * The file's text, read through one descriptor that was checked to be a regular file (not a
 * link: O_NOFOLLOW) owned by this user and readable or writable by no one else, as
 * `writeRuntimeInfo` writes it. A git checkout's file is 0644 or 0664, so it never passes.
 */
export function readOwnPrivateFile(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UntrustedRuntimeError(file, 'file', `it cannot be opened as a regular file (${code ?? 'error'})`);
  }
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UntrustedRuntimeError(file, 'file', 'it is not a regular file');
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid)
      throw new UntrustedRuntimeError(file, 'owner', `it belongs to user ${stat.uid}, not to you (${uid})`);
    if (uid !== undefined && (stat.mode & 0o077) !== 0)
      throw new UntrustedRuntimeError(
        file,
        'mode',
        `its mode is ${(stat.mode & 0o777).toString(8).padStart(4, '0')}, not 0600`,
      );
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

/** Refuses any URL the CLI would send to (endpoints, front door, services) that is not loopback http. */
export function requireLoopbackUrls(file: string, urls: readonly (readonly [string, string])[]): void {
  for (const [field, value] of urls) {
    if (!isLoopbackHttp(value))
      throw new UntrustedRuntimeError(
        file,
        'url',
        `its ${field} is ${JSON.stringify(value)}, not an http URL on 127.0.0.1, ::1 or localhost`,
      );
  }
}

function isLoopbackHttp(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname) && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

/**
 * Whether `pid` is a live process of this user: signal 0 delivered. A process that does not
 * exist means the file outlived its session (false); one that exists but is not ours (EPERM,
 * such as pid 1 for anyone but root), or a pid below 2 (0 and -1 signal whole groups; pid 1 is
 * init, alive in every container, and root's own), is refused.
 */
export function isOwnLiveProcess(file: string, pid: number): boolean {
  if (!(pid >= 1)) throw new UntrustedRuntimeError(file, 'pid', `its pid ${pid} is no process`);
  if (pid === 1) throw new UntrustedRuntimeError(file, 'pid', 'its pid 1 is init, never a local plane');
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ESRCH') return false;
    throw new UntrustedRuntimeError(file, 'pid', `its pid ${pid} is not a process of yours (${code ?? 'error'})`);
  }
}
