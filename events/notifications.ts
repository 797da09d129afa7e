import * as z from 'zod/mini';
import { parseAs } from './invalid-data';

/** EventBridge `source` of the events Gantry publishes about runs (approval requests included). */
export const PIPELINE_EVENT_SOURCE = 'gantry.pipelines';

/** The detail-type of each event people can be notified of, by the name a target's filter uses. */
export const NOTIFICATION_DETAIL_TYPES = {
  'run-succeeded': 'Run Succeeded',
  'run-failed': 'Run Failed',
  'approval-requested': 'Approval Requested',
  'deployment-rolled-back': 'Deployment Rolled Back',
} as const;
export type NotificationEvent = keyof typeof NOTIFICATION_DETAIL_TYPES;
export type NotificationDetailType = (typeof NOTIFICATION_DETAIL_TYPES)[NotificationEvent];
export const NOTIFICATION_EVENTS = Object.keys(NOTIFICATION_DETAIL_TYPES) as [
  NotificationEvent,
  ...NotificationEvent[],
];
export const NotificationEventSchema = z.enum(NOTIFICATION_EVENTS);

/**
 * The `failure.error` of a `Run Failed` for a run that ended without its execution's ReportStatus:
 * an operator's cancel, and the sweep's close of a run whose execution had ended. A bus rule on
 * these has ReportStatus post the commit's final status.
 */
export const ENDED_UNREPORTED = { cancelled: 'Gantry.Cancelled', reconciled: 'Gantry.Reconciled' } as const;

/** What every notification event says about the run it is about. */
const RunSubjectSchema = z.object({
  schemaVersion: z.literal('1'),
  runId: z.string().check(z.minLength(1)),
  pipeline: z.string(),
  /** null: the run deploys nowhere (a pull request, a branch no environment claims). */
  environment: z.nullable(z.string()),
  repository: z.string(),
  commit: z.string(),
  branch: z.nullable(z.string()),
  /** `push`, `tag`, `pull_request` or `rollback`. */
  trigger: z.string(),
});

/** `Run Succeeded`: the run ended well (built, checked and, when it deploys, deployed and baked). */
export const RunSucceededSchema = z.extend(RunSubjectSchema, {
  deployed: z.boolean(),
  endedAt: z.iso.datetime(),
});
export type RunSucceeded = z.infer<typeof RunSucceededSchema>;

/** `Run Failed`: the run ended in failure; the stage and the reason are the ones on the run record. */
export const RunFailedSchema = z.extend(RunSubjectSchema, {
  failure: z.object({ stage: z.string(), error: z.string(), reason: z.string() }),
  endedAt: z.iso.datetime(),
});
export type RunFailed = z.infer<typeof RunFailedSchema>;

/** `Approval Requested`: the run waits for approvers until `deadline`. */
export const ApprovalRequestedSchema = z.extend(RunSubjectSchema, {
  environment: z.string(),
  deadline: z.iso.datetime(),
  /** Identity names of who may decide (as the run was planned; decisions follow the deployed config). */
  approvers: z.array(z.string()),
  minApprovals: z.number().check(z.int(), z.gte(1)),
  /**
   * What else an approval lets through, for the approver to weigh: a retry's accepted Lambda
   * configuration (its digest, who accepted it), a rollback's target version.
   */
  asks: z.optional(z.array(z.string())),
});
export type ApprovalRequested = z.infer<typeof ApprovalRequestedSchema>;

/** `Deployment Rolled Back`: a deployment failed, stopped or fired an alarm while baking. */
export const DeploymentRolledBackSchema = z.extend(RunSubjectSchema, {
  deploymentId: z.string(),
  /** The target as the config names it (`lambda widgets-prod:live`, …). */
  target: z.string(),
  reason: z.string(),
});
export type DeploymentRolledBack = z.infer<typeof DeploymentRolledBackSchema>;

/** The detail schema of each notification detail-type. */
export const NOTIFICATION_DETAIL_SCHEMAS = {
  'Run Succeeded': RunSucceededSchema,
  'Run Failed': RunFailedSchema,
  'Approval Requested': ApprovalRequestedSchema,
  'Deployment Rolled Back': DeploymentRolledBackSchema,
} as const satisfies Record<NotificationDetailType, z.ZodMiniType>;

/** One notification event, tagged by its detail-type. */
export type NotificationDetail =
  | { readonly detailType: 'Run Succeeded'; readonly detail: RunSucceeded }
  | { readonly detailType: 'Run Failed'; readonly detail: RunFailed }
  | { readonly detailType: 'Approval Requested'; readonly detail: ApprovalRequested }
  | { readonly detailType: 'Deployment Rolled Back'; readonly detail: DeploymentRolledBack };

/** The EventBridge envelope the notifier receives (only what it reads). */
export const NotificationEnvelopeSchema = z.object({
  id: z.string(),
  source: z.literal(PIPELINE_EVENT_SOURCE),
  'detail-type': z.enum(Object.values(NOTIFICATION_DETAIL_TYPES) as [NotificationDetailType]),
  detail: z.unknown(),
});

/**
 * A notification event as the notifier receives it, read into its tagged detail: the envelope,
 * then the detail with its detail-type's schema.
 */
export const NotificationInputSchema = z.pipe(
  NotificationEnvelopeSchema,
  z.transform((e, ctx): NotificationDetail => {
    const detailType = e['detail-type'];
    const detail = NOTIFICATION_DETAIL_SCHEMAS[detailType].safeParse(e.detail);
    if (!detail.success) {
      for (const issue of detail.error.issues)
        ctx.issues.push({ code: 'custom', message: issue.message, input: e, path: ['detail', ...issue.path] });
      return z.NEVER;
    }
    return { detailType, detail: detail.data } as NotificationDetail;
  }),
);

/** Reads a notification event's detail with its detail-type's schema. */
export function parseNotification(envelope: unknown): NotificationDetail {
  return parseAs(NotificationInputSchema, envelope, 'notification event');
}
