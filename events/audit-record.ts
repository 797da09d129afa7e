import { z } from 'zod';

/** Who did something: a Git provider delivering, a Gantry component, or a person. */
export const AuditActorSchema = z.object({
  type: z.enum(['provider', 'system', 'user']),
  id: z.string().min(1),
  /** The actor's identity at the Git provider, where it is known (`github:octocat`). */
  providerIdentity: z.string().nullable().default(null),
});
export type AuditActor = z.infer<typeof AuditActorSchema>;

/** What it was done to. */
export const AuditSubjectSchema = z.object({
  repository: z.string().nullable().default(null),
  commit: z.string().nullable().default(null),
  runId: z.string().nullable().default(null),
  environment: z.string().nullable().default(null),
  pipeline: z.string().nullable().default(null),
});
export type AuditSubject = z.infer<typeof AuditSubjectSchema>;

/** One audit fact as a step reports it; the ledger adds id, time, sequence and hashes. */
export const AuditRecordInputSchema = z.object({
  type: z.string().regex(/^[a-z]+(\.[a-z_]+)+$/, 'type must look like "webhook.accepted"'),
  actor: AuditActorSchema,
  subject: AuditSubjectSchema,
  outcome: z.enum(['success', 'failure', 'rejected', 'pending', 'info']),
  details: z.record(z.string(), z.unknown()),
  correlationId: z.string().min(1),
});
export type AuditRecordInput = z.input<typeof AuditRecordInputSchema>;
