import * as z from 'zod/mini';
import { type LazyCompiled, lazyCompiled } from './compiled';

/** Who did something: a Git provider delivering, a Gantry component, or a person. */
export const AuditActorSchema = z.object({
  type: z.enum(['provider', 'system', 'user']),
  id: z.string().check(z.minLength(1)),
  /** The actor's identity at the Git provider, where it is known (`github:octocat`). */
  providerIdentity: z._default(z.nullable(z.string()), null),
});
export type AuditActor = z.infer<typeof AuditActorSchema>;

/** What it was done to. */
export const AuditSubjectSchema = z.object({
  repository: z._default(z.nullable(z.string()), null),
  commit: z._default(z.nullable(z.string()), null),
  runId: z._default(z.nullable(z.string()), null),
  environment: z._default(z.nullable(z.string()), null),
  pipeline: z._default(z.nullable(z.string()), null),
});
export type AuditSubject = z.infer<typeof AuditSubjectSchema>;

const text = z.string();
const nullableText = z.nullable(z.string());
const iso = z.nullable(z.string());

const FindingCountsSchema = z.object({
  error: z.number(),
  warning: z.number(),
  note: z.number(),
  critical: z.number(),
  high: z.number(),
});

/** One schema per audit event type: what `details` carries, so an auditor knows what to expect. */
export const AUDIT_DETAILS = {
  'webhook.accepted': z.object({
    deliveryId: text,
    eventName: text,
    events: z.array(z.object({ eventId: text, kind: text, ref: nullableText, headSha: nullableText })),
    /** The commits the delivery carried (first 50), as the provider described them. */
    commits: z._default(
      z.array(z.object({ id: text, message: text, author: nullableText, timestamp: nullableText })),
      [],
    ),
    /**
     * Written by receivers before 2026-12, which recorded acceptance after publishing: whether
     * the events went to the dead-letter queue. Later receivers record acceptance before
     * publishing, and a `webhook.dead_lettered` record after it when they did.
     */
    deadLettered: z.optional(z.boolean()),
  }),
  /** Events of an accepted delivery that missed the bus and wait in the dead-letter queue for redrive. */
  'webhook.dead_lettered': z.object({ deliveryId: text, reason: text, failedEventIds: z.array(text) }),
  'webhook.rejected': z.object({
    code: text,
    status: z.number().check(z.int()),
    bodyBytes: z.number().check(z.int()),
    /** What to fix, as the provider was answered (records before 2026-12-07 lack it). */
    reason: z.optional(text),
    /** The delivery and repository the refusal concerns, where the receiver got that far. */
    deliveryId: z.optional(text),
    repository: z.optional(text),
    /** What an operator would fix that the sender was not told (an unlisted repository). */
    why: z.optional(text),
    /** Refusals of the same provider and code this receiver only logged since its previous record of them. */
    alsoRefused: z.optional(z.number().check(z.int())),
  }),
  /** A verified delivery whose signed content an earlier delivery brought: nothing published. */
  'webhook.replayed': z.object({ deliveryId: text, replayOf: text }),
  'run.started': z.object({
    trigger: text,
    branch: nullableText,
    pullRequest: z.nullable(z.number().check(z.int())),
    deliveryId: text,
    queued: z.boolean(),
  }),
  'build.finished': z.object({
    buildId: text,
    status: text,
    startedAt: iso,
    endedAt: iso,
    artifacts: nullableText,
  }),
  'gate.evaluated': z.object({
    passed: z.boolean(),
    reasons: z.array(text),
    metrics: z.object({
      tests: z.object({ total: z.number(), failed: z.number(), skipped: z.number() }),
      lineCoverage: z.nullable(z.number()),
      findings: FindingCountsSchema,
    }),
    build: text,
    /** Every SARIF result at error level or with a security severity, first 50. */
    topFindings: z._default(z.array(text), []),
  }),
  'approval.requested': z.object({
    deadline: text,
    minApprovals: z.number().check(z.int()),
    approvers: z.array(text),
    separationOfDuties: z.boolean(),
  }),
  'approval.granted': z.object({ reason: text.check(z.minLength(1)), principal: text }),
  'approval.rejected': z.object({ reason: text.check(z.minLength(1)), principal: text }),
  'approval.expired': z.object({ reason: text }),
  /** Gantry hashed the build's artifacts and signed their SLSA provenance. */
  'build.provenance': z.object({
    buildId: text,
    builderId: text,
    trust: z.enum(['trusted', 'untrusted']),
    envelope: text,
    envelopeSha256: text,
    keyId: text,
    subjects: z.array(z.object({ name: text, sha256: text, versionId: text })),
  }),
  /** A step was handed an input the control plane did not write (a forged or replayed execution). */
  'security.forged_input': z.object({ step: text, executionArn: text, reason: text }),
  /**
   * A deployment to a Gantry target that no Gantry run started (CreateDeployment by hand, by
   * another tool, or with a description that names a run it is not): what it released never
   * passed Gantry's gates, approvals or provenance checks.
   */
  'security.unattributed_deployment': z.object({
    deploymentId: text,
    application: text,
    deploymentGroup: text,
    status: text,
    creator: nullableText,
    reason: text,
  }),
  /** Deploy refused before any traffic moved: what it checked and what differed. */
  'deploy.refused': z.object({ target: text, check: text, reason: text }),
  'deploy.started': z.object({
    deploymentId: text,
    target: text,
    strategy: text,
    /** The versions the deployment shifts between (a Lambda version, an ECS task definition); absent before 2026-12. */
    fromVersion: z.optional(nullableText),
    toVersion: z.optional(text),
    /**
     * The attested artifact behind `toVersion`: its name in the build's provenance, SHA-256, the
     * S3 version Deploy read, and the run whose build it is (the restored run's, for a rollback).
     */
    artifact: z.optional(z.nullable(z.object({ name: text, sha256: text, versionId: text, builtBy: text }))),
    /**
     * A Lambda version's configuration besides its package: handler, runtime, layers, its
     * environment's variable names and the SHA-256 of names and values; and what of it differs
     * from the live version it shifts from (null when nothing does). Absent before 2026-12-07.
     */
    configuration: z.optional(
      z.object({
        handler: z.string(),
        runtime: z.string(),
        layers: z.array(z.string()),
        environmentKeys: z.array(z.string()),
        environmentSha256: z.string(),
        /** Execution role, architectures, VPC, file systems, log group, KMS key (absent before 2026-12-07). */
        platform: z.optional(z.record(z.string(), z.string())),
        changedSince: z.nullable(z.object({ version: text, changes: z.array(text) })),
        /** A changed configuration released because the retry's requester accepted exactly its digest. */
        accepted: z.optional(z.object({ by: text, digest: text })),
      }),
    ),
  }),
  'deploy.shifted': z.object({ deploymentId: text, target: text, percent: z.number() }),
  'deploy.succeeded': z.object({ deploymentId: text, target: text }),
  'deploy.rolled_back': z.object({ deploymentId: text, target: text, reason: text }),
  /** A change the pipeline's triggers received but does not build (a fork's pull request, an excluded ref). */
  'run.skipped': z.object({ trigger: text, pullRequest: z.nullable(z.number().check(z.int())), reason: text }),
  'run.succeeded': z.object({ deployed: z.boolean() }),
  'run.failed': z.object({ stage: text, error: text, reason: text }),
  'operator.action': z.object({
    action: text,
    reason: nullableText,
    target: nullableText,
    /** On a run a rollback undoes: the rollback run (so the undone change's evidence names it). */
    undoneBy: z.optional(text),
  }),
  /** An operator API caller was refused (a decision, a cancel, a rollback): who, what, and why. */
  'operator.refused': z.object({ action: text, code: text, reason: text, principal: text }),
} as const satisfies Record<string, z.ZodMiniType>;

