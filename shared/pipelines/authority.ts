import type { EligibleApprover, PipelineDefinition } from '../../events';
import type { RunRecord } from '../runs/model';
import { stateMachineOf } from './definition';
import type { DeployedPipelines } from './ports';
import { personOf } from './principals';

/** Who may act on a run, from the pipeline's configuration as deployed now. */
export interface Authority {
  readonly deployed: PipelineDefinition;
  readonly environment: PipelineDefinition['environments'][number] | undefined;
}

/** The deployed configuration could not be read: nobody is authorized until it can (fail closed). */
export class AuthorityUnavailable extends Error {
  override readonly name = 'AuthorityUnavailable';
}

/**
 * The configuration a run's pipeline is deployed with now. Groups change after a run started
 * (someone leaves the release managers): decisions and operator actions follow today's groups.
 */
export async function authorityOver(
  deps: { readonly pipelines: DeployedPipelines },
  run: RunRecord,
): Promise<Authority> {
  let deployed: PipelineDefinition;
  try {
    deployed = await deps.pipelines.definitionOf(stateMachineOf(run.executionArn));
  } catch (error) {
    throw new AuthorityUnavailable(
      `the deployed configuration of pipeline ${run.pipeline} could not be read (${error instanceof Error ? error.message : 'unknown error'}); nobody may act on run ${run.runId} until it can`,
      { cause: error },
    );
  }
  return { deployed, environment: deployed.environments.find((e) => e.name === run.environment) };
}

/** The approver of the run's environment the caller acts as, under the deployed configuration. */
export function approverOf(authority: Authority, principal: string): EligibleApprover | undefined {
  return personOf(authority.environment?.approvers ?? [], principal, authority.deployed.identityCenterRoles);
}

/** The operator the caller acts as: one of the pipeline's operators, or of the run's environment. */
export function operatorOf(authority: Authority, principal: string): EligibleApprover | undefined {
  const people = [...authority.deployed.operators, ...(authority.environment?.operators ?? [])];
  return personOf(people, principal, authority.deployed.identityCenterRoles);
}

/** Names the groups' members for a refusal, so the reader knows whom to ask. */
export function namesOf(people: readonly EligibleApprover[]): string {
  return people.length === 0 ? 'nobody is configured' : people.map((p) => p.identity).join(', ');
}
