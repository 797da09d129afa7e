import { createHash } from 'node:crypto';
import * as z from 'zod/mini';
import { lazyCompiled } from './compiled';
import { parseAs } from './invalid-data';

/** Git providers whose webhooks Gantry accepts; the `{provider}` path segment of the webhook URL. */
export const PROVIDERS = [
  'github',
  'gitlab',
  'bitbucket-cloud',
  'bitbucket-dc',
  'gitea',
  'forgejo',
  'azure-devops',
] as const;
export const ProviderSchema = z.enum(PROVIDERS);
export type Provider = z.infer<typeof ProviderSchema>;

export const SOURCE_KINDS = ['push', 'tag', 'pull_request', 'branch_delete', 'ping', 'other'] as const;
export const SourceKindSchema = z.enum(SOURCE_KINDS);
export type SourceKind = z.infer<typeof SourceKindSchema>;

export const PR_ACTIONS = ['opened', 'updated', 'merged', 'closed', 'other'] as const;
export const PullRequestActionSchema = z.enum(PR_ACTIONS);
export type PullRequestAction = z.infer<typeof PullRequestActionSchema>;

const nullableString = z.nullable(z.string());

/** A person as git records them; `username` is their account at the provider, when the delivery says. */
export const GitPersonSchema = z.object({
  name: nullableString,
  email: nullableString,
  username: z.optional(z.string()),
});
export type GitPerson = z.infer<typeof GitPersonSchema>;

/** A whole commit id as git writes it: SHA-1 (40 lowercase hex digits) or SHA-256 (64). */
export const COMMIT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export const CommitSchema = z.object({
  id: z.string(),
  message: z.string(),
  author: GitPersonSchema,
  /** Absent when the delivery does not name the committer (GitLab, Bitbucket); separation of duties then asks the provider's API. */
  committer: z.optional(GitPersonSchema),
  timestamp: nullableString,
});
export type Commit = z.infer<typeof CommitSchema>;

export const RepositorySchema = z.object({
  /** owner/name; GitLab keeps every subgroup, Bitbucket DC is PROJECTKEY/slug, Azure DevOps project/repository. */
  fullName: nullableString,
  cloneUrl: nullableString,
  htmlUrl: nullableString,
});
export type Repository = z.infer<typeof RepositorySchema>;

export const PullRequestSchema = z.object({
  number: z.number().check(z.int()),
  action: PullRequestActionSchema,
  /** The provider's own word for what happened (`synchronize`, `pr:from_ref_updated`, …). */
  rawAction: z.string(),
  title: z.string(),
  sourceBranch: nullableString,
  targetBranch: nullableString,
  sourceRepository: nullableString,
  headSha: nullableString,
  merged: z.boolean(),
  fromFork: z.boolean(),
  author: nullableString,
});
export type PullRequest = z.infer<typeof PullRequestSchema>;

/** What a provider adapter reads from one ref change; the envelope fields are added by the receiver. */
export const SourceChangeSchema = z.object({
  kind: SourceKindSchema,
  subkind: nullableString,
  repository: RepositorySchema,
  ref: nullableString,
  branch: nullableString,
  tag: nullableString,
  before: nullableString,
  after: nullableString,
  /** The commit the ref now points to (GitLab annotated tags: `checkout_sha`); null for deletions. */
  headSha: nullableString,
  created: z.boolean(),
  deleted: z.boolean(),
  /** null when the provider does not say. */
  forced: z.nullable(z.boolean()),
  commits: z.array(CommitSchema),
  /** null when the provider does not say how many commits the push carried. */
  totalCommits: z.nullable(z.number().check(z.int(), z.nonnegative())),
  pusher: nullableString,
  sender: nullableString,
  /**
   * The sender's account id at the provider (absent when the payload gives none): unlike its
   * username, which its owner can change, it names one account for good.
   */
  senderId: z.optional(z.string()),
  pullRequest: z.nullable(PullRequestSchema),
});
export type SourceChange = z.infer<typeof SourceChangeSchema>;

/**
 * SourceEvent v1: one ref change (or pull request, or ping) from any provider, in one shape.
 * It is the `detail` of every event the webhook receiver puts on the bus.
 */
export const SourceEventSchema = z.object({
  schemaVersion: z.literal('1'),
  /** Stable per change: `<provider>:<deliveryId>:<index>`; pipelines derive execution names from it. */
  eventId: z.string().check(z.minLength(1)),
  provider: ProviderSchema,
  deliveryId: z.string().check(z.minLength(1)),
  /** The provider's event name as sent (`push`, `Merge Request Hook`, `repo:refs_changed`, …). */
  providerEvent: z.string(),
  receivedAt: z.iso.datetime(),
  ...SourceChangeSchema.shape,
});
export type SourceEvent = z.infer<typeof SourceEventSchema>;

/** EventBridge `source` of every event the webhook receiver publishes. */
export const SOURCE_EVENT_SOURCE = 'gantry.webhooks';

/** EventBridge detail-type per kind: rules match on these. */
export const DETAIL_TYPES = {
  push: 'Source Push',
  tag: 'Source Tag',
  pull_request: 'Pull Request',
  branch_delete: 'Branch Deleted',
  ping: 'Ping',
  other: 'Source Other',
} as const satisfies Record<SourceKind, string>;
export type SourceDetailType = (typeof DETAIL_TYPES)[SourceKind];

export function detailTypeOf(kind: SourceKind): SourceDetailType {
  return DETAIL_TYPES[kind];
}

/** Every delivery's events are parsed again to be digested: on the generated checker. */
export const SourceEventParser = lazyCompiled(SourceEventSchema);

/**
 * SHA-256 over a source event's JSON as its schema reads it (all but `receivedAt`, the receiver's
 * clock). Zod's output lists each object's keys in the schema's order and drops unknown ones, so
 * the JSON of the parsed event is canonical for this schema, whatever order EventBridge and Step
 * Functions hand the keys on in (RFC 8785 canonicalization costs ~30 µs more per event). The
 * receiver stores it with the delivery it verified; ResolvePlan refuses any source event whose
 * digest the receiver did not store (an execution started by hand with a made-up change).
 */
export function sourceEventDigest(event: SourceEvent): string {
  // Not the receiver's clock: a retried delivery is normalized again and must digest the same.
  const { receivedAt: _clock, ...change } = parseAs(SourceEventParser, event, 'source event');
  return createHash('sha256').update(JSON.stringify(change)).digest('hex');
}
