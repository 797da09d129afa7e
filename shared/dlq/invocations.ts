import { functionNameOf, type InvocationLetter } from './letters';
import { errorLine, kept, type RedriveResult, redriven } from './outcome';

/** Port: where each function's failed asynchronous invocations go (Lambda's event invoke config). */
export interface AsyncInvokeConfigs {
  /** The ARN of the function's on-failure destination for `qualifier`; undefined without one (or without the function). */
  onFailureOf(functionName: string, qualifier: string): Promise<string | undefined>;
}

/** Port: invokes a function asynchronously, as EventBridge and Lambda's retries do. */
export interface AsyncInvoker {
  /** Returns what it started (a request id). */
  invokeAsync(functionName: string, qualifier: string, payload: string): Promise<string>;
}

export interface InvocationRedriveDeps {
  readonly configs: AsyncInvokeConfigs;
  readonly invoker: AsyncInvoker;
  /** The ARN of the queue the letter was read from. */
  readonly queueArn: string;
}

/**
 * Invokes again, asynchronously and with the same event, the function Lambda gave up on, and
 * nothing else. Only a function whose failed invocations go to this very queue is invoked: a
 * record someone else put in the queue cannot choose which function runs, nor with what it runs
 * a function that never sends here. The two such functions take nothing from the event they would
 * not check: deploy-events records what it handles once (by the deployment), so redriving a record
 * twice records nothing twice; report-status reads what to post from the run record, so a second
 * redrive posts the same status again.
 */
export async function redriveInvocationLetter(
  deps: InvocationRedriveDeps,
  letter: InvocationLetter,
): Promise<RedriveResult> {
  const name = functionNameOf(letter.functionArn);
  const qualifier = letter.functionArn.split(':')[7] ?? '$LATEST';
  // The function named by name, in the queue's own account and region: never one elsewhere.
  const [, , , region, account] = letter.functionArn.split(':');
  const [, , , queueRegion, queueAccount] = deps.queueArn.split(':');
  if (region !== queueRegion || account !== queueAccount)
    return kept('unknown_target', `${letter.functionArn} is not in this queue's account and region`);
  let destination: string | undefined;
  try {
    destination = await deps.configs.onFailureOf(name, qualifier);
  } catch (error) {
    return kept('send_failed', `reading ${name}'s asynchronous invocation config: ${errorLine(error)}`);
  }
  if (destination !== deps.queueArn)
    return kept(
      'unknown_target',
      `function ${name} (${qualifier}) does not send its failed invocations to this queue (or no longer exists), so this record is not its`,
    );
  try {
    return redriven(
      `invoked ${name}: ${await deps.invoker.invokeAsync(name, qualifier, JSON.stringify(letter.payload))}`,
    );
  } catch (error) {
    return kept('send_failed', `${name}: ${errorLine(error)}`);
  }
}
