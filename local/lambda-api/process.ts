import { type ChildProcess, fork } from 'node:child_process';
import { get } from 'node:http';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Invocations, invokeFailure } from '../lambda/invocations';
import type { HostReply } from '../lambda/protocol';
import type { InvokeOutcome } from '../lambda/types';

/** How one version's process is started. */
export interface VersionProcessOptions {
  readonly functionName: string;
  readonly functionArn: string;
  readonly version: string;
  readonly handlerFile: string;
  readonly handlerExport: string;
  /** Everything the handler sees in process.env. */
  readonly environment: Readonly<Record<string, string>>;
  readonly timeoutSeconds: number;
  /** Each line the handler writes. */
  readonly log: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** A version's process could not start (its handler failed to load) or answer its health check. */
export class VersionStartError extends Error {
  override readonly name = 'VersionStartError';
}

const HOST = fileURLToPath(new URL('./host-entry.mjs', import.meta.url));
const START_TIMEOUT_MS = 15_000;
const KILL_GRACE_MS = 2_000;

/**
 * One version of a service function running in a child process of its own (local/lambda-api/host-entry.mjs):
 * HTTP on a loopback port for the alias proxy, Lambda invocations over IPC.
 */
export class VersionProcess {
  private readonly invocations = new Invocations();
  private exited = false;
  readonly exit: Promise<void>;

  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
    readonly options: VersionProcessOptions,
  ) {
    this.exit = new Promise((resolve) => {
      child.once('exit', () => {
        this.exited = true;
        this.invocations.failAll('the version process exited');
        resolve();
      });
    });
    child.on('message', (message: HostReply) => this.invocations.settle(message));
    // A send to a process that has died but whose 'exit' Node has not yet handled fails with
    // EPIPE; unheard, that error would end the whole local runtime. Each send says its own failure.
    child.on('error', () => undefined);
  }

  /** Forks the host and waits until it listens; throws VersionStartError if the handler cannot load. */
  static async start(options: VersionProcessOptions): Promise<VersionProcess> {
    const child = fork(HOST, [], {
      env: {
        ...options.environment,
        GANTRY_HANDLER_FILE: options.handlerFile,
        GANTRY_HANDLER_EXPORT: options.handlerExport,
        GANTRY_FUNCTION_ARN: `${options.functionArn}:${options.version}`,
        GANTRY_TIMEOUT_MS: String(options.timeoutSeconds * 1000),
      },
      execArgv: [],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    pipeLines(child.stdout, (line) => options.log(line, 'stdout'));
    pipeLines(child.stderr, (line) => options.log(line, 'stderr'));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => fail(`did not start within ${START_TIMEOUT_MS / 1000} s`), START_TIMEOUT_MS);
      const fail = (why: string) => {
        clearTimeout(timer);
        child.kill('SIGKILL');
        reject(new VersionStartError(`${options.functionName} version ${options.version} ${why}`));
      };
      child.on('message', (message: HostReply) => {
        if (message.type === 'ready') {
          clearTimeout(timer);
          resolve(message.port ?? 0);
        } else if (message.type === 'init-error') fail(`failed to load: ${message.errorType}: ${message.errorMessage}`);
      });
      child.once('exit', (code) => fail(`exited (${code}) while starting`));
    });
    return new VersionProcess(child, port, options);
  }

  get running(): boolean {
    return !this.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Runs the handler with `event` as Lambda's Invoke would. */
  invoke(event: unknown): Promise<InvokeOutcome> {
    if (this.exited) return Promise.resolve(invokeFailure('Runtime.ExitError', 'the version process is not running'));
    return this.invocations.start(
      (message) =>
        this.child.send(message, (error: Error | null) => {
          if (error) this.invocations.fail(message.id, `the version process is not running (${error.message})`);
        }),
      event,
      this.options.timeoutSeconds,
      false,
    );
  }

  /** Tells the process which color it now is (its DEPLOYMENT_COLOR). */
  setColor(color: string): void {
    if (!this.exited && this.child.connected) this.child.send({ type: 'color', color }, () => undefined);
  }

  /** GET `path` until it answers 200; false once `timeoutMs` has passed or the process exited. */
  async healthy(path: string, timeoutMs: number, signal?: AbortSignal): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.exited && !signal?.aborted && Date.now() < deadline) {
      if ((await statusOf(this.port, path)) === 200) return true;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    return false;
  }

  /** SIGTERM, then SIGKILL if the process outlives the grace. */
  async stop(): Promise<void> {
    if (this.exited) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), KILL_GRACE_MS);
    await this.exit;
    clearTimeout(timer);
  }
}

function statusOf(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(undefined));
  });
}

function pipeLines(stream: Readable | null, onLine: (line: string) => void): void {
  if (stream !== null) createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine);
}
