import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import { arnAccount } from '../arn';
import { keepInUse } from '../build-cache.mjs';
import type { FunctionSpec } from '../template/inventory';
import { type AsynchronousOutcome, invokeAsynchronously } from './async-invoke';
import { fromSource, type HandlerModule, handlerModules } from './bundles';
import { Invocations, invokeFailure } from './invocations';
import type { HostReply, WorkerSetup } from './protocol';
import type { InvokeOutcome, LambdaInvoker } from './types';

/** Receives each line a function writes (Powertools logs are one JSON document per line). */
export type LogSink = (functionLabel: string, line: string, stream: 'stdout' | 'stderr') => void;

export interface LocalFunctionsOptions {
  readonly functions: readonly FunctionSpec[];
  /**
   * The control plane's account: a bare name that two accounts both use names its function, as
   * Invoke resolves a name in the caller's account (the other is invoked by ARN). @default the first
   */
  readonly accountId?: string;
  /** Added to every function's environment: endpoints, region, dummy credentials. */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  readonly log: LogSink;
  /** A function's role's credentials (local IAM), set over the runtime environment's shared pair. */
  readonly credentialsFor?: (functionArn: string) => { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Where handler bundles are cached. @default node_modules/.cache/gantry */
  readonly bundleCacheDir?: string;
  /**
   * Handler modules already being prepared (a superset of the functions' entries); a function
   * whose entry is not among them loads from source. @default bundled here
   */
  readonly handlers?: Promise<ReadonlyMap<string, HandlerModule>>;
  /** How long a new worker may take to load its handler, as Lambda's init phase. @default 10 s */
  readonly initLimitMs?: number;
  /** Sends Lambda's on-failure record of an asynchronous invocation to its destination (an SQS queue's ARN). */
  readonly sendTo?: (destinationArn: string, body: string) => Promise<void>;
  /** Divides Lambda's waits between asynchronous attempts. @default 1 */
  readonly timeScale?: number;
}

/** Lambda gives a new instance's initialization (loading the handler module) 10 seconds. */
const INIT_LIMIT_MS = 10_000;

/** One started worker: answering once `initError` is unset. */
interface Instance {
  readonly worker: Worker | undefined;
  readonly initError?: InvokeOutcome;
}

/**
 * One function's worker thread, started at its first invocation (as Lambda starts an instance on
 * its first request: that invocation pays the cold start), once its module is ready. A worker
 * that exits, crashes or does not finish loading within Lambda's init limit is replaced at the next
 * invocation, as Lambda replaces an instance; a module that throws as it loads fails every one.
 */
class FunctionWorker {
  private worker: Worker | undefined;
  private stopped = false;
  private readonly invocations = new Invocations();
  /** The function's module, bundled (or found in the cache). */
  readonly ready: Promise<void>;
  private current: Promise<Instance> | undefined;
  private everStarted = false;

  constructor(
    readonly spec: FunctionSpec,
    private readonly options: LocalFunctionsOptions,
    private readonly module: Promise<HandlerModule>,
  ) {
    this.ready = module.then(() => undefined);
  }

  /** The running worker, started if there is none: a function nothing invokes costs no thread, no compile, no memory. */
  private instance(): Promise<Instance> {
    if (this.current === undefined) {
      this.everStarted = true;
      const started: Promise<Instance> = this.module.then(
        (m) => this.spawn(m, () => this.retire(started)),
        (error: unknown) => ({
          worker: undefined,
          initError: invokeFailure('Runtime.ImportModuleError', error instanceof Error ? error.message : String(error)),
        }),
      );
      this.current = started;
    }
    return this.current;
  }

  /** The next invocation starts a new worker instead of this one. */
  private retire(instance: Promise<Instance>): void {
    if (this.current === instance) this.current = undefined;
  }

