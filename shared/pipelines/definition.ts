import { z } from 'zod';
import { ProviderSchema } from '../../events';
import { DeployTargetSchema } from '../deploy/target';
import { GatesSchema } from '../gates/schema';
import { ApprovalPolicySchema, IdentitySchema } from './approvers';

/** An approver as a run record keeps it: resolved from config when the run is planned. */
export const EligibleApproverSchema = IdentitySchema.extend({ identity: z.string() });
export type EligibleApprover = z.infer<typeof EligibleApproverSchema>;

/**
 * What one pipeline's state machine tells ResolvePlan about the pipeline: the config, resolved
 * and embedded in the definition by CDK, so one function serves every pipeline and no
 * environment variable limits how much config there can be.
 */
export const PipelineDefinitionSchema = z.object({
  name: z.string(),
  source: z.object({ provider: ProviderSchema, repository: z.string(), connection: z.string() }),
  triggers: z.object({
    push: z.object({ branches: z.array(z.string()), exclude: z.array(z.string()).default([]) }).optional(),
    tags: z.object({ include: z.array(z.string()), exclude: z.array(z.string()).default([]) }).optional(),
    pullRequests: z
      .object({
        targetBranches: z.array(z.string()),
        exclude: z.array(z.string()).default([]),
        forks: z.enum(['skip', 'build']).default('skip'),
      })
      .optional(),
  }),
  build: z.object({
    /** The trusted project: release builds of refs a push or tag trigger names; holds the build secrets. */
    projectName: z.string(),
    /** The untrusted project: pull requests; no secrets, no access to release artifacts. */
    untrustedProjectName: z.string(),
    env: z.record(z.string(), z.string()).default({}),
  }),
  gates: GatesSchema,
  environments: z.array(
    z.object({
      name: z.string(),
      branches: z.array(z.string()),
      approval: ApprovalPolicySchema,
      approvers: z.array(EligibleApproverSchema).default([]),
      /** Who may cancel, roll back or retry this environment's runs (besides the pipeline's operators). */
      operators: z.array(EligibleApproverSchema).default([]),
      deploy: DeployTargetSchema.nullable().default(null),
    }),
  ),
  /** Who may cancel, roll back or retry any run of this pipeline. */
  operators: z.array(EligibleApproverSchema).default([]),
  /** IAM Identity Center permission-set roles whose sessions name the person (see principals.ts). */
  identityCenterRoles: z.array(z.string()).default([]),
  concurrency: z.enum(['queued', 'superseded']),
  /** Where commit statuses go: the connection (its API URL comes from the function's environment) and its secret. */
  status: z.object({ connection: z.string(), secretId: z.string() }),
});
export type PipelineDefinition = z.infer<typeof PipelineDefinitionSchema>;

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
  return PipelineDefinitionSchema.parse(pipeline);
}

/** `arn:…:execution:<machine>:<name>` → `arn:…:stateMachine:<machine>`. */
export function stateMachineOf(executionArn: string): string {
  return executionArn.slice(0, executionArn.lastIndexOf(':')).replace(':execution:', ':stateMachine:');
}
