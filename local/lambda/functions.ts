import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { Worker } from 'node:worker_threads';
import type { FunctionSpec } from '../template/inventory';
import { Invocations, invokeFailure } from './invocations';
import type { HostReply, WorkerSetup } from './protocol';
import type { InvokeOutcome, LambdaInvoker } from './types';

/** Receives each line a function writes (Powertools logs are one JSON document per line). */
export type LogSink = (functionLabel: string, line: string, stream: 'stdout' | 'stderr') => void;

export interface LocalFunctionsOptions {
  readonly functions: readonly FunctionSpec[];
  /** Added to every function's environment: endpoints, region, dummy credentials. */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  readonly log: LogSink;
  /** A function's role's credentials (local IAM), set over the runtime environment's shared pair. */
  readonly credentialsFor?: (functionName: string) => { accessKeyId: string; secretAccessKey: string } | undefined;
}

/** One function's worker thread. */
class FunctionWorker {
  private readonly worker: Worker;
  private readonly invocations = new Invocations();
  readonly ready: Promise<void>;
  private initError: InvokeOutcome | undefined;

  constructor(
    readonly spec: FunctionSpec,
    options: LocalFunctionsOptions,
  ) {
    const setup: WorkerSetup = { entry: spec.entry, handlerExport: spec.handlerExport, functionArn: spec.arn };
    this.worker = new Worker(new URL('./worker-entry.mjs', import.meta.url), {
      workerData: setup,
      env: {
        ...lambdaEnvironment(spec),
        ...spec.environment,
        ...options.runtimeEnvironment,
        ...roleEnvironment(options, spec.name),
      },
      stdout: true,
      stderr: true,
      name: spec.name,
    });
    pipeLines(this.worker.stdout, (line) => options.log(spec.label, line, 'stdout'));
    pipeLines(this.worker.stderr, (line) => options.log(spec.label, line, 'stderr'));
    this.ready = new Promise((resolve) => {
      this.worker.on('message', (message: HostReply) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'init-error') {
          const why = `${message.errorType}: ${message.errorMessage}`;
          this.initError = invokeFailure('Runtime.ImportModuleError', why, message.trace);
          resolve();
        } else this.invocations.settle(message);
      });
      this.worker.on('error', (error) => {
        this.initError = invokeFailure('Runtime.ExitError', error.message);
        this.invocations.failAll('the function worker stopped');
        resolve();
      });
    });
  }

  async invoke(event: unknown): Promise<InvokeOutcome> {
    await this.ready;
    if (this.initError) return this.initError;
    return this.invocations.start((message) => this.worker.postMessage(message), event, this.spec.timeoutSeconds, true);
  }

  async stop(): Promise<void> {
    this.invocations.failAll('the function worker stopped');
    await this.worker.terminate();
  }
}

/**
 * The template's functions, each in its own worker thread with its own environment, invoked by
 * name or ARN as Lambda's Invoke would be. Workers start together and are warm after `ready()`.
 */
export class LocalFunctions implements LambdaInvoker {
  private readonly byKey = new Map<string, FunctionWorker>();
  private readonly workers: FunctionWorker[];

  constructor(options: LocalFunctionsOptions) {
    this.workers = options.functions.map((spec) => new FunctionWorker(spec, options));
    for (const w of this.workers) {
      this.byKey.set(w.spec.name, w);
      this.byKey.set(w.spec.arn, w);
    }
  }

  /** Resolves when every function has loaded its handler (or failed to, which invocations then report). */
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

  names(): string[] {
    return this.workers.map((w) => w.spec.name);
  }

  async stop(): Promise<void> {
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
function roleEnvironment(options: LocalFunctionsOptions, functionName: string): Record<string, string> {
  const credentials = options.credentialsFor?.(functionName);
  return credentials === undefined
    ? {}
    : { AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey };
}
