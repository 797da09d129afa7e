import * as z from 'zod/mini';
import {
  NOTIFICATION_DETAIL_TYPES,
  type NotificationDetail,
  type NotificationEvent,
  NotificationEventSchema,
} from '../../events';

/** One notification target as the notifier's environment carries it (resolved from the config by CDK). */
export const NotifyTargetSchema = z.object({
  name: z.string().check(z.minLength(1)),
  type: z.enum(['slack', 'teams', 'sns']),
  /** Slack and Teams: the secret holding `{"webhookUrl": …}`; never the URL itself. */
  secretId: z.optional(z.string()),
  /** SNS: the topic messages are published to. */
  topicArn: z.optional(z.string()),
  events: z.array(NotificationEventSchema).check(z.minLength(1)),
  /** Absent: every pipeline. */
  pipelines: z.optional(z.array(z.string())),
  /** Absent: any environment (runs that deploy nowhere included). */
  environments: z.optional(z.array(z.string())),
  /** The least time between two messages to this target. */
  intervalMs: z.number().check(z.int(), z.gte(0)),
  /** Slack only: approval requests carry Approve and Reject buttons (a Slack app is configured). */
  interactive: z._default(z.boolean(), false),
});
export type NotifyTarget = z.infer<typeof NotifyTargetSchema>;

/** The filter name of a detail-type (`Run Failed` → `run-failed`). */
export function eventNameOf(detailType: NotificationDetail['detailType']): NotificationEvent {
  const entry = Object.entries(NOTIFICATION_DETAIL_TYPES).find(([, type]) => type === detailType);
  return (entry?.[0] ?? 'run-failed') as NotificationEvent;
}

/** Whether `target`'s filter takes the event: its kind, its pipeline and its environment. */
export function wants(target: NotifyTarget, event: NotificationDetail): boolean {
  const { pipeline, environment } = event.detail;
  return (
    target.events.includes(eventNameOf(event.detailType)) &&
    (target.pipelines === undefined || target.pipelines.includes(pipeline)) &&
    (target.environments === undefined || (environment !== null && target.environments.includes(environment)))
  );
}

/**
 * The key that makes a delivery happen once: the event's detail-type, its run (and deployment),
 * and the target. The bus event id is not in it: a retried step publishes a new event with a new
 * id about the same fact, and that must send nothing either.
 */
export function deliveryKeyOf(event: NotificationDetail, target: string): string {
  const deployment = event.detailType === 'Deployment Rolled Back' ? `/${event.detail.deploymentId}` : '';
  return `${event.detailType}/${event.detail.runId}${deployment}/${target}`;
}
