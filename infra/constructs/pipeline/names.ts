import { Arn, ArnFormat, Stack } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/** Pipeline state machines are named `gantry-pipeline-<name>`, so grants can name them before they exist. */
export const PIPELINE_STATE_MACHINE_PREFIX = 'gantry-pipeline-';

export function pipelineStateMachineName(pipeline: string): string {
  return `${PIPELINE_STATE_MACHINE_PREFIX}${pipeline}`;
}

/** ARNs of every pipeline state machine, and of their executions. */
export function pipelineArns(scope: IConstruct): { stateMachines: string; executions: string } {
  const stack = Stack.of(scope);
  return {
    stateMachines: Arn.format(
      {
        service: 'states',
        resource: 'stateMachine',
        resourceName: `${PIPELINE_STATE_MACHINE_PREFIX}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    ),
    executions: Arn.format(
      {
        service: 'states',
        resource: 'execution',
        resourceName: `${PIPELINE_STATE_MACHINE_PREFIX}*:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      },
      stack,
    ),
  };
}
