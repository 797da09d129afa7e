import type { AlarmStatus, LocalAlarms } from '../cloudwatch/alarms';
import { preciseNow } from '../cloudwatch/alarms';
import { VersionStartError } from '../lambda-api/process';
import type { LocalServices } from '../lambda-api/services';
import type { HookEvent } from './appspec';
import type { ShiftStep } from './configs';
import { HookFailure, hookExecutionId, type LifecycleHooks } from './hooks';
import type { DeploymentRecord } from './records';
import { SyntheticTraffic, type SyntheticTrafficOptions } from './traffic';
import type { DeploymentGroupSpec } from './types';

/** The state-change events a deployment announces. */
export type DeploymentState = 'START' | 'SUCCESS' | 'FAILURE' | 'STOP';

export interface RunDeps {
  readonly services: LocalServices;
  readonly alarms: LocalAlarms;
  readonly hooks: LifecycleHooks;
  readonly group: DeploymentGroupSpec;
  /** What Invoke names a hook function by: in the group's own account, as CodeDeploy resolves it. */
  readonly hookFunction: (name: string) => string;
  readonly steps: readonly ShiftStep[];
  /** Minutes of the deployment configuration become ms: 60000 / timeScale each. */
  readonly timeScale: number;
  readonly hookTimeoutMs: number;
  /** How long a retired version keeps answering after it lost its traffic. */
  readonly drainMs: number;
  readonly alarmPollMs: number;
  readonly synthetic: SyntheticTrafficOptions | false;
  readonly save: () => void;
  readonly announce: (record: DeploymentRecord, state: DeploymentState) => void;
}

/** Why a deployment ended early, in CodeDeploy's errorInformation terms. */
class DeploymentFailure extends Error {
  override readonly name = 'DeploymentFailure';

  constructor(
    readonly code: string,
    message: string,
    /** The AutoRollbackConfiguration event that covers it. */
    readonly rollbackEvent = 'DEPLOYMENT_FAILURE',
    readonly stopped = false,
    /** Ends the deployment without a state-change event (local mode is shutting down). */
    readonly silent = false,
  ) {
    super(message);
  }
}

/**
 * One deployment of a Lambda alias from CurrentVersion to TargetVersion, as CodeDeploy runs it:
 * start and health-check the target, BeforeAllowTraffic, shift traffic step by step while the
 * group's alarms are watched (and steady synthetic requests keep them fed), AfterAllowTraffic,
 * then the alias on the target. An alarm, a failed hook or StopDeployment puts all traffic back
 * on the current version at once.
 */
export class DeploymentRun {
  private readonly controller = new AbortController();
  private shifted = false;
  private restored = false;
  /** When all traffic was back on the current version. */
  private restoredAt: number | undefined;
  readonly done: Promise<void>;

  constructor(
    readonly record: DeploymentRecord,
    private readonly deps: RunDeps,
  ) {
    this.done = Promise.resolve().then(() => this.run());
  }

  /** StopDeployment: ends the deployment Stopped, traffic back on the current version. */
  stop(autoRollbackEnabled: boolean): Promise<void> {
    this.interrupt(
      new DeploymentFailure(
        'MANUAL_STOP',
        'The deployment was stopped by request.',
        autoRollbackEnabled ? 'DEPLOYMENT_STOP_ON_REQUEST' : '',
        true,
      ),
    );
    return this.done;
  }

  /** Local mode is shutting down: traffic back on the current version, the deployment Failed, no event. */
  abandon(): Promise<void> {
    this.interrupt(
      new DeploymentFailure(
        'INTERNAL_ERROR',
        'Gantry local mode shut down while this deployment was running.',
        '',
        false,
        true,
      ),
    );
    return this.done;
  }

  private get target() {
    return this.record.target;
  }

