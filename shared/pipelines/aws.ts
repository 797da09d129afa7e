import {
  DescribeStateMachineCommand,
  DescribeStateMachineForExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { PipelineDefinition } from '../../events';
import { definitionInAsl } from './definition';
import type { DeployedPipelines, ExecutionPipelines } from './ports';

/**
 * Each pipeline's definition as its state machine carries it now (DescribeStateMachine), or as
 * one execution runs it (DescribeStateMachineForExecution).
 */
export class StateMachinePipelines implements DeployedPipelines, ExecutionPipelines {
  constructor(private readonly sfn: SFNClient) {}

  async definitionOf(stateMachineArn: string): Promise<PipelineDefinition> {
    const out = await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    return definitionInAsl(out.definition ?? '{}');
  }

  async pipelineOfExecution(executionArn: string): Promise<PipelineDefinition> {
    const out = await this.sfn.send(new DescribeStateMachineForExecutionCommand({ executionArn }));
    return definitionInAsl(out.definition ?? '{}');
  }
}