  private spawn(module: HandlerModule, retire: () => void): Promise<Instance> {
    if (this.stopped) return Promise.resolve({ worker: undefined, initError: stoppedFailure() });
    const { spec, options } = this;
    const setup: WorkerSetup = { entry: module.entry, handlerExport: spec.handlerExport, functionArn: spec.arn };
    const worker = new Worker(module.script, {
      workerData: setup,
      env: {
        ...lambdaEnvironment(spec),
        ...spec.environment,
        ...options.runtimeEnvironment,
        ...roleEnvironment(options, spec.arn),
      },
      stdout: true,
      stderr: true,
      name: spec.name,
    });
    this.worker = worker;
    pipeLines(worker.stdout, (line) => options.log(spec.label, line, 'stdout'));
    pipeLines(worker.stderr, (line) => options.log(spec.label, line, 'stderr'));
    const limitMs = options.initLimitMs ?? INIT_LIMIT_MS;
    return new Promise((resolve) => {
      const initLimit = setTimeout(() => {
        retire();
        resolve({
          worker: undefined,
          initError: invokeFailure(
            'Sandbox.Timedout',
            `the function did not finish initializing within ${limitMs / 1000} seconds`,
          ),
        });
        void worker.terminate();
      }, limitMs);
      const settle = (instance: Instance) => {
        clearTimeout(initLimit);
        resolve(instance);
      };
      worker.on('message', (message: HostReply) => {
        if (message.type === 'ready') settle({ worker });
        else if (message.type === 'init-error') {
          const why = `${message.errorType}: ${message.errorMessage}`;
          settle({ worker, initError: invokeFailure('Runtime.ImportModuleError', why, message.trace) });
        } else this.invocations.settle(message);
      });
      worker.on('error', (error) => {
        retire();
        this.invocations.failAll('the function worker stopped');
        settle({ worker: undefined, initError: invokeFailure('Runtime.ExitError', error.message) });
      });
      // A worker that ends (stop() during its cold start, or the handler's own process.exit)
      // answers no message: whatever waits on it fails now rather than at its timeout, or never.
      worker.on('exit', (code) => {
        if (this.worker === worker) this.worker = undefined;
        retire();
        const why = `the function worker exited (code ${code})`;
        this.invocations.failAll(why);
        settle({ worker: undefined, initError: invokeFailure('Runtime.ExitError', why) });
      });
    });
  }

  async invoke(event: unknown): Promise<InvokeOutcome> {
    if (this.stopped) return stoppedFailure();
    const { worker, initError } = await this.instance();
    if (initError) return initError;
    if (worker === undefined || this.stopped) return stoppedFailure();
    return this.invocations.start((message) => worker.postMessage(message), event, this.spec.timeoutSeconds, true);
  }

  /** Whether a worker was ever started for it (by an invocation). */
  get started(): boolean {
    return this.everStarted;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.invocations.failAll('the function worker stopped');
    await this.worker?.terminate();
  }
}

function stoppedFailure(): InvokeOutcome {
  return invokeFailure('Runtime.ExitError', 'the function worker stopped');
}

/**
 * The template's functions, each in its own worker thread with its own environment, invoked by
 * name or ARN as Lambda's Invoke would be. Each worker starts at its function's first invocation;
 * `ready()` waits for the modules they will load.
 */
export class LocalFunctions implements LambdaInvoker {
  private readonly byKey = new Map<string, FunctionWorker>();
  private readonly workers: FunctionWorker[];
  private readonly inUse: (() => void)[] = [];
  private stopped = false;
  private readonly stopping = new AbortController();

  constructor(private readonly options: LocalFunctionsOptions) {
    const modules =
      options.handlers ??
      handlerModules(
        options.functions.map((f) => f.entry),
        options.bundleCacheDir === undefined ? {} : { cacheDir: options.bundleCacheDir },
      );
    // The bundles' chunks load lazily, maybe days from now: no other process may prune their build meanwhile.
    void modules.then(
      (loaded) => {
        if (this.stopped) return;
        const builds = new Set([...loaded.values()].flatMap((m) => (m.build === undefined ? [] : [m.build])));
        for (const build of builds) this.inUse.push(keepInUse(build));
      },
      () => undefined, // each worker reports its own failure to load
    );
    this.workers = options.functions.map(
      (spec) =>
        new FunctionWorker(
          spec,
          options,
          modules.then((m) => m.get(spec.entry) ?? fromSource(spec.entry)),
        ),
    );
    for (const w of this.workers) {
      const home = arnAccount(w.spec.arn) === options.accountId;
      if (home || !this.byKey.has(w.spec.name)) this.byKey.set(w.spec.name, w);
      this.byKey.set(w.spec.arn, w);
    }
  }

