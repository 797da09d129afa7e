import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { killGroup } from './process-group';
import { commandScript, exportScript, SUPERVISOR } from './shell-scripts';

export interface ShellOptions {
  /** The session's first working directory: CODEBUILD_SRC_DIR. */
  readonly cwd: string;
  /** The build's whole environment: the supervisor passes nothing else on. */
  readonly env: Readonly<Record<string, string>>;
  /** A private folder for the session's state (variables, working directory, scripts). */
  readonly stateDir: string;
  /** `env.shell: /bin/sh` runs bash in POSIX mode. */
  readonly posix: boolean;
  /** The bash to run. */
  readonly bash: string;
  /** Output as it comes, stdout and stderr merged as CodeBuild merges them. */
  readonly onOutput: (text: string) => void;
}

/**
 * One build's shell session (buildspec 0.2: variables and working directory carry from one
 * command to the next, across phases). Its supervisor leads a process group of its own, so
 * everything a build starts can be ended together.
 */
export class BuildShell {
  private readonly child: ChildProcessByStdio<Writable, Readable, null>;
  private readonly marker = `\u001e${randomBytes(12).toString('hex')}`;
  private readonly decoder = new StringDecoder('utf8');
  private readonly waiting: ((code: number | undefined) => void)[] = [];
  private buffer = '';
  private sequence = 0;
  private exited = false;
  readonly pgid: number;

  private constructor(private readonly options: ShellOptions) {
    const flags = options.posix ? ['--posix'] : [];
    // --norc: its stdin is a socket (node's pipes are socketpairs), which Debian's bash takes for
    // an ssh session and sources the user's ~/.bashrc: a build would run, or hang, in its setup.
    const bash = ['--norc', '--noprofile', '-c', SUPERVISOR, 'supervisor', options.stateDir, this.marker, ...flags];
    this.child = spawn(options.bash, bash, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    this.pgid = this.child.pid ?? -1;
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(this.decoder.write(chunk)));
    this.child.stdin.on('error', () => undefined);
    this.child.on('exit', () => this.onExit());
    this.child.on('error', () => this.onExit());
  }

  /** Starts the session; `pgid` is the build's process group. */
  static start(options: ShellOptions): BuildShell {
    return new BuildShell(options);
  }

  /** Sets variables every later command sees, whatever the session did (CODEBUILD_BUILD_SUCCEEDING). */
  async setPhaseVariables(variables: Readonly<Record<string, string>>): Promise<void> {
    const lines = Object.entries(variables).map(([k, v]) => `export ${k}='${v.replace(/'/g, `'\\''`)}'`);
    await writeFile(join(this.options.stateDir, 'phase.sh'), `${lines.join('\n')}\n`, { mode: 0o600 });
  }

  /** Runs one command; its exit status, or undefined when the session was ended under it. */
  async run(command: string): Promise<number | undefined> {
    return this.runScript(commandScript(command));
  }

  /** The values the session holds now for `names` (buildspec `env.exported-variables`); unset ones are left out. */
  async exported(names: readonly string[]): Promise<Record<string, string>> {
    const valid = names.filter((n) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(n));
    const out = join(this.options.stateDir, 'exported');
    if ((await this.runScript(exportScript(valid, out))) !== 0) return {};
    const parts = (await readFile(out, 'utf8')).split('\0');
    const values: [string, string][] = [];
    for (let i = 0; i + 1 < parts.length; i += 2) values.push([parts[i] ?? '', parts[i + 1] ?? '']);
    return Object.fromEntries(values);
  }

  /** Ends the session and everything it started: SIGTERM to the group, SIGKILL after `graceMs`. */
  async kill(graceMs: number): Promise<void> {
    this.child.stdin.end();
    if (this.pgid > 0) await killGroup(this.pgid, graceMs);
    this.onExit();
  }

  private async runScript(script: string): Promise<number | undefined> {
    if (this.exited) return undefined;
    this.sequence += 1;
    const file = join(this.options.stateDir, `command-${this.sequence}.sh`);
    await writeFile(file, script, { mode: 0o600 });
    // The session may have ended while the script was written (StopBuild, a timeout): no answer
    // would ever come, and the build would hang IN_PROGRESS.
    if (this.exited) return undefined;
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${file}\n`);
    });
  }

  private onData(text: string): void {
    this.buffer += text;
    let at = this.buffer.indexOf(this.marker);
    let end = at < 0 ? -1 : this.buffer.indexOf('\n', at);
    while (at >= 0 && end >= 0) {
      const code = Number(this.buffer.slice(at + this.marker.length + 1, end));
      this.emit(at);
      this.buffer = this.buffer.slice(end - at + 1);
      this.waiting.shift()?.(Number.isInteger(code) ? code : undefined);
      at = this.buffer.indexOf(this.marker);
      end = at < 0 ? -1 : this.buffer.indexOf('\n', at);
    }
    this.emit(at >= 0 ? at : this.buffer.length - this.heldBack());
  }

  /** How many trailing characters might be the start of a marker still arriving. */
  private heldBack(): number {
    const at = this.buffer.lastIndexOf('\u001e');
    return at >= 0 && this.marker.startsWith(this.buffer.slice(at)) ? this.buffer.length - at : 0;
  }

  private emit(upTo: number): void {
    if (upTo <= 0) return;
    this.options.onOutput(this.buffer.slice(0, upTo));
    this.buffer = this.buffer.slice(upTo);
  }

  private onExit(): void {
    if (this.exited) return;
    this.exited = true;
    for (const resolve of this.waiting.splice(0)) resolve(undefined);
  }
}