export type AuditType = keyof typeof AUDIT_DETAILS;
export const AUDIT_TYPES = Object.keys(AUDIT_DETAILS) as AuditType[];
/** Records that mean someone went around the control plane: each type has its own alarm. */
export type SecurityAuditType = Extract<AuditType, `security.${string}`>;
export function isSecurityAuditType(type: string): type is SecurityAuditType {
  return type.startsWith('security.') && Object.hasOwn(AUDIT_DETAILS, type);
}
export const SECURITY_AUDIT_TYPES = AUDIT_TYPES.filter(isSecurityAuditType);
export type AuditDetails<T extends AuditType> = z.input<(typeof AUDIT_DETAILS)[T]>;

/** Each type's details schema, on its generated checker where the process uses them (`lazyCompiled`). */
export const AUDIT_DETAIL_PARSERS = Object.fromEntries(
  AUDIT_TYPES.map((type) => [type, lazyCompiled(AUDIT_DETAILS[type])]),
) as { readonly [T in AuditType]: LazyCompiled<(typeof AUDIT_DETAILS)[T]> };

export const AuditOutcomeSchema = z.enum(['success', 'failure', 'rejected', 'pending', 'info']);

/** One audit fact as a step reports it; the ledger adds id, time, sequence and hashes. */
export const AuditRecordInputSchema = z.pipe(
  z.object({
    type: z.enum(AUDIT_TYPES as [AuditType, ...AuditType[]]),
    actor: AuditActorSchema,
    subject: AuditSubjectSchema,
    outcome: AuditOutcomeSchema,
    details: z.record(z.string(), z.unknown()),
    correlationId: z.string().check(z.minLength(1)),
    /**
     * What makes this fact one fact: a step that is retried (or a request sent again) and records
     * it with the same key adds nothing to the ledger. Not part of the hashed event.
     */
    once: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  }),
  z.transform((record, ctx) => {
    const details = AUDIT_DETAIL_PARSERS[record.type].safeParse(record.details);
    if (!details.success) {
      for (const issue of details.error.issues) {
        ctx.issues.push({
          code: 'custom',
          message: issue.message,
          input: record,
          path: ['details', ...issue.path],
        });
      }
      return z.NEVER;
    }
    return { ...record, details: details.data as Record<string, unknown> };
  }),
);
/** Every record the ledger appends is parsed first: on the generated checker. */
export const AuditRecordInputParser = lazyCompiled(AuditRecordInputSchema);

