import * as z from 'zod/mini';
import type { Commit, GitPerson, PullRequestAction, SourceChange } from '../../../events';
import { shaOrNull, splitRef } from '../payload';
import { header, type WebhookRequest } from '../request';
import { matchesHmacSha256 } from '../signatures';
import type { Verification } from './types';

/** A string field that providers sometimes send as null or leave out. */
export const optionalString = z.nullish(z.string());

/** Reads `obj.a.b.c` from untrusted JSON without throwing; undefined unless it is a non-empty string. */
export function stringAt(obj: unknown, ...path: readonly string[]): string | undefined {
  let node: unknown = obj;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'string' && node !== '' ? node : undefined;
}

type LoosePerson =
  | { name?: string | null | undefined; email?: string | null | undefined; username?: string | null | undefined }
  | null
  | undefined;

/** A git person as a delivery gives it; the username only when the provider sends one. */
export function personOf(p: LoosePerson): GitPerson {
  const person: GitPerson = { name: p?.name ?? null, email: p?.email ?? null };
  return p?.username ? { ...person, username: p.username } : person;
}

/** Canonical commit from the fields most providers share; the committer only when the delivery names one. */
export function commitOf(c: {
  id: string;
  message?: string | null | undefined;
  timestamp?: string | null | undefined;
  author?: LoosePerson;
  committer?: LoosePerson;
}): Commit {
  const commit: Commit = {
    id: c.id,
    message: c.message ?? '',
    author: personOf(c.author),
    timestamp: c.timestamp ?? null,
  };
  return c.committer ? { ...commit, committer: personOf(c.committer) } : commit;
}

export interface RefChangeFacts {
  readonly repository: SourceChange['repository'];
  readonly ref: string;
  readonly before: string | null;
  readonly after: string | null;
  /** The commit the ref points to when that is not `after` (GitLab annotated tags). */
  readonly headSha?: string | null;
  readonly created?: boolean;
  readonly deleted?: boolean;
  readonly forced: boolean | null;
  readonly commits: readonly Commit[];
  readonly totalCommits: number | null;
  readonly pusher: string | null;
  readonly sender: string | null;
  /** The sender's account id, when the payload gives one (see SourceChange.senderId). */
  readonly senderId?: string | number | null;
}

/**
 * One ref update (push, tag, deletion) in canonical form. Creation and deletion default to
 * what the SHAs say; the kind follows from the ref and whether it was deleted.
 */
export function refChange(facts: RefChangeFacts): SourceChange {
  const { ref, branch, tag } = splitRef(facts.ref);
  const deleted = facts.deleted ?? shaOrNull(facts.after) === null;
  const created = facts.created ?? (!deleted && shaOrNull(facts.before) === null);
  const kind: SourceChange['kind'] = deleted
    ? tag !== null
      ? 'other'
      : 'branch_delete'
    : tag !== null
      ? 'tag'
      : 'push';
  return {
    kind,
    subkind: deleted && tag !== null ? 'tag_delete' : null,
    repository: facts.repository,
    ref,
    branch,
    tag,
    before: facts.before,
    after: facts.after,
    headSha: deleted ? null : shaOrNull(facts.headSha ?? facts.after),
    created,
    deleted,
    forced: facts.forced,
    commits: [...facts.commits],
    totalCommits: facts.totalCommits,
    pusher: facts.pusher,
    sender: facts.sender,
    ...idOf(facts.senderId),
    pullRequest: null,
  };
}

export interface PullRequestFacts {
  readonly repository: SourceChange['repository'];
  readonly number: number;
  readonly action: PullRequestAction;
  readonly rawAction: string;
  readonly title: string;
  readonly sourceBranch: string | null;
  readonly targetBranch: string | null;
  readonly sourceRepository: string | null;
  readonly headSha: string | null;
  readonly merged: boolean;
  readonly author: string | null;
  readonly sender: string | null;
  readonly senderId?: string | number | null;
}