  private async run(): Promise<void> {
    const { record, deps } = this;
    record.status = 'InProgress';
    record.startTime = preciseNow();
    this.mark('Deployment started', 0);
    deps.announce(record, 'START');
    const unwatch = this.watchAlarms();
    let traffic: SyntheticTraffic | undefined;
    try {
      this.validate();
      await this.startTarget();
      await this.hook('BeforeAllowTraffic');
      const stable = deps.services.proxy(this.target.functionName, this.target.alias);
      if (deps.synthetic !== false && stable !== undefined) traffic = new SyntheticTraffic(stable.url, deps.synthetic);
      for (const step of deps.steps) {
        this.shift(step.percent);
        await this.sleep((step.holdMinutes * 60_000) / deps.timeScale);
      }
      await this.hook('AfterAllowTraffic');
      this.succeed();
    } catch (error) {
      this.fail(error);
    } finally {
      unwatch();
      if (traffic !== undefined) {
        // On the record as soon as its status is final (a caller may read it at once), then
        // completed with the requests still in flight.
        record.syntheticTraffic = traffic.counts;
        await traffic.stop();
      }
      deps.save();
    }
  }

  private validate(): void {
    const { services } = this.deps;
    const { functionName, alias, currentVersion, targetVersion } = this.target;
    if (services.store.spec(functionName) === undefined) {
      throw new DeploymentFailure('INVALID_LAMBDA_FUNCTION', `${functionName} is not a service function of local mode`);
    }
    const current = services.store.alias(functionName, alias);
    if (current === undefined)
      throw new DeploymentFailure('INVALID_LAMBDA_CONFIGURATION', `${functionName} has no alias ${alias}`);
    for (const version of [currentVersion, targetVersion]) {
      if (services.store.version(functionName, version) === undefined || version === '$LATEST') {
        throw new DeploymentFailure('INVALID_LAMBDA_FUNCTION', `${functionName} has no published version ${version}`);
      }
    }
    if (current.functionVersion !== currentVersion) {
      throw new DeploymentFailure(
        'INVALID_LAMBDA_CONFIGURATION',
        `The alias ${alias} points to version ${current.functionVersion}, not CurrentVersion ${currentVersion}`,
      );
    }
  }

  private async startTarget(): Promise<void> {
    const { functionName, targetVersion } = this.target;
    try {
      await this.abortable(this.deps.services.healthyProcess(functionName, targetVersion, this.controller.signal));
    } catch (error) {
      if (!(error instanceof VersionStartError)) throw error;
      throw new DeploymentFailure('CUSTOMER_APPLICATION_UNHEALTHY', error.message);
    }
    this.mark(`Version ${targetVersion} started and answered its health check`, 0);
  }

  private async hook(event: HookEvent): Promise<void> {
    const functionName = this.record.hooks[event];
    if (functionName === undefined) return;
    const execution = { id: hookExecutionId(), event, functionName, status: 'Pending' as const };
    this.record.hookExecutions.push(execution);
    this.mark(`${event} hook ${functionName} invoked`, this.percent());
    try {
      await this.deps.hooks.run(
        this.record.deploymentId,
        execution,
        this.deps.hookTimeoutMs,
        this.controller.signal,
        this.deps.hookFunction(functionName),
      );
    } catch (error) {
      if (error instanceof HookFailure) throw new DeploymentFailure('HOOK_EXECUTION_FAILURE', error.message);
      throw error;
    }
    this.mark(`${event} hook succeeded`, this.percent());
  }

  /** Gives the target `percent` of the traffic: weights below 100, the alias itself at 100, as CodeDeploy does. */
  private shift(percent: number): void {
    const { functionName, alias, currentVersion, targetVersion } = this.target;
    if (currentVersion === targetVersion) {
      this.mark(`Version ${targetVersion} is already the alias's version`, 100);
      return;
    }
    this.deps.services.route(
      functionName,
      alias,
      percent >= 100
        ? { functionVersion: targetVersion, additionalVersionWeights: {} }
        : { functionVersion: currentVersion, additionalVersionWeights: { [targetVersion]: percent / 100 } },
    );
    this.shifted = true;
    this.mark(`Version ${targetVersion} has ${percent}% of the traffic`, percent);
  }

  private percent(): number {
    const { functionName, alias, targetVersion } = this.target;
    const record = this.deps.services.store.alias(functionName, alias);
    if (record?.functionVersion === targetVersion) return 100;
    return Math.round((record?.additionalVersionWeights[targetVersion] ?? 0) * 100);
  }

