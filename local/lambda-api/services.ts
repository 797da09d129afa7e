import type { RequestMetrics } from '../cloudwatch/metrics';
import type { LogSink } from '../lambda/functions';
import type { InvokeOutcome } from '../lambda/types';
import { handlerFile } from './code';
import { VersionProcess, VersionStartError } from './process';
import { AliasProxy } from './proxy';
import type { AliasRecord, ServiceSpec, VersionRecord } from './types';
import { type AliasUpdate, VersionStore } from './versions';

export interface LocalServicesOptions {
  readonly services: readonly ServiceSpec[];
  /** Versions, aliases and published code live here. */
  readonly dataDir: string;
  readonly host: string;
  /** The first alias proxy's port; the others follow. 0 picks free ports. */
  readonly basePort: number;
  /** Added to every version's environment: endpoints and region (no credentials: see `credentialsFor`). */
  readonly runtimeEnvironment: Readonly<Record<string, string>>;
  /**
   * The function's role's credentials, as Lambda gives a function its execution role's: local IAM
   * holds its calls to the role's policies. A function local IAM has no role for is not started.
   */
  readonly credentialsFor: (functionArn: string) => { accessKeyId: string; secretAccessKey: string } | undefined;
  readonly metrics: RequestMetrics;
  readonly log: LogSink;
  /** What must answer 200 before a version gets traffic. @default '/health' */
  readonly healthPath?: string;
  /** @default 10000 */
  readonly healthTimeoutMs?: number;
}

/** An alias's stable URL. */
export interface ServiceEndpoint {
  readonly functionName: string;
  readonly alias: string;
  readonly url: string;
}

/** Where a name, an ARN or a partial ARN with an optional qualifier points. */
export interface FunctionRef {
  readonly spec: ServiceSpec;
  readonly qualifier?: string;
}

/**
 * The service functions of the template as local mode serves them: versions and aliases (the
 * VersionStore), one process per version, started when first needed and health-checked before
 * any traffic, and one stable URL per alias (an AliasProxy following the alias's weights).
 */
export class LocalServices {
  private readonly proxies = new Map<string, AliasProxy>();
  private readonly processes = new Map<string, Promise<VersionProcess>>();
  private readonly checked = new Map<string, Promise<VersionProcess>>();
  /** Versions retire() is stopping, which close() must wait for too. */
  private readonly retiring = new Set<Promise<void>>();
  private closed = false;

  private constructor(
    readonly store: VersionStore,
    private readonly options: LocalServicesOptions,
  ) {
    store.onAliasChange((fn, alias) => this.follow(fn, alias));
  }

  static async start(options: LocalServicesOptions): Promise<LocalServices> {
    const services = new LocalServices(new VersionStore(options.services, options.dataDir), options);
    let port = options.basePort;
    try {
      for (const spec of options.services) {
        for (const alias of services.store.aliases(spec.name)) {
          const proxy = await AliasProxy.start({
            functionName: spec.name,
            alias: alias.name,
            host: options.host,
            port,
            backend: async (version) => (await services.healthyProcess(spec.name, version)).port,
            metrics: options.metrics,
          });
          proxy.route(alias.functionVersion, alias.additionalVersionWeights);
          services.proxies.set(key(spec.name, alias.name), proxy);
          if (port !== 0) port++;
        }
      }
    } catch (error) {
      await services.close();
      throw error;
    }
    return services;
  }

  endpoints(): ServiceEndpoint[] {
    return [...this.proxies.entries()].map(([k, proxy]) => {
      const [functionName = '', alias = ''] = k.split('\0');
      return { functionName, alias, url: proxy.url };
    });
  }

  proxy(fn: string, alias: string): AliasProxy | undefined {
    return this.proxies.get(key(fn, alias));
  }

  /** A function by name, ARN or partial ARN, with the qualifier the reference carries. */
  resolve(reference: string): FunctionRef | undefined {
    const parts = reference.split(':');
    let name = reference;
    let qualifier: string | undefined;
    if (reference.startsWith('arn:')) [name = '', qualifier] = [parts[6], parts[7]];
    else if (parts[1] === 'function') [name = '', qualifier] = [parts[2], parts[3]];
    else if (parts.length === 2) [name = '', qualifier] = parts;
    const spec = this.store.spec(name);
    return spec === undefined ? undefined : { spec, ...(qualifier ? { qualifier } : {}) };
  }

  /** A version's process, started if it is not running. */
  process(fn: string, version: string): Promise<VersionProcess> {
    const k = key(fn, version);
    const known = this.processes.get(k);
    if (known !== undefined) return known;
    const started = this.spawn(fn, version);
    this.processes.set(k, started);
    started.then(
      (p) => p.exit.then(() => this.forget(k, started)),
      () => this.forget(k, started),
    );
    return started;
  }

  /** A version's process once its health check answered 200; throws VersionStartError otherwise. */
  healthyProcess(fn: string, version: string, signal?: AbortSignal): Promise<VersionProcess> {
    const k = key(fn, version);
    const known = this.checked.get(k);
    if (known !== undefined) return known;
    const checked = this.process(fn, version).then(async (p) => {
      const path = this.options.healthPath ?? '/health';
      if (await p.healthy(path, this.options.healthTimeoutMs ?? 10_000, signal)) return p;
      throw new VersionStartError(`${fn} version ${version} did not answer GET ${path} with 200`);
    });
    this.checked.set(k, checked);
    checked.catch(() => this.checked.get(k) === checked && this.checked.delete(k));
    return checked;
  }

