import { PayloadError } from '../../../../shared/webhooks/errors';
import { gitlab, gitlabMergeRequestAction } from '../../../../shared/webhooks/providers/gitlab';
import { fixture, fixtureBody, fixtureWith, normalized, onlyChange, requestOf, signedRequest } from './support';

const DIR = 'gitlab';
const HEAD = '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';

describe('gitlab.normalize: pushes and tags', () => {
  it('reads a branch push, keeping every subgroup in the repository name', () => {
    expect(onlyChange(gitlab, 'Push Hook', fixture(DIR, 'push.json'))).toMatchObject({
      kind: 'push',
      repository: {
        fullName: 'platform/ci/gantry-demo',
        cloneUrl: 'https://gitlab.example.com/platform/ci/gantry-demo.git',
        htmlUrl: 'https://gitlab.example.com/platform/ci/gantry-demo',
      },
      ref: 'refs/heads/main',
      branch: 'main',
      after: HEAD,
      headSha: HEAD,
      created: false,
      deleted: false,
      forced: null,
      pusher: 'ada',
    });
  });

  it('reports the total commit count GitLab gives, not the truncated list length', () => {
    const change = onlyChange(gitlab, 'Push Hook', fixture(DIR, 'push.json'));
    expect(change.commits).toHaveLength(2);
    expect(change.totalCommits).toBe(5);
    expect(change.commits[0]).toEqual({
      id: '3f1a9c2e5b7d4f60a8e1c9b2d3f4a5b6c7d8e9f0',
      message: 'Add the build badge\n\nShows the pipeline status in the README.',
      author: { name: 'Ada Lovelace', email: 'ada@example.com' },
      timestamp: '2025-03-04T10:15:00+01:00',
    });
  });

  it('falls back to user_name for the pusher when user_username is absent', () => {
    const payload = fixtureWith(DIR, 'tag-push.json', ['user_username'], undefined);
    expect(onlyChange(gitlab, 'Tag Push Hook', payload).pusher).toBe('Ada Lovelace');
  });

  it.each([
    [
      'push-branch-created.json',
      'Push Hook',
      { kind: 'push', branch: 'feature/login', created: true, totalCommits: 1 },
    ],
    ['push-branch-deleted.json', 'Push Hook', { kind: 'branch_delete', branch: 'feature/login', deleted: true }],
    ['tag-push.json', 'Tag Push Hook', { kind: 'tag', tag: 'v1.4.0', created: true, headSha: HEAD }],
    ['tag-push-deleted.json', 'Tag Push Hook', { kind: 'other', subkind: 'tag_delete', tag: 'v1.4.0', deleted: true }],
  ])('classifies %s', (name, event, expected) => {
    expect(onlyChange(gitlab, event, fixture(DIR, name))).toMatchObject(expected);
  });

  it.each([
    ['push-branch-deleted.json', 'Push Hook'],
    ['tag-push-deleted.json', 'Tag Push Hook'],
  ])('has no head commit for a deletion (%s)', (name, event) => {
    expect(onlyChange(gitlab, event, fixture(DIR, name)).headSha).toBeNull();
  });

  it('reads the commit of an annotated tag from checkout_sha', () => {
    const change = onlyChange(gitlab, 'Tag Push Hook', fixture(DIR, 'tag-push-annotated.json'));
    expect(change.after).toBe('5d41402abc4b2a76b9719d911017c592aaaabbbb');
    expect(change.headSha).toBe(HEAD);
  });

  it('reads a push delivered as a System Hook from its object_kind', () => {
    expect(onlyChange(gitlab, 'System Hook', fixture(DIR, 'system-hook-push.json'))).toMatchObject({
      kind: 'push',
      headSha: HEAD,
    });
  });

  it('reads a tag push delivered as a System Hook', () => {
    expect(onlyChange(gitlab, 'System Hook', fixture(DIR, 'tag-push.json')).kind).toBe('tag');
  });

  it('ignores a System Hook about something other than a push or merge request', () => {
    expect(normalized(gitlab, 'System Hook', { event_name: 'project_create', name: 'x' })).toEqual([]);
  });

  it('throws PayloadError for a push without a project', () => {
    const payload = fixtureWith(DIR, 'push.json', ['project'], undefined);
    expect(() => gitlab.normalize('Push Hook', payload)).toThrow(PayloadError);
  });
});

