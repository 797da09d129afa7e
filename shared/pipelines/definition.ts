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
      deploy: DeployTargetSchema.nullable().default(null),
    }),
  ),
  concurrency: z.enum(['queued', 'superseded']),
  /** Where commit statuses go: the connection (its API URL comes from the function's environment) and its secret. */
  status: z.object({ connection: z.string(), secretId: z.string() }),
});
export type PipelineDefinition = z.infer<typeof PipelineDefinitionSchema>;
