import { AwsServiceError } from '../edge/aws-json';

/**
 * The environment variable that switches on the local Step Functions' test hooks (a JSON
 * TestHooks). Only tests set it: neither `gantry local up` nor anything in the product does, and
 * without it the emulator behaves exactly as it would otherwise.
 */
export const TEST_HOOKS_ENV = 'GANTRY_LOCAL_TEST_HOOKS';

/** One API fault: the next `times` calls of `operation` on `stateMachine` answer `code`. */
export interface InjectedFault {
  readonly operation: string;
  /** The state machine's name (the last part of its ARN). */
  readonly stateMachine: string;
  readonly times: number;
  /** @default 'ThrottlingException' (HTTP 400, as Step Functions throttles) */
  readonly code?: string;
}

/** Faults and time compression that only tests ask for. */
export interface TestHooks {
  readonly faults?: readonly InjectedFault[];
  /**
   * Divides TimeoutSeconds and HeartbeatSeconds of every `.waitForTaskToken` task (waits for a
   * person, a lane or an event), so that a test can let a week pass in seconds. Tasks that do
   * work (Lambda invocations, builds) keep their timeouts. @default 1
   */
  readonly callbackTimeoutScale?: number;
}

/** The hooks the environment asks for, or none; a malformed value is refused rather than ignored. */
export function testHooksFrom(env: NodeJS.ProcessEnv): TestHooks {
  const text = env[TEST_HOOKS_ENV];
  if (text === undefined || text === '') return {};
  const hooks = JSON.parse(text) as TestHooks;
  const scale = hooks.callbackTimeoutScale;
  if (scale !== undefined && !(typeof scale === 'number' && scale > 0))
    throw new RangeError(`${TEST_HOOKS_ENV}: callbackTimeoutScale must be a positive number`);
  for (const fault of hooks.faults ?? []) {
    if (typeof fault.operation !== 'string' || typeof fault.stateMachine !== 'string' || !(fault.times > 0))
      throw new RangeError(`${TEST_HOOKS_ENV}: a fault needs an operation, a stateMachine and times > 0`);
  }
  return hooks;
}

/** Injects the faults of a TestHooks into API calls, each as many times as it says. */
export class FaultInjector {
  private readonly left: { fault: InjectedFault; remaining: number }[];

  constructor(faults: readonly InjectedFault[] = []) {
    this.left = faults.map((fault) => ({ fault, remaining: fault.times }));
  }

  /** Throws the fault due for this call, if any. */
  check(operation: string, input: Record<string, unknown>): void {
    const arn = typeof input.stateMachineArn === 'string' ? input.stateMachineArn : '';
    const machine = arn.slice(arn.lastIndexOf(':') + 1);
    const due = this.left.find(
      (f) => f.remaining > 0 && f.fault.operation === operation && f.fault.stateMachine === machine,
    );
    if (due === undefined) return;
    due.remaining -= 1;
    const code = due.fault.code ?? 'ThrottlingException';
    throw new AwsServiceError(code, `Rate exceeded (injected by ${TEST_HOOKS_ENV})`);
  }
}

/** A duration of a callback task under compression: at least a second, as Step Functions counts. */
export function compressedSeconds(seconds: number, scale: number): number {
  return scale === 1 ? seconds : Math.max(1, Math.round(seconds / scale));
}
