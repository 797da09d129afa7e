import { PayloadError } from '../../../../shared/webhooks/errors';
import { parseBody } from '../../../../shared/webhooks/payload';
import { gitea } from '../../../../shared/webhooks/providers/gitea';
import { hmacSha256 } from '../../../../shared/webhooks/signatures';
import { fixture, fixtureBody, fixtureWith, normalized, onlyChange, requestOf, signedRequest } from './support';

const DIR = 'gitea';
const C1 = '3f1a9c2e5b7d4f60a8e1c9b2d3f4a5b6c7d8e9f0';
const C2 = '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';

describe('gitea.normalize: pushes', () => {
  it('reads a branch push with head_commit as the head and total_commits as the count', () => {
    expect(onlyChange(gitea, 'push', fixture(DIR, 'push.json'))).toMatchObject({
      kind: 'push',
      repository: {
        fullName: 'gantry-org/gantry-demo',
        cloneUrl: 'https://git.example.com/gantry-org/gantry-demo.git',
        htmlUrl: 'https://git.example.com/gantry-org/gantry-demo',
      },
      ref: 'refs/heads/main',
      branch: 'main',
      headSha: C2,
      created: false,
      forced: null,
      totalCommits: 4,
      pusher: 'ada',
      sender: 'ada',
    });
  });

  it('falls back to after for the head and to username for the pusher on older servers', () => {
    expect(onlyChange(gitea, 'push', fixture(DIR, 'push-without-head-commit.json'))).toMatchObject({
      headSha: C1,
      totalCommits: null,
      pusher: 'ada',
    });
  });

  it('reads a tag push', () => {
    expect(onlyChange(gitea, 'push', fixture(DIR, 'push-tag.json'))).toMatchObject({
      kind: 'tag',
      tag: 'v1.4.0',
      created: true,
      headSha: C2,
    });
  });

  it('reads the commits listed in the push', () => {
    const change = onlyChange(gitea, 'push', fixture(DIR, 'push.json'));
    expect(change.commits.map((c) => [c.id, c.author.name, c.timestamp])).toEqual([
      [C1, 'Ada Lovelace', '2025-03-04T10:15:00+01:00'],
      [C2, 'Grace Hopper', '2025-03-04T10:20:00+01:00'],
    ]);
  });

  it('reads a push sent as a form body (payload=)', () => {
    const json = fixtureBody(DIR, 'push.json').toString('utf8');
    const form = Buffer.from(new URLSearchParams({ payload: json }).toString());
    expect(onlyChange(gitea, 'push', parseBody(form, 'form')).headSha).toBe(C2);
  });

  it('throws PayloadError for a push without a repository', () => {
    const payload = fixtureWith(DIR, 'push.json', ['repository'], undefined);
    expect(() => gitea.normalize('push', payload)).toThrow(PayloadError);
  });
});

describe('gitea.normalize: create and delete', () => {
  it.each([
    ['create-tag.json', 'create_tag', { ref: 'refs/tags/v1.4.0', tag: 'v1.4.0', branch: null, headSha: C2 }],
    ['create-branch.json', 'create_branch', { ref: 'refs/heads/feature/login', branch: 'feature/login', headSha: C1 }],
  ])('keeps %s informational, with the created sha as its head', (name, subkind, expected) => {
    expect(onlyChange(gitea, 'create', fixture(DIR, name))).toMatchObject({
      kind: 'other',
      subkind,
      created: true,
      deleted: false,
      ...expected,
    });
  });

  it('reads a deleted branch as branch_delete, because Gitea sends no push for it', () => {
    expect(onlyChange(gitea, 'delete', fixture(DIR, 'delete-branch.json'))).toMatchObject({
      kind: 'branch_delete',
      subkind: null,
      ref: 'refs/heads/feature/login',
      branch: 'feature/login',
      headSha: null,
      created: false,
      deleted: true,
      pusher: 'ada',
    });
  });

  it('reads a deleted tag as other/tag_delete', () => {
    expect(onlyChange(gitea, 'delete', fixture(DIR, 'delete-tag.json'))).toMatchObject({
      kind: 'other',
      subkind: 'tag_delete',
      tag: 'v1.4.0',
      headSha: null,
      deleted: true,
    });
  });

  it('throws PayloadError for a ref_type it does not know', () => {
    const payload = fixtureWith(DIR, 'delete-branch.json', ['ref_type'], 'bookmark');
    expect(() => gitea.normalize('delete', payload)).toThrow(PayloadError);
  });
});