  private succeed(): void {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
    const { record, deps } = this;
    if (!this.shifted) this.shift(100);
    record.status = 'Succeeded';
    record.completeTime = preciseNow();
    this.mark('Deployment succeeded', 100);
    deps.announce(record, 'SUCCESS');
    if (this.target.currentVersion !== this.target.targetVersion) {
      void deps.services.retire(this.target.functionName, this.target.currentVersion, deps.drainMs);
    }
  }

  private fail(error: unknown): void {
    const { record, deps } = this;
    const failure =
      error instanceof DeploymentFailure
        ? error
        : new DeploymentFailure('INTERNAL_ERROR', error instanceof Error ? error.message : String(error));
    this.restoreTraffic();
    record.status = failure.stopped ? 'Stopped' : 'Failed';
    record.errorInformation = { code: failure.code, message: failure.message };
    const { enabled, events } = deps.group.autoRollback;
    if (failure.rollbackEvent === 'DEPLOYMENT_STOP_ON_REQUEST' || (enabled && events.includes(failure.rollbackEvent))) {
      record.rollbackInfo = {
        rollbackMessage: `Traffic of ${this.target.functionName}:${this.target.alias} was shifted back to version ${this.target.currentVersion}.`,
      };
    }
    record.completeTime = preciseNow();
    this.mark(`Deployment ${record.status.toLowerCase()}: ${failure.message}`, 0);
    if (!failure.silent) deps.announce(record, failure.stopped ? 'STOP' : 'FAILURE');
    if (this.target.currentVersion !== this.target.targetVersion) {
      void deps.services.retire(this.target.functionName, this.target.targetVersion, deps.drainMs);
    }
  }

  /** All traffic back on the current version, synchronously, the moment a deployment is interrupted. */
  private restoreTraffic(): void {
    if (!this.shifted || this.restored) return;
    this.restored = true;
    const { functionName, alias, currentVersion } = this.target;
    this.deps.services.route(functionName, alias, { functionVersion: currentVersion, additionalVersionWeights: {} });
    this.restoredAt = preciseNow();
    this.mark(`Version ${currentVersion} has all the traffic again`, 0);
  }

  private interrupt(failure: DeploymentFailure): void {
    if (this.controller.signal.aborted || this.record.completeTime !== undefined) return;
    this.restoreTraffic();
    this.controller.abort(failure);
  }

  private watchAlarms(): () => void {
    const { alarms } = this.deps.group;
    if (!alarms.enabled || alarms.names.length === 0) return () => undefined;
    const check = (status: AlarmStatus | undefined) => {
      if (status?.state === 'ALARM' && alarms.names.includes(status.spec.name)) this.alarmed(status);
    };
    const stopListening = this.deps.alarms.onChange((status) => check(status));
    const poll = () => {
      for (const name of alarms.names) check(this.deps.alarms.evaluate(name));
    };
    const timer = setInterval(poll, this.deps.alarmPollMs);
    poll();
    return () => {
      stopListening();
      clearInterval(timer);
    };
  }

  private alarmed(status: AlarmStatus): void {
    if (this.controller.signal.aborted || this.record.completeTime !== undefined) return;
    const firedAt = Math.max(status.updatedAt, this.record.startTime ?? 0);
    const wasShifted = this.shifted;
    this.interrupt(
      new DeploymentFailure(
        'ALARM_ACTIVE',
        `The alarm ${status.spec.name} is in ALARM: ${status.reason}`,
        'DEPLOYMENT_STOP_ON_ALARM',
      ),
    );
    this.record.alarm = { name: status.spec.name, reason: status.reason, firedAt };
    if (wasShifted) this.record.rollbackMs = Math.max(0, (this.restoredAt ?? preciseNow()) - firedAt);
  }

  private mark(event: string, percent: number): void {
    this.record.timeline.push({ at: preciseNow(), percent, event });
    this.deps.save();
  }

  private sleep(ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    return this.abortable(new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))).finally(() =>
      clearTimeout(timer),
    );
  }

  private abortable<T>(work: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    return new Promise<T>((resolve, reject) => {
      const abort = () => reject(signal.reason);
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      work.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
    });
  }
}