/**
 * A pull request event in canonical form. `ref`/`branch` name the source branch (what a
 * validation build checks out); `fromFork` compares source and target repositories.
 */
export function pullRequestChange(facts: PullRequestFacts): SourceChange {
  const target = facts.repository.fullName;
  return {
    kind: 'pull_request',
    subkind: null,
    repository: facts.repository,
    ref: facts.sourceBranch === null ? null : `refs/heads/${facts.sourceBranch}`,
    branch: facts.sourceBranch,
    tag: null,
    before: null,
    after: facts.headSha,
    headSha: facts.headSha,
    created: false,
    deleted: false,
    forced: null,
    commits: [],
    totalCommits: null,
    pusher: null,
    sender: facts.sender,
    ...idOf(facts.senderId),
    pullRequest: {
      number: facts.number,
      action: facts.action,
      rawAction: facts.rawAction,
      title: facts.title,
      sourceBranch: facts.sourceBranch,
      targetBranch: facts.targetBranch,
      sourceRepository: facts.sourceRepository,
      headSha: facts.headSha,
      merged: facts.merged,
      fromFork:
        facts.sourceRepository !== null && target !== null
          ? facts.sourceRepository.toLowerCase() !== target.toLowerCase()
          : facts.sourceRepository === null,
      author: facts.author,
    },
  };
}

/** A change that is not a ref update Gantry builds (pings, create/delete notifications). */
export function informationalChange(
  kind: 'ping' | 'other',
  subkind: string | null,
  repository: SourceChange['repository'],
  fields: Partial<Pick<SourceChange, 'ref' | 'branch' | 'tag' | 'headSha' | 'created' | 'deleted' | 'sender'>> = {},
): SourceChange {
  return {
    kind,
    subkind,
    repository,
    ref: fields.ref ?? null,
    branch: fields.branch ?? null,
    tag: fields.tag ?? null,
    before: null,
    after: null,
    headSha: fields.headSha ?? null,
    created: fields.created ?? false,
    deleted: fields.deleted ?? false,
    forced: null,
    commits: [],
    totalCommits: null,
    pusher: null,
    sender: fields.sender ?? null,
    pullRequest: null,
  };
}

/** GitHub-style PR actions (GitHub, Gitea, Forgejo): `closed` + merged means merged. */
export function githubStylePrAction(raw: string, merged: boolean): PullRequestAction {
  if (raw === 'opened' || raw === 'reopened') return 'opened';
  if (raw === 'synchronize' || raw === 'synchronized') return 'updated';
  if (raw === 'closed') return merged ? 'merged' : 'closed';
  return 'other';
}

/**
 * Checks an HMAC-SHA256 hex digest sent in the first present header of `names`, after `prefix`
 * (`sha256=` for Bitbucket's `X-Hub-Signature`, empty for Gitea's bare hex). Never throws.
 */
export function verifyHmacHeader(
  request: WebhookRequest,
  names: readonly string[],
  prefix: string,
  secrets: readonly string[],
): Verification {
  const value = header(request.headers, ...names);
  if (value === undefined) return 'missing';
  const hex = value.startsWith(prefix) ? value.slice(prefix.length) : undefined;
  return matchesHmacSha256(request.body, hex, secrets) ? 'valid' : 'invalid';
}

/**
 * Bitbucket Data Center and Azure DevOps list a push's commits once for all its ref changes
 * without saying which ref each belongs to: they are attributed only when the push changed one ref.
 */
export function commitsOfSoleChange(changeCount: number, commits: readonly Commit[]): Commit[] {
  return changeCount === 1 ? [...commits] : [];
}

/** `refs/heads/<name>` or `refs/tags/<name>`, for payloads that send bare branch and tag names. */
export function qualifiedRef(name: string, isTag: boolean): string {
  return `${isTag ? 'refs/tags/' : 'refs/heads/'}${name}`;
}

/** `senderId`, as a string, only when the payload gave one. */
function idOf(id: string | number | null | undefined): { senderId?: string } {
  return id === null || id === undefined || id === '' ? {} : { senderId: String(id) };
}
