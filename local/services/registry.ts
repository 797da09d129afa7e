import type { EdgeAttachment, RunningEdge } from '../edge/server';

/** One part of the local runtime: how it starts, what it attaches to the edge, and how it stops. */
export interface LocalService<T> {
  readonly name: string;
  start(): Promise<T> | T;
  /**
   * What the edge serves for it, attached once it has started (the order of services is the
   * order REST emulators are asked in).
   * @default nothing
   */
  edgeAttachments?(started: T): readonly EdgeAttachment[];
  /** @default nothing to stop */
  stop?(started: T): Promise<void> | void;
  /**
   * Settles, with why, if the started service stops working on its own (a crashed thread).
   * @default it cannot
   */
  failure?(started: T): Promise<Error> | undefined;
}

/** A service that stopped working on its own, while the runtime ran. */
export interface ServiceFailure {
  readonly service: string;
  readonly error: Error;
}

/**
 * The runtime's services, registered one way (`add`) in start order, and stopped in reverse.
 * The edge comes first: every later service attaches to it.
 */
export class RuntimeServices {
  private readonly running: { readonly name: string; readonly stop: () => Promise<void> | void }[] = [];
  private closing: Promise<void> | undefined;
  private fail: (failure: ServiceFailure) => void = () => undefined;
  /**
   * Settles with the first service that stops working on its own before `stopAll()`; never
   * otherwise. Its owner decides what then (local mode stops the rest and says why).
   */
  readonly failed = new Promise<ServiceFailure>((resolve) => {
    this.fail = resolve;
  });

  private constructor(readonly edge: RunningEdge) {}

  /** Starts the edge; the registry that attaches the other services to it stops it last. */
  static async start(edge: LocalService<RunningEdge>): Promise<RuntimeServices> {
    const started = await edge.start();
    const services = new RuntimeServices(started);
    services.remember(edge, started);
    started.attach(...(edge.edgeAttachments?.(started) ?? []));
    return services;
  }

  /** Starts `service`, attaches what it serves to the edge, and remembers how to stop it. */
  async add<T>(service: LocalService<T>): Promise<T> {
    const started = await service.start();
    this.remember(service, started);
    this.edge.attach(...(service.edgeAttachments?.(started) ?? []));
    return started;
  }

  /** The services started so far, in start order. */
  names(): string[] {
    return this.running.map((s) => s.name);
  }

  /** Stops every started service, the last started first; once, however often it is called. */
  stopAll(): Promise<void> {
    this.closing ??= (async () => {
      for (const service of [...this.running].reverse()) await service.stop();
    })();
    return this.closing;
  }

  private remember<T>(service: LocalService<T>, started: T): void {
    this.running.push({ name: service.name, stop: () => service.stop?.(started) });
    const failed = (error: unknown) => {
      if (this.closing !== undefined) return;
      this.fail({ service: service.name, error: error instanceof Error ? error : new Error(String(error)) });
    };
    // A failure() that rejects, or throws before it returns its promise, is a failure too: never an
    // unhandled rejection, nor a start that fails after the service started.
    let failure: Promise<Error> | undefined;
    try {
      failure = service.failure?.(started);
    } catch (error) {
      failure = Promise.reject(error);
    }
    void failure?.then(failed, failed);
  }
}
