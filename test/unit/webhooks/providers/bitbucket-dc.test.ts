import { PayloadError } from '../../../../shared/webhooks/errors';
import { ZERO_SHA } from '../../../../shared/webhooks/payload';
import { bitbucketDc } from '../../../../shared/webhooks/providers/bitbucket-dc';
import { hmacSha256 } from '../../../../shared/webhooks/signatures';
import { fixture, fixtureBody, fixtureWith, normalized, onlyChange, requestOf } from './support';

const DIR = 'bitbucket-dc';
const C1 = '3f1a9c2e5b7d4f60a8e1c9b2d3f4a5b6c7d8e9f0';
const C2 = '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';

describe('bitbucketDc.normalize: repo:refs_changed', () => {
  it('reads a branch update with the project key and slug as the repository name', () => {
    expect(onlyChange(bitbucketDc, 'repo:refs_changed', fixture(DIR, 'refs-changed-update.json'))).toMatchObject({
      kind: 'push',
      repository: {
        fullName: 'PLAT/gantry-demo',
        cloneUrl: 'https://bitbucket.example.com/scm/plat/gantry-demo.git',
        htmlUrl: 'https://bitbucket.example.com/projects/PLAT/repos/gantry-demo/browse',
      },
      ref: 'refs/heads/main',
      branch: 'main',
      after: C2,
      headSha: C2,
      created: false,
      deleted: false,
      forced: null,
      totalCommits: null,
      pusher: 'ada',
    });
  });

  it('attributes the listed commits to the only change of a push', () => {
    const change = onlyChange(bitbucketDc, 'repo:refs_changed', fixture(DIR, 'refs-changed-update.json'));
    expect(change.commits).toEqual([
      {
        id: C2,
        message: 'Fix typo in README',
        // Not a Bitbucket user (no slug): git's name and e-mail, and no account.
        author: { name: 'Grace Hopper', email: 'grace@example.com' },
        committer: { name: 'Grace Hopper', email: 'grace@example.com' },
        timestamp: '2025-03-04T09:20:00.000Z',
      },
      {
        id: C1,
        message: 'Add the build badge',
        author: { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada' },
        committer: { name: 'Ada Lovelace', email: 'ada@example.com', username: 'ada' },
        timestamp: '2025-03-04T09:15:00.000Z',
      },
    ]);
  });

  it('turns each entry of changes[] into its own change, without guessing whose commits are listed', () => {
    const changes = normalized(
      bitbucketDc,
      'repo:refs_changed',
      fixture(DIR, 'refs-changed-branch-added-and-tag-deleted.json'),
    );
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ kind: 'push', branch: 'release/1.x', before: ZERO_SHA, created: true });
    expect(changes[1]).toMatchObject({ kind: 'other', subkind: 'tag_delete', tag: 'v1.4.0', headSha: null });
    expect(changes.map((c) => c.commits)).toEqual([[], []]);
  });

  it('leaves the clone and web URLs null when an older server sends no links', () => {
    const [change] = normalized(
      bitbucketDc,
      'repo:refs_changed',
      fixture(DIR, 'refs-changed-branch-added-and-tag-deleted.json'),
    );
    expect(change?.repository).toEqual({ fullName: 'PLAT/gantry-demo', cloneUrl: null, htmlUrl: null });
  });

  it('keeps the key of a personal repository as sent and reads a deleted branch with a slash', () => {
    expect(
      onlyChange(bitbucketDc, 'repo:refs_changed', fixture(DIR, 'refs-changed-personal-branch-deleted.json')),
    ).toMatchObject({
      kind: 'branch_delete',
      repository: {
        fullName: '~grace/gantry-demo',
        cloneUrl: 'https://bitbucket.example.com/scm/~grace/gantry-demo.git',
      },
      branch: 'feature/wip',
      before: C1,
      after: ZERO_SHA,
      headSha: null,
      deleted: true,
    });
  });

  it('takes the ref from ref.id when refId is absent', () => {
    const payload = fixture(DIR, 'refs-changed-update.json');
    const [first] = payload.changes as Record<string, unknown>[];
    if (first !== undefined) delete first.refId;
    expect(onlyChange(bitbucketDc, 'repo:refs_changed', payload).ref).toBe('refs/heads/main');
  });

  it('throws PayloadError for a change without a ref', () => {
    const payload = fixture(DIR, 'refs-changed-update.json');
    payload.changes = [{ fromHash: C1, toHash: C2, type: 'UPDATE' }];
    expect(() => bitbucketDc.normalize('repo:refs_changed', payload)).toThrow(PayloadError);
  });

  it('throws PayloadError for a commit time outside the range a date can hold, instead of crashing on it', () => {
    // Found by the receiver's property test in CI: toISOString() threw a RangeError, answered as a 500.
    for (const authorTimestamp of [-8640000000000001, 8.64e15 + 1, 1.5]) {
      const payload = fixture(DIR, 'refs-changed-update.json');
      const [commit] = payload.commits as { authorTimestamp: unknown }[];
      if (commit === undefined) throw new Error('the fixture lists no commit');
      commit.authorTimestamp = authorTimestamp;
      expect(() => bitbucketDc.normalize('repo:refs_changed', payload)).toThrow(PayloadError);
    }
  });

  it('throws PayloadError for a push without a repository', () => {
    const payload = fixtureWith(DIR, 'refs-changed-update.json', ['repository'], undefined);
    expect(() => bitbucketDc.normalize('repo:refs_changed', payload)).toThrow(PayloadError);
  });
});

