import { randomBytes } from 'node:crypto';
import { AwsServiceError } from '../edge/aws-json';
import type { LambdaInvoker } from '../lambda/types';
import type { HookExecution } from './records';

/** A lifecycle hook that failed, timed out or could not run: the deployment's HOOK_EXECUTION_FAILURE. */
export class HookFailure extends Error {
  override readonly name = 'HookFailure';
}

interface Waiter {
  readonly deploymentId: string;
  readonly execution: HookExecution;
  readonly settle: (status: 'Succeeded' | 'Failed') => void;
}

/**
 * Lambda lifecycle hooks as CodeDeploy runs them: the named function is invoked with
 * `{DeploymentId, LifecycleEventHookExecutionId}` and the deployment waits for that function to
 * report through PutLifecycleEventHookExecutionStatus (or for the hook's timeout).
 */
export class LifecycleHooks {
  private readonly waiting = new Map<string, Waiter>();

  constructor(private readonly invoker: LambdaInvoker) {}

  /** Runs one hook; resolves when it reports Succeeded, throws HookFailure otherwise. */
  async run(
    deploymentId: string,
    execution: HookExecution,
    timeoutMs: number,
    signal: AbortSignal,
    /** The name or ARN Invoke is given. @default execution.functionName */
    functionRef = execution.functionName,
  ): Promise<void> {
    const reported = new Promise<'Succeeded' | 'Failed'>((settle) => {
      this.waiting.set(execution.id, { deploymentId, execution, settle });
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const invoked = this.invoker
        .invoke(functionRef, { DeploymentId: deploymentId, LifecycleEventHookExecutionId: execution.id })
        .then((outcome) => (outcome.ok ? new Promise<never>(() => undefined) : outcome));
      const timedOut = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), timeoutMs);
      });
      const aborted = new Promise<never>((_, reject) => {
        const fail = () => reject(signal.reason);
        if (signal.aborted) fail();
        signal.addEventListener('abort', fail, { once: true });
      });
      const result = await Promise.race([reported, invoked, timedOut, aborted]);
      if (result === 'Succeeded') return;
      if (result === 'Failed')
        throw new HookFailure(`the ${execution.event} hook ${execution.functionName} reported Failed`);
      if (result === 'timeout') {
        throw new HookFailure(
          `the ${execution.event} hook ${execution.functionName} did not report within ${timeoutMs} ms`,
        );
      }
      throw new HookFailure(
        `the ${execution.event} hook ${execution.functionName} failed: ${result.errorType}: ${result.errorMessage}`,
      );
    } finally {
      clearTimeout(timer);
      this.waiting.delete(execution.id);
    }
  }

  /** PutLifecycleEventHookExecutionStatus. */
  report(deploymentId: string, executionId: string, status: string): void {
    if (status !== 'Succeeded' && status !== 'Failed') {
      throw new AwsServiceError(
        'InvalidLifecycleEventHookExecutionStatusException',
        `Status ${status} is not valid: use Succeeded or Failed`,
      );
    }
    const waiter = this.waiting.get(executionId);
    if (waiter === undefined || waiter.deploymentId !== deploymentId) {
      throw new AwsServiceError(
        'LifecycleEventAlreadyCompletedException',
        `The lifecycle event ${executionId} of ${deploymentId} is not waiting for a status`,
      );
    }
    waiter.execution.status = status;
    waiter.settle(status);
  }
}

/** A lifecycle event hook execution id, opaque as AWS's are. */
export function hookExecutionId(): string {
  return randomBytes(36).toString('base64url');
}