describe('gitlab.normalize: merge requests', () => {
  it('numbers a merge request by its iid, not its global id', () => {
    const change = onlyChange(gitlab, 'Merge Request Hook', fixture(DIR, 'merge-request-open.json'));
    expect(change.pullRequest?.number).toBe(17);
  });

  it('reads the source branch, target branch and last commit', () => {
    expect(onlyChange(gitlab, 'Merge Request Hook', fixture(DIR, 'merge-request-open.json'))).toMatchObject({
      kind: 'pull_request',
      repository: { fullName: 'platform/ci/gantry-demo' },
      ref: 'refs/heads/feature/login',
      headSha: '3f1a9c2e5b7d4f60a8e1c9b2d3f4a5b6c7d8e9f0',
      sender: 'grace',
      pullRequest: {
        action: 'opened',
        rawAction: 'open',
        title: 'Add a login page',
        sourceBranch: 'feature/login',
        targetBranch: 'main',
        sourceRepository: 'platform/ci/gantry-demo',
        merged: false,
        fromFork: false,
      },
    });
  });

  it.each([
    ['merge-request-update-new-commits.json', 'update', 'updated', false],
    ['merge-request-update-title.json', 'update', 'other', false],
    ['merge-request-merge.json', 'merge', 'merged', true],
  ])('maps %s (%s) to %s', (name, rawAction, action, merged) => {
    const change = onlyChange(gitlab, 'Merge Request Hook', fixture(DIR, name));
    expect(change.pullRequest).toMatchObject({ rawAction, action, merged });
  });

  it.each([
    ['open', true, 'opened'],
    ['reopen', false, 'opened'],
    ['update', true, 'updated'],
    ['update', false, 'other'],
    ['merge', false, 'merged'],
    ['close', false, 'closed'],
    ['approved', false, 'other'],
    ['unapproval', false, 'other'],
    ['', false, 'other'],
  ] as const)('maps the action %j (oldrev: %s) to %s', (action, hasOldrev, expected) => {
    expect(gitlabMergeRequestAction(action, hasOldrev)).toBe(expected);
  });

  it('counts a merge request in state merged as merged whatever the action', () => {
    const payload = fixtureWith(DIR, 'merge-request-merge.json', ['object_attributes', 'action'], 'approved');
    expect(onlyChange(gitlab, 'Merge Request Hook', payload).pullRequest).toMatchObject({
      action: 'other',
      merged: true,
    });
  });

  it('detects a merge request from a fork', () => {
    expect(
      onlyChange(gitlab, 'Merge Request Hook', fixture(DIR, 'merge-request-open-from-fork.json')).pullRequest,
    ).toMatchObject({ sourceRepository: 'grace/gantry-demo', fromFork: true });
  });

  it('reads a merge request delivered as a System Hook', () => {
    const change = onlyChange(gitlab, 'System Hook', fixture(DIR, 'merge-request-open.json'));
    expect(change.pullRequest?.action).toBe('opened');
  });

  it('throws PayloadError for a merge request without an iid', () => {
    const payload = fixtureWith(DIR, 'merge-request-open.json', ['object_attributes', 'iid'], undefined);
    expect(() => gitlab.normalize('Merge Request Hook', payload)).toThrow(PayloadError);
  });

  it.each(['Note Hook', 'Pipeline Hook', 'Job Hook', 'Issue Hook'])('ignores %s', (event) => {
    expect(normalized(gitlab, event, fixture(DIR, 'merge-request-open.json'))).toEqual([]);
  });
});

describe('gitlab delivery headers', () => {
  it('takes the delivery id from Idempotency-Key, then X-Gitlab-Event-UUID', () => {
    const both = requestOf(gitlab, { 'Idempotency-Key': 'idem', 'X-Gitlab-Event-UUID': 'uuid' });
    const legacy = requestOf(gitlab, { 'X-Gitlab-Event-UUID': 'uuid' });
    expect(gitlab.deliveryId(both, {})).toBe('idem');
    expect(gitlab.deliveryId(legacy, {})).toBe('uuid');
  });

  it('reads the event name from X-Gitlab-Event and the repository from the project', () => {
    const request = signedRequest(gitlab, fixtureBody(DIR, 'push.json'), 'tok', 'Tag Push Hook');
    expect(gitlab.eventName(request, {})).toBe('Tag Push Hook');
    expect(gitlab.repositoryOf(fixture(DIR, 'push.json'))).toBe('platform/ci/gantry-demo');
  });

  it.each([
    ['the token', 'tok', 'valid'],
    ['another token', 'other', 'invalid'],
    ['the token with a trailing space', 'tok ', 'invalid'],
    ['a prefix of the token', 'to', 'invalid'],
  ])('verifies %s', (_label, token, expected) => {
    expect(gitlab.verify(requestOf(gitlab, { 'X-Gitlab-Token': token }), ['tok'])).toBe(expected);
  });
});