describe('bitbucketDc.normalize: pull requests', () => {
  it.each([
    ['pr:opened', 'pr-opened.json', 'opened', false],
    ['pr:from_ref_updated', 'pr-from-ref-updated.json', 'updated', false],
    ['pr:modified', 'pr-modified.json', 'other', false],
    ['pr:merged', 'pr-merged.json', 'merged', true],
    ['pr:declined', 'pr-declined.json', 'closed', false],
    ['pr:deleted', 'pr-deleted.json', 'closed', false],
  ])('maps %s to %s', (event, name, action, merged) => {
    expect(onlyChange(bitbucketDc, event, fixture(DIR, name)).pullRequest).toMatchObject({
      rawAction: event,
      action,
      merged,
    });
  });

  it('reads the target repository, the source branch and its latest commit', () => {
    expect(onlyChange(bitbucketDc, 'pr:opened', fixture(DIR, 'pr-opened.json'))).toMatchObject({
      kind: 'pull_request',
      repository: { fullName: 'PLAT/gantry-demo', cloneUrl: 'https://bitbucket.example.com/scm/plat/gantry-demo.git' },
      ref: 'refs/heads/feature/login',
      headSha: C1,
      sender: 'ada',
      pullRequest: {
        number: 23,
        title: 'Add a login page',
        sourceBranch: 'feature/login',
        targetBranch: 'main',
        sourceRepository: 'PLAT/gantry-demo',
        author: 'grace',
        fromFork: false,
      },
    });
  });

  it('detects a pull request from a personal fork, keeping the target as the repository', () => {
    const change = onlyChange(bitbucketDc, 'pr:opened', fixture(DIR, 'pr-opened-from-fork.json'));
    expect(change.repository.fullName).toBe('PLAT/gantry-demo');
    expect(change.pullRequest).toMatchObject({ sourceRepository: '~grace/gantry-demo', fromFork: true });
  });

  it('derives the branch names from the ref ids when displayId is absent', () => {
    const payload = fixtureWith(DIR, 'pr-opened.json', ['pullRequest', 'fromRef', 'displayId'], undefined);
    expect(onlyChange(bitbucketDc, 'pr:opened', payload).pullRequest?.sourceBranch).toBe('feature/login');
  });

  it.each(['pr:reviewer:approved', 'pr:comment:added', 'repo:modified', 'repo:forked'])('ignores %s', (event) => {
    expect(normalized(bitbucketDc, event, fixture(DIR, 'pr-opened.json'))).toEqual([]);
  });

  it('throws PayloadError for a pull request without a fromRef', () => {
    const payload = fixtureWith(DIR, 'pr-opened.json', ['pullRequest', 'fromRef'], undefined);
    expect(() => bitbucketDc.normalize('pr:opened', payload)).toThrow(PayloadError);
  });
});

describe('bitbucketDc: ping and delivery headers', () => {
  it('reads diagnostics:ping as a ping without a repository', () => {
    expect(onlyChange(bitbucketDc, 'diagnostics:ping', fixture(DIR, 'diagnostics-ping.json'))).toMatchObject({
      kind: 'ping',
      repository: { fullName: null, cloneUrl: null, htmlUrl: null },
    });
  });

  it.each([
    ['a push', 'refs-changed-update.json', 'PLAT/gantry-demo'],
    ['a pull request', 'pr-opened-from-fork.json', 'PLAT/gantry-demo'],
    ['a ping', 'diagnostics-ping.json', undefined],
  ])('names the repository of %s for connection lookup', (_label, name, expected) => {
    expect(bitbucketDc.repositoryOf(fixture(DIR, name))).toBe(expected);
  });

  it('reads the delivery id from X-Request-Id and the event from X-Event-Key', () => {
    const request = requestOf(bitbucketDc, { 'X-Request-Id': 'req-1', 'X-Event-Key': 'pr:opened' });
    expect(bitbucketDc.deliveryId(request, {})).toBe('req-1');
    expect(bitbucketDc.eventName(request, {})).toBe('pr:opened');
  });

  it.each([
    ['a sha256= signature', 'sha256=', 'valid'],
    ['a bare hex signature', '', 'invalid'],
    ['an upper-case prefix', 'SHA256=', 'invalid'],
  ])('verifies %s', (_label, prefix, expected) => {
    const body = fixtureBody(DIR, 'pr-opened.json');
    const value = `${prefix}${hmacSha256('s3cret', body).toString('hex')}`;
    expect(bitbucketDc.verify(requestOf(bitbucketDc, { 'X-Hub-Signature': value }, body), ['s3cret'])).toBe(expected);
  });
});
