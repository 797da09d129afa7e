import { DescribeStateMachineCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { PipelineDefinition } from '../../events';
import { definitionInAsl } from './definition';
import type { DeployedPipelines } from './ports';

/** Each pipeline's definition as its state machine carries it now (DescribeStateMachine). */
export class StateMachinePipelines implements DeployedPipelines {
  constructor(private readonly sfn: SFNClient) {}

  async definitionOf(stateMachineArn: string): Promise<PipelineDefinition> {
    const out = await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn }));
    return definitionInAsl(out.definition ?? '{}');
  }
}
