import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { arnAccount } from '../arn';
import type { RuleSpec, RuleTargetSpec } from '../template/inventory';
import { compileTargetInput, type TargetInput } from './input';
import { EventJournal, type JournaledEvent } from './journal';
import type { JsonObject } from './json';
import { type CompiledPattern, compilePattern, matches } from './pattern';

/**
 * Starts one target with its input text; returns what it started (an execution ARN, a message id).
 * A dead-letter queue also gets the message attributes EventBridge sets (RULE_ARN, TARGET_ARN, ERROR_CODE…).
 */
export type TargetInvoker = (
  arn: string,
  input: string,
  messageAttributes?: Readonly<Record<string, { DataType: 'String'; StringValue: string }>>,
) => Promise<string | undefined>;

export interface TargetOutcome {
  readonly rule: string;
  readonly target: string;
  readonly arn: string;
  status: 'pending' | 'delivered' | 'failed' | 'dead-lettered';
  result?: string;
  error?: string;
}

/** What happened to one event: the demo and `/_gantry/events` show this. */
export interface BusEventRecord {
  readonly id: string;
  readonly bus: string;
  readonly source: string;
  readonly detailType: string;
  readonly time: string;
  readonly targets: TargetOutcome[];
}

export interface LocalBusOptions {
  readonly buses: readonly { readonly name: string; readonly arn: string }[];
  readonly rules: readonly RuleSpec[];
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  readonly invokeTarget: TargetInvoker;
  /** Attempts per target before the dead-letter queue. @default 3 */
  readonly attempts?: number;
  /** Waits between attempts, in ms. @default [200, 1000] */
  readonly backoffMs?: readonly number[];
  readonly onRecord?: (record: BusEventRecord) => void;
  /**
   * Whether a rule may put an event on an event bus target (another account's, with the target's
   * role): undefined when allowed, else why not. @default allowed
   */
  readonly authorizeBusTarget?: (rule: RuleSpec, target: RuleTargetSpec, event: JsonObject) => string | undefined;
}

interface CompiledRule {
  readonly spec: RuleSpec;
  readonly pattern: CompiledPattern;
  readonly targets: readonly { readonly spec: RuleTargetSpec; readonly input: TargetInput }[];
}

const RECENT = 500;

/**
 * The local event buses: every rule of the template, matched with EventBridge semantics, its
 * targets started with the rule's Input, InputPath or InputTransformer. Accepted events are
 * journaled before PutEvents answers and delivered at least once, across restarts.
 */
export class LocalBus {
  private readonly rules: CompiledRule[];
  private readonly journal: EventJournal;
  private readonly recent: BusEventRecord[] = [];
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers: NodeJS.Timeout[] = [];
  private closed = false;

  private constructor(
    private readonly options: LocalBusOptions,
    journal: EventJournal,
  ) {
    this.journal = journal;
    this.rules = options.rules
      .filter((r) => r.enabled && r.everyMs === undefined)
      .map((spec) => ({
        spec,
        pattern: compilePattern(spec.pattern),
        targets: spec.targets.map((t) => ({
          spec: t,
          input: compileTargetInput({
            Id: t.id,
            ...(t.input === undefined ? {} : { Input: t.input }),
            ...(t.inputPath === undefined ? {} : { InputPath: t.inputPath }),
            ...(t.inputTransformer === undefined ? {} : { InputTransformer: t.inputTransformer }),
          }),
        })),
      }));
  }

  /** Opens the journal and re-delivers what a previous run accepted but did not finish. */
  static start(options: LocalBusOptions): { bus: LocalBus; replayed: number } {
    const { journal, pending } = EventJournal.open(join(options.dataDir, 'journal.jsonl'));
    const bus = new LocalBus(options, journal);
    for (const event of pending) bus.dispatch(event);
    for (const rule of options.rules) {
      if (rule.enabled && rule.everyMs !== undefined) {
        const every = rule.everyMs;
        bus.timers.push(setInterval(() => void bus.fireSchedule(rule), every).unref());
      }
    }
    return { bus, replayed: pending.length };
  }

  /** The rules that fire on a schedule rather than on events. */
  scheduledRules(): readonly RuleSpec[] {
    return this.options.rules.filter((r) => r.everyMs !== undefined);
  }