describe('gitea.normalize: pull requests', () => {
  it.each([
    ['pull_request', 'pull-request-opened.json', 'opened', 'opened', false],
    ['pull_request_sync', 'pull-request-synchronized.json', 'synchronized', 'updated', false],
    ['pull_request', 'pull-request-closed.json', 'closed', 'closed', false],
    ['pull_request', 'pull-request-closed-merged.json', 'closed', 'merged', true],
    ['pull_request_label', 'pull-request-label-updated.json', 'label_updated', 'other', false],
  ])('maps %s in %s (%s) to %s', (event, name, rawAction, action, merged) => {
    expect(onlyChange(gitea, event, fixture(DIR, name)).pullRequest).toMatchObject({ rawAction, action, merged });
  });

  it('reads the number, branches and head commit', () => {
    expect(onlyChange(gitea, 'pull_request', fixture(DIR, 'pull-request-opened.json'))).toMatchObject({
      kind: 'pull_request',
      ref: 'refs/heads/feature/login',
      headSha: C1,
      sender: 'grace',
      pullRequest: {
        number: 23,
        title: 'Add a login page',
        sourceBranch: 'feature/login',
        targetBranch: 'main',
        sourceRepository: 'gantry-org/gantry-demo',
        author: 'grace',
        fromFork: false,
      },
    });
  });

  it('detects a pull request from a fork by its head repository', () => {
    const change = onlyChange(gitea, 'pull_request', fixture(DIR, 'pull-request-opened-from-fork.json'));
    expect(change.repository.fullName).toBe('gantry-org/gantry-demo');
    expect(change.pullRequest).toMatchObject({ sourceRepository: 'grace/gantry-demo', fromFork: true });
  });

  it.each(['pull_request_comment', 'pull_request_review_approved', 'issue_comment', 'issues', 'release'])(
    'ignores %s',
    (event) => {
      expect(normalized(gitea, event, fixture(DIR, 'pull-request-opened.json'))).toEqual([]);
    },
  );
});

describe('gitea delivery headers', () => {
  const body = fixtureBody(DIR, 'push.json');
  const hex = hmacSha256('s3cret', body).toString('hex');

  it('prefers X-Gitea-Event-Type, which names pull request sub-events, over X-Gitea-Event', () => {
    const request = requestOf(gitea, { 'X-Gitea-Event': 'pull_request', 'X-Gitea-Event-Type': 'pull_request_sync' });
    expect(gitea.eventName(request, {})).toBe('pull_request_sync');
    expect(gitea.eventName(requestOf(gitea, { 'X-Gitea-Event': 'push' }), {})).toBe('push');
  });

  it('sends X-Gitea-Event as the parent event of an event type', () => {
    const headers = gitea.deliveryHeaders({ body, secret: 's', eventName: 'pull_request_sync', deliveryId: 'd' });
    expect(headers).toMatchObject({ 'X-Gitea-Event': 'pull_request', 'X-Gitea-Event-Type': 'pull_request_sync' });
  });

  it('reads the delivery id from X-Gitea-Delivery', () => {
    expect(gitea.deliveryId(signedRequest(gitea, body, 's'), {})).toBe('delivery-1');
  });

  it.each([
    ['a bare hex signature', hex, 'valid'],
    ['an upper-case hex signature', hex.toUpperCase(), 'valid'],
    ['a sha256= prefixed signature', `sha256=${hex}`, 'invalid'],
    ['a truncated signature', hex.slice(0, 63), 'invalid'],
  ])('verifies %s', (_label, value, expected) => {
    expect(gitea.verify(requestOf(gitea, { 'X-Gitea-Signature': value }, body), ['s3cret'])).toBe(expected);
  });

  it('does not read the Forgejo headers', () => {
    expect(gitea.verify(requestOf(gitea, { 'X-Forgejo-Signature': hex }, body), ['s3cret'])).toBe('missing');
  });
});
