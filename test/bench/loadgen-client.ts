import { type ChildProcess, fork } from 'node:child_process';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';
import type { CannonResult, DeliverySpec, LoadJob, LoadResult, SendResult } from './loadgen';

type JobOf<K extends LoadJob['kind']> = Omit<Extract<LoadJob, { kind: K }>, 'id' | 'kind'>;

/** The load generator process (test/bench/loadgen.ts), driven over IPC. */
export class LoadGenerator {
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();

  private constructor(private readonly child: ChildProcess) {
    child.on('message', (message: LoadResult | { kind: 'ready' }) => {
      if (message.kind === 'ready') return;
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.kind === 'error') waiter?.reject(new Error(`load generator: ${message.message}`));
      else waiter?.resolve(message);
    });
    child.on('exit', (code) => {
      for (const w of this.waiting.values()) w.reject(new Error(`load generator exited with ${code}`));
      this.waiting.clear();
    });
  }

  /** Forks the load generator (TypeScript through tsx) and waits until it is listening for jobs. */
  static async start(): Promise<LoadGenerator> {
    const child = fork(join(PROJECT_ROOT, 'test', 'bench', 'loadgen.ts'), [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await new Promise<void>((resolve, reject) => {
      child.once('message', () => resolve());
      child.once('exit', (code) => reject(new Error(`load generator exited with ${code} before starting`)));
    });
    return new LoadGenerator(child);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** autocannon for `durationSec` over `connections` keep-alive connections, a new signed delivery per request. */
  cannon(job: JobOf<'cannon'>): Promise<CannonResult> {
    return this.run({ kind: 'cannon', ...job }) as Promise<CannonResult>;
  }

  /** One signed delivery with fetch, timed. */
  send(url: string, delivery: DeliverySpec): Promise<SendResult> {
    return this.run({ kind: 'send', url, delivery }) as Promise<SendResult>;
  }

  private run(job: Omit<LoadJob, 'id'>): Promise<LoadResult> {
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.child.send({ ...job, id } as LoadJob);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.disconnect();
    await exited;
  }
}