  /** Resolves when every function's module is bundled (or failed to, which its invocations then report). */
  async ready(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.ready));
  }

  async invoke(functionNameOrArn: string, payload: unknown): Promise<InvokeOutcome> {
    const worker = this.byKey.get(functionNameOrArn) ?? this.byKey.get(unqualified(functionNameOrArn));
    if (worker === undefined) {
      return invokeFailure('ResourceNotFoundException', `Function not found: ${functionNameOrArn}`);
    }
    return worker.invoke(payload);
  }

  /**
   * An asynchronous invocation (InvocationType Event, an EventBridge target) once Lambda has
   * accepted it: with the function's event invoke config, its retries and on-failure destination
   * (`invokeAsynchronously`); without one, a single attempt whose failure is only returned.
   */
  async invokeAsync(
    functionNameOrArn: string,
    payload: unknown,
    signal?: AbortSignal,
  ): Promise<AsynchronousOutcome | InvokeOutcome> {
    const worker = this.byKey.get(functionNameOrArn) ?? this.byKey.get(unqualified(functionNameOrArn));
    const config = worker?.spec.asyncInvoke;
    if (worker === undefined || config === undefined) return this.invoke(functionNameOrArn, payload);
    const { sendTo, timeScale, log } = this.options;
    const say = (line: string) => log(worker.spec.label, `asynchronous invocation: ${line}`, 'stderr');
    const outcome = await invokeAsynchronously({
      invoker: this,
      functionArn: worker.spec.arn,
      config,
      payload,
      sendTo: async (destination, body) => {
        if (sendTo === undefined) throw new Error('local mode has no destination service');
        await sendTo(destination, body).catch((error: unknown) => {
          say(`the record of an event that failed every attempt could not be sent to ${destination}: ${error}`);
          throw error;
        });
      },
      ...(timeScale === undefined ? {} : { timeScale }),
      // The plane stopping ends the waits between attempts, whoever invoked.
      signal: signal === undefined ? this.stopping.signal : AbortSignal.any([signal, this.stopping.signal]),
    });
    if (outcome.status === 'dropped')
      say(`dropped after ${outcome.attempts} attempts (no on-failure destination): ${outcome.error}`);
    if (outcome.status === 'stopped') say('the plane stopped between attempts');
    if (outcome.status === 'sent') say(`failed ${outcome.attempts} attempts; sent to ${config.onFailure}`);
    return outcome;
  }

  /** Whether Lambda's retries and destination, not the caller's, decide what becomes of its failed asynchronous invocations. */
  hasAsyncConfig(functionNameOrArn: string): boolean {
    const worker = this.byKey.get(functionNameOrArn) ?? this.byKey.get(unqualified(functionNameOrArn));
    return worker?.spec.asyncInvoke !== undefined;
  }

  names(): string[] {
    return this.workers.map((w) => w.spec.name);
  }

  /** The ARNs of the functions whose worker has started: those invoked at least once. */
  started(): string[] {
    return this.workers.filter((w) => w.started).map((w) => w.spec.arn);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.stopping.abort();
    for (const release of this.inUse) release();
    await Promise.all(this.workers.map((w) => w.stop()));
  }
}

/** An ARN or name without a `:$LATEST`/alias qualifier. */
function unqualified(nameOrArn: string): string {
  const parts = nameOrArn.split(':');
  return parts.length === 8 ? parts.slice(0, 7).join(':') : nameOrArn;
}

/** The variables Lambda itself sets in every function's environment. */
function lambdaEnvironment(spec: FunctionSpec): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/${spec.name}`,
    TZ: 'UTC',
  };
}

function pipeLines(stream: Readable, onLine: (line: string) => void): void {
  createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine);
}

/** The function's own role's credentials, as Lambda gives them, when local IAM issued some. */
function roleEnvironment(options: LocalFunctionsOptions, functionArn: string): Record<string, string> {
  const credentials = options.credentialsFor?.(functionArn);
  return credentials === undefined
    ? {}
    : { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
}