/** One audit fact of type `T`: its details are what that type's schema takes. */
export type AuditRecordOf<T extends AuditType> = Omit<z.input<typeof AuditRecordInputSchema>, 'type' | 'details'> & {
  type: T;
  details: AuditDetails<T>;
};
/** One audit fact as a step reports it, discriminated by `type` so its details are typed. */
export type AuditRecordInput = { [T in AuditType]: AuditRecordOf<T> }[AuditType];
export type AuditRecord = z.output<typeof AuditRecordInputSchema>;

/** Retention classes: change evidence is kept for years, a rejected delivery far shorter. */
export const AUDIT_RECORD_CLASSES = ['change', 'delivery'] as const;
export type AuditRecordClass = (typeof AUDIT_RECORD_CLASSES)[number];
export function recordClassOf(type: string): AuditRecordClass {
  return type.startsWith('webhook.') ? 'delivery' : 'change';
}

export const GENESIS_HASH = '0'.repeat(64);

/**
 * One stored ledger event: the step's record plus where it sits in its repository's hash chain.
 * `hash` = SHA-256 over the RFC 8785 canonical JSON of every other field (prevHash included).
 */
export const AuditEventSchema = z.object({
  id: z.string().check(z.minLength(1)),
  /** UTC to the millisecond (`toISOString`): one length and zone, so text order is time order, which day reads rely on. */
  time: z.iso.datetime({ precision: 3 }),
  type: z.string().check(z.minLength(1)),
  actor: AuditActorSchema,
  subject: AuditSubjectSchema,
  outcome: AuditOutcomeSchema,
  details: z.record(z.string(), z.unknown()),
  correlationId: z.string().check(z.minLength(1)),
  /** The chain: the repository, or `-` for facts that belong to none (a rejected delivery). */
  chain: z.string().check(z.minLength(1)),
  seq: z.number().check(z.int(), z.positive()),
  prevHash: z.string().check(z.length(64)),
  /** When retention lets the record go (epoch seconds, the table's TTL attribute). */
  expiresAt: z.number().check(z.int()),
  /** The predecessor's expiresAt, so a retention gap can be told from a deletion. */
  prevExpiresAt: z.nullable(z.number().check(z.int())),
  hash: z.string().check(z.length(64)),
});
export type AuditEvent = z.infer<typeof AuditEventSchema>;

/** What a stored event of type `T` carries in `details`, as its schema reads it. */
export type StoredAuditDetails<T extends AuditType> = z.output<(typeof AUDIT_DETAILS)[T]>;

/**
 * A stored event's details, typed by its type's schema: undefined when the event is missing, of
 * another type, or its details do not fit the schema (a reader then reports a gap, never a guess).
 */
export function detailsOf<T extends AuditType>(
  event: Pick<AuditEvent, 'type' | 'details'> | undefined,
  type: T,
): StoredAuditDetails<T> | undefined {
  if (event?.type !== type) return undefined;
  const parsed = STORED_DETAILS[type].safeParse(event.details);
  return parsed.success ? parsed.data : undefined;
}

/** AUDIT_DETAILS seen per type, so that indexing it with a type parameter keeps the type. */
const STORED_DETAILS: { readonly [K in AuditType]: z.ZodMiniType<StoredAuditDetails<K>> } = AUDIT_DETAILS;
