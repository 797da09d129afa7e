import type { AwsJsonService } from '../edge/aws-json';
import type { LambdaInvoker } from '../lambda/types';
import type { IntegrationHandler } from './tasks';
import type { TestHooks } from './test-hooks';

/** A state machine of the template, resolved by local mode's runtime to plain data. */
export interface StateMachineSpec {
  readonly arn: string;
  readonly name: string;
  /** ASL JSON with every token already resolved. */
  readonly definition: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly roleArn: string;
}

/** The status changes EventBridge announces as "Step Functions Execution Status Change". */
export type ExecutionEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionAborted'
  | 'ExecutionTimedOut';

/** A status change of one execution, handed to `onEvent`. */
export interface ExecutionEvent {
  readonly type: ExecutionEventType;
  readonly executionArn: string;
  readonly stateMachineArn: string;
}

/** What local mode's runtime hands the emulator, resolved from the CloudFormation template. */
export interface StepFunctionsOptions {
  readonly stateMachines: readonly StateMachineSpec[];
  /** Runs the template's functions for Lambda Task states. */
  readonly lambda: LambdaInvoker;
  /** A folder for this emulator alone; executions and their histories persist there across restarts. */
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  /** Integrations known when the emulator starts, by Task resource ARN (more via registerIntegration). */
  readonly integrations?: Readonly<Record<string, IntegrationHandler>>;
  /**
   * Divides every Wait state's duration (Seconds, SecondsPath, and the time left to a Timestamp),
   * so a pipeline's polling loops run at the pace of the local deployer's compressed time. @default 1
   */
  readonly timeScale?: number;
  /**
   * Where to remember the definitions asl-validator accepted, so that a restart with the same
   * definitions (and packages) skips validating them again; false remembers within this emulator.
   * @default undefined: every definition is validated at every start
   */
  readonly validationCacheDir?: string | false;
  /**
   * Faults and time compression for tests; never set by the product.
   * @default what GANTRY_LOCAL_TEST_HOOKS holds (JSON), else none
   */
  readonly testHooks?: TestHooks;
  /**
   * Called synchronously as executions change status, also at start-up for executions a crash
   * left running (now FAILED). It runs inside the execution's bookkeeping, so it must not throw.
   */
  readonly onEvent?: (event: ExecutionEvent) => void;
}

/** The local Step Functions: the API on the edge endpoint, and the hooks local mode wires up. */
export interface StepFunctionsEmulator {
  /** Mount on the edge endpoint (`AWSStepFunctions.*`). */
  readonly service: AwsJsonService;
  /**
   * Serves a Task resource such as `arn:aws:states:::codebuild:startBuild.sync`. Registering the
   * plain resource also serves its `.waitForTaskToken` form, which then waits for the token.
   */
  registerIntegration(resource: string, handler: IntegrationHandler): void;
  /** Aborts running executions (recorded as ABORTED, error Gantry.LocalRuntimeStopped) and closes files. */
  close(): Promise<void>;
}
