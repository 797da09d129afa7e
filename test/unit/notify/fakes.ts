import type { NotifyDeps } from '../../../shared/notify/notify';
import type {
  Message,
  NotificationLedger,
  RateLimiter,
  Reservation,
  ReserveOptions,
  Sender,
  Slot,
} from '../../../shared/notify/ports';
import type { NotifyTarget } from '../../../shared/notify/targets';

/** The ledger's and the rate limiter's semantics in memory (the DynamoDB adapter is run end to end). */
export class MemoryLedger implements NotificationLedger, RateLimiter {
  readonly items = new Map<string, { state: 'sending' | 'sent'; reservedAt: number }>();
  readonly nextAt = new Map<string, number>();

  async reserve(key: string, options: ReserveOptions): Promise<Reservation> {
    const item = this.items.get(key);
    const now = options.at.getTime();
    if (item === undefined || (item.state === 'sending' && item.reservedAt < now - options.leaseMs)) {
      this.items.set(key, { state: 'sending', reservedAt: now });
      return 'reserved';
    }
    return item.state === 'sent' ? 'sent' : 'in_progress';
  }

  async markSent(key: string): Promise<void> {
    const item = this.items.get(key);
    if (item) item.state = 'sent';
  }

  async release(key: string): Promise<void> {
    if (this.items.get(key)?.state === 'sending') this.items.delete(key);
  }

  async take(target: string, intervalMs: number, now: Date, maxWaitMs: number): Promise<Slot> {
    const slotAt = Math.max(this.nextAt.get(target) ?? 0, now.getTime());
    const waitMs = slotAt - now.getTime();
    if (waitMs > maxWaitMs) return { busyForMs: waitMs };
    this.nextAt.set(target, slotAt + intervalMs);
    return { waitMs };
  }
}

export class RecordingSender implements Sender {
  readonly sent: { target: string; message: Message }[] = [];
  failNext: Error | undefined;

  async send(target: NotifyTarget, message: Message): Promise<void> {
    const failure = this.failNext;
    this.failNext = undefined;
    if (failure) throw failure;
    this.sent.push({ target: target.name, message });
  }
}

export const SLACK: NotifyTarget = {
  name: 'team-slack',
  type: 'slack',
  secretId: 'gantry/notifications/team-slack',
  events: ['run-succeeded', 'run-failed', 'approval-requested', 'deployment-rolled-back'],
  intervalMs: 1000,
  interactive: true,
};

export function notifyFakes(targets: readonly NotifyTarget[] = [SLACK]) {
  let now = Date.parse('2026-05-01T10:00:00Z');
  const ledger = new MemoryLedger();
  const sender = new RecordingSender();
  const sleeps: number[] = [];
  const deps: NotifyDeps = {
    targets,
    ledger,
    rates: ledger,
    sender,
    logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    clock: () => new Date(now),
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
    maxWaitMs: 5_000,
  };
  const advance = (ms: number) => {
    now += ms;
  };
  return { deps, ledger, sender, sleeps, advance };
}

export function busEvent(detailType: string, detail: Record<string, unknown>, id: string = crypto.randomUUID()) {
  return { id, source: 'gantry.pipelines', 'detail-type': detailType, detail };
}

export const RUN = {
  schemaVersion: '1',
  runId: 'run-1',
  pipeline: 'sample-service',
  environment: 'prod',
  repository: 'gantry-demo/sample-service',
  commit: 'a'.repeat(40),
  branch: 'release/1.0',
  trigger: 'push',
};
