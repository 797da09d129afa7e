import { type PipelineDefinition, PipelineDefinitionSchema, parseAs } from '../../events';

/** The state every pipeline state machine starts with; its payload carries the definition. */
export const RESOLVE_PLAN_STATE = 'ResolvePlan';

/**
 * The pipeline definition inside a state machine's Amazon States Language: ResolvePlan's
 * `Parameters.Payload.pipeline`, as CDK wrote it from the config. Throws when there is none.
 */
export function definitionInAsl(asl: string): PipelineDefinition {
  const parsed = JSON.parse(asl) as { States?: Record<string, { Parameters?: { Payload?: { pipeline?: unknown } } }> };
  const pipeline = parsed.States?.[RESOLVE_PLAN_STATE]?.Parameters?.Payload?.pipeline;
  if (pipeline === undefined) throw new Error(`the state machine has no ${RESOLVE_PLAN_STATE} state with a pipeline`);
  return parseAs(PipelineDefinitionSchema, pipeline, `pipeline definition in ${RESOLVE_PLAN_STATE}`);
}

/** `arn:…:execution:<machine>:<name>` → `arn:…:stateMachine:<machine>`. */
export function stateMachineOf(executionArn: string): string {
  return executionArn.slice(0, executionArn.lastIndexOf(':')).replace(':execution:', ':stateMachine:');
}