  /** Lambda's Invoke of one version (an alias picks one by its weights); runs in that version's process. */
  async invoke(fn: string, version: string, event: unknown): Promise<InvokeOutcome> {
    try {
      return await (await this.process(fn, version)).invoke(event);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, errorType: 'Runtime.ImportModuleError', errorMessage: message, trace: [] };
    }
  }

  /** The version an invocation of `qualifier` runs: an alias's, by weight; `$LATEST` when none. */
  versionFor(fn: string, qualifier: string | undefined): VersionRecord | undefined {
    const alias = qualifier === undefined ? undefined : this.store.alias(fn, qualifier);
    if (alias === undefined) return this.store.version(fn, qualifier ?? '$LATEST');
    let r = Math.random();
    for (const [version, weight] of Object.entries(alias.additionalVersionWeights)) {
      r -= weight;
      if (r < 0) return this.store.version(fn, version);
    }
    return this.store.version(fn, alias.functionVersion);
  }

  /** Changes an alias; its proxy follows at once. */
  route(fn: string, alias: string, update: AliasUpdate): AliasRecord {
    return this.store.updateAlias(fn, alias, update);
  }

  /** Stops a version's process once no alias routes to it and it has answered what it was sent. */
  async retire(fn: string, version: string, drainMs: number): Promise<void> {
    await sleep(drainMs);
    const routed = () => this.store.aliases(fn).some((a) => routesTo(a, version));
    const busy = () => this.store.aliases(fn).some((a) => (this.proxy(fn, a.name)?.inFlight(version) ?? 0) > 0);
    for (let waited = 0; busy() && waited < 5_000; waited += 20) await sleep(20);
    const running = this.processes.get(key(fn, version));
    if (running === undefined || routed() || this.closed) return;
    this.processes.delete(key(fn, version));
    this.checked.delete(key(fn, version));
    // Out of `processes` now, so close() would not see it: it waits on `retiring` instead.
    const stopped = running.then(
      (p) => p.stop(),
      () => undefined,
    );
    this.retiring.add(stopped);
    try {
      await stopped;
    } finally {
      this.retiring.delete(stopped);
    }
  }

  /** Whether a version's process is running now. */
  isRunning(fn: string, version: string): boolean {
    return this.processes.has(key(fn, version));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.proxies.values()].map((p) => p.close()));
    const running = [...this.processes.values()];
    this.processes.clear();
    await Promise.all([
      ...running.map(async (p) => (await p.catch(() => undefined))?.stop()),
      ...[...this.retiring].map((stopped) => stopped.catch(() => undefined)),
    ]);
  }

  private async spawn(fn: string, version: string): Promise<VersionProcess> {
    if (this.closed) throw new VersionStartError('local mode is shutting down');
    const spec = this.store.spec(fn);
    const record = this.store.version(fn, version);
    if (spec === undefined || record === undefined) throw new VersionStartError(`${fn} has no version ${version}`);
    const codeDir = this.store.codeDir(fn, record);
    const file = handlerFile(codeDir, spec.handlerModule);
    if (file === undefined) {
      throw new VersionStartError(`${fn} version ${version}: no ${spec.handlerModule}.js, .mjs or .cjs in ${codeDir}`);
    }
    const label = `${fn}:${version}`;
    const role = this.options.credentialsFor(spec.arn);
    if (role === undefined)
      throw new VersionStartError(
        `${fn} has no execution role local IAM knows, so it is not started: give the function a Role in its template`,
      );
    return VersionProcess.start({
      functionName: fn,
      functionArn: spec.arn,
      version,
      handlerFile: file,
      handlerExport: spec.handlerExport,
      environment: {
        ...lambdaEnvironment(spec, version, codeDir),
        ...spec.environment,
        ...this.options.runtimeEnvironment,
        AWS_ACCESS_KEY_ID: role.accessKeyId,
        AWS_SECRET_ACCESS_KEY: role.secretAccessKey,
        DEPLOYMENT_COLOR: this.colorOf(fn, version),
        GANTRY_SERVE_HOST: this.options.host,
      },
      timeoutSeconds: spec.timeoutSeconds,
      log: (line, stream) => this.options.log(label, line, stream),
    });
  }

  private follow(fn: string, alias: AliasRecord): void {
    this.proxy(fn, alias.name)?.route(alias.functionVersion, alias.additionalVersionWeights);
    for (const [k, started] of this.processes) {
      const [name, version = ''] = k.split('\0');
      if (name === fn)
        void started.then(
          (p) => p.setColor(this.colorOf(fn, version)),
          () => undefined,
        );
    }
  }

  /** Blue while an alias has the version as its own, green while traffic shifts to it. */
  private colorOf(fn: string, version: string): 'blue' | 'green' {
    return this.store.aliases(fn).some((a) => a.functionVersion === version) ? 'blue' : 'green';
  }

  private forget(k: string, started: Promise<VersionProcess>): void {
    if (this.processes.get(k) !== started) return;
    this.processes.delete(k);
    this.checked.delete(k);
  }
}

function routesTo(alias: AliasRecord, version: string): boolean {
  return alias.functionVersion === version || (alias.additionalVersionWeights[version] ?? 0) > 0;
}

function key(a: string, b: string): string {
  return `${a}\0${b}`;
}

/** A wait that does not keep the process alive (a retiring version needs no one to wait for it). */
function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** The variables Lambda sets in every function's environment. */
function lambdaEnvironment(spec: ServiceSpec, version: string, codeDir: string): Record<string, string> {
  return {
    AWS_LAMBDA_FUNCTION_NAME: spec.name,
    AWS_LAMBDA_FUNCTION_VERSION: version,
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${spec.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `local/${spec.name}/${version}`,
    AWS_EXECUTION_ENV: `AWS_Lambda_${spec.runtime}`,
    LAMBDA_TASK_ROOT: codeDir,
    TZ: 'UTC',
  };
}
