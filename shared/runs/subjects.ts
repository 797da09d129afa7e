import type { AuditDetails, AuditRecordInput, AuditRecordOf, AuditType, RunPlan } from '../../events';

/** The run as an audit record's subject: what changed, where, and through which pipeline. */
export function subjectOf(plan: RunPlan) {
  return {
    repository: plan.repository,
    commit: plan.commit,
    runId: plan.runId,
    environment: plan.environment,
    pipeline: plan.pipeline,
  };
}

/** A fact Gantry itself records about a run: the system actor, the run as subject, typed details. */
export function gantryRecord<T extends AuditType>(
  plan: RunPlan,
  type: T,
  outcome: AuditRecordInput['outcome'],
  details: AuditDetails<T>,
): AuditRecordOf<T> {
  return {
    type,
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    outcome,
    details,
    correlationId: plan.change.deliveryId,
  };
}