  /** Fires a scheduled rule now, as EventBridge does at each tick: a `Scheduled Event` to each target. */
  async fireSchedule(rule: RuleSpec): Promise<BusEventRecord> {
    const id = randomUUID();
    const event = {
      version: '0',
      id,
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
      account: this.options.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.options.region,
      resources: [rule.arn],
      detail: {},
    };
    const record: BusEventRecord = {
      id,
      bus: rule.busName,
      source: 'aws.events',
      detailType: 'Scheduled Event',
      time: event.time,
      targets: [],
    };
    const compiled: CompiledRule = {
      spec: rule,
      pattern: compilePattern({ source: ['aws.events'] }),
      targets: rule.targets.map((t) => ({
        spec: t,
        input: compileTargetInput({ Id: t.id, ...(t.input === undefined ? {} : { Input: t.input }) }),
      })),
    };
    const work = Promise.all(
      compiled.targets.map((target) => {
        const outcome: TargetOutcome = {
          rule: rule.name,
          target: target.spec.id,
          arn: target.spec.arn,
          status: 'pending',
        };
        record.targets.push(outcome);
        return this.deliverTo(compiled, target, event, outcome);
      }),
    ).then(() => undefined);
    this.inFlight.add(work);
    await work.finally(() => this.inFlight.delete(work));
    this.recent.push(record);
    this.options.onRecord?.(record);
    return record;
  }

  /** Every bus, `default` first, as ListEventBuses shows them. */
  busList(): readonly { readonly name: string; readonly arn: string }[] {
    const custom = this.options.buses.filter((b) => b.name !== 'default');
    const arn = `arn:aws:events:${this.options.region}:${this.options.accountId}:event-bus/default`;
    return [{ name: 'default', arn }, ...custom];
  }

  hasBus(name: string): boolean {
    return this.options.buses.some((b) => b.name === name || b.arn === name) || name === 'default';
  }

  /**
   * Accepts events: journaled now, delivered in the background. Once the bus is closing they are
   * only journaled (their targets are stopping) and the next start delivers them, as it does
   * what a crash left undelivered.
   */
  accept(
    entries: readonly {
      bus: string;
      source: string;
      detailType: string;
      detail: JsonObject;
      time?: Date;
      resources?: string[];
      /** The account the event happens in, and whose bus takes it. @default the control plane's */
      account?: string;
    }[],
  ): string[] {
    const events: JournaledEvent[] = entries.map((e) => {
      const id = randomUUID();
      return {
        id,
        ...this.busOf(e.bus, e.account),
        event: {
          version: '0',
          id,
          'detail-type': e.detailType,
          source: e.source,
          account: e.account ?? this.options.accountId,
          time: (e.time ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          region: this.options.region,
          resources: e.resources ?? [],
          detail: e.detail,
        },
      };
    });
    this.journal.append(events);
    if (!this.closed) for (const event of events) this.dispatch(event);
    return events.map((e) => e.id);
  }

  /** Where an event sits: the bus's name, and its account when that is not the control plane's. */
  private busOf(bus: string, account: string | undefined): Pick<JournaledEvent, 'bus' | 'busAccount'> {
    const foreign = account !== undefined && account !== this.options.accountId;
    return { bus: busName(bus), ...(foreign ? { busAccount: account } : {}) };
  }

  /**
   * An event a rule of another account sent to a bus of this plane (`busArn`), as EventBridge
   * delivers across accounts: the event unchanged (its account is where it happened), a new id.
   */
  forward(busArn: string, event: JsonObject): string {
    const id = randomUUID();
    const forwarded: JournaledEvent = { id, ...this.busOf(busArn, arnAccount(busArn)), event: { ...event, id } };
    this.journal.append([forwarded]);
    if (!this.closed) this.dispatch(forwarded);
    return id;
  }

  /** The latest events and what became of them, newest last. */
  recentEvents(): readonly BusEventRecord[] {
    return this.recent;
  }

  /** The enabled rules of a bus, scheduled ones included. */
  rulesFor(bus: string): readonly RuleSpec[] {
    return this.allRules().filter((r) => r.busName === busName(bus));
  }

  allRules(): readonly RuleSpec[] {
    return this.options.rules.filter((r) => r.enabled);
  }

  /** Resolves when every delivery under way has finished (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all([...this.inFlight]);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearInterval(timer);
    await this.settled();
    this.journal.close();
  }

  private dispatch(event: JournaledEvent): void {
    const record: BusEventRecord = {
      id: event.id,
      bus: event.bus,
      source: String(event.event.source),
      detailType: String(event.event['detail-type']),
      time: String(event.event.time),
      targets: [],
    };
    const work = this.deliver(event, record).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
    this.recent.push(record);
    if (this.recent.length > RECENT) this.recent.shift();
  }

  private async deliver(event: JournaledEvent, record: BusEventRecord): Promise<void> {
    const payload = event.event as JsonObject;
    // Each account's buses are its own: a rule sees only the events on its account's bus of that name.
    const account = event.busAccount ?? this.options.accountId;
    const matched = this.rules.filter(
      (r) => r.spec.busName === event.bus && arnAccount(r.spec.arn) === account && matches(r.pattern, payload),
    );
    await Promise.all(
      matched.flatMap((rule) =>
        rule.targets.map((target) => {
          const outcome: TargetOutcome = {
            rule: rule.spec.name,
            target: target.spec.id,
            arn: target.spec.arn,
            status: 'pending',
          };
          record.targets.push(outcome);
          return this.deliverTo(rule, target, payload, outcome);
        }),
      ),
    );
    if (!this.closed) this.journal.delivered(event.id);
    this.options.onRecord?.(record);
  }

  private async deliverTo(
    rule: CompiledRule,
    target: CompiledRule['targets'][number],
    event: JsonObject,
    outcome: TargetOutcome,
  ): Promise<void> {
    let text: string;
    try {
      text = target.input.text(event, { ruleArn: rule.spec.arn, ruleName: rule.spec.name });
    } catch (error) {
      return this.fail(rule.spec, target.spec, event, outcome, { error, code: 'INVALID_JSON', retries: 0 });
    }
    if (target.spec.arn.split(':')[5]?.startsWith('event-bus/')) {
      const refusal = this.options.authorizeBusTarget?.(rule.spec, target.spec, event);
      if (refusal !== undefined)
        return this.fail(rule.spec, target.spec, event, outcome, {
          error: Object.assign(new Error(refusal), { name: 'AccessDeniedException' }),
          code: 'NO_PERMISSIONS',
          retries: 0,
        });
    }
    const attempts =
      target.spec.maximumRetryAttempts === undefined
        ? (this.options.attempts ?? 3)
        : target.spec.maximumRetryAttempts + 1;
    const backoff = this.options.backoffMs ?? [200, 1000];
    for (let attempt = 1; ; attempt++) {
      try {
        outcome.result = await this.options.invokeTarget(target.spec.arn, text);
        outcome.status = 'delivered';
        return;
      } catch (error) {
        if (attempt >= attempts || this.closed)
          return this.fail(rule.spec, target.spec, event, outcome, {
            error,
            code: 'SDK_CLIENT_ERROR',
            retries: attempt - 1,
          });
        await new Promise((resolve) => setTimeout(resolve, backoff[Math.min(attempt - 1, backoff.length - 1)] ?? 1000));
      }
    }
  }

  /**
   * A target that keeps failing: its dead-letter queue gets the event, as EventBridge does, with
   * the attributes that say which rule's target missed it and why.
   */
  private async fail(
    rule: RuleSpec,
    target: RuleTargetSpec,
    event: JsonObject,
    outcome: TargetOutcome,
    failure: { error: unknown; code: string; retries: number },
  ): Promise<void> {
    const { error } = failure;
    outcome.error = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    outcome.status = 'failed';
    if (target.deadLetterArn === undefined) return;
    const attribute = (value: string) => ({ DataType: 'String' as const, StringValue: value });
    try {
      await this.options.invokeTarget(target.deadLetterArn, JSON.stringify(event), {
        RULE_ARN: attribute(rule.arn),
        TARGET_ARN: attribute(target.arn),
        ERROR_CODE: attribute(failure.code),
        ERROR_MESSAGE: attribute(outcome.error.slice(0, 1000)),
        EXHAUSTED_RETRY_CONDITION: attribute('MaximumRetryAttempts'),
        RETRY_ATTEMPTS: attribute(String(failure.retries)),
      });
      outcome.status = 'dead-lettered';
    } catch {
      // The event stays recorded as failed; nothing else can take it.
    }
  }
}

function busName(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? String(nameOrArn.split('/').pop()) : nameOrArn;
}
