import { PayloadError } from '../../../../shared/webhooks/errors';
import { ZERO_SHA } from '../../../../shared/webhooks/payload';
import {
  azureDevops,
  azurePullRequestAction,
  basicCredentials,
} from '../../../../shared/webhooks/providers/azure-devops';
import { fixture, fixtureWith, normalized, onlyChange, requestOf } from './support';

const DIR = 'azure-devops';
const C1 = '3f1a9c2e5b7d4f60a8e1c9b2d3f4a5b6c7d8e9f0';
const C2 = '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';

function basic(credentials: string): string {
  return `Basic ${Buffer.from(credentials, 'utf8').toString('base64')}`;
}

describe('azureDevops.normalize: git.push', () => {
  it('reads a branch push with project/repository as the repository name', () => {
    expect(onlyChange(azureDevops, 'git.push', fixture(DIR, 'git-push.json'))).toMatchObject({
      kind: 'push',
      repository: {
        fullName: 'Platform/gantry-demo',
        cloneUrl: 'https://dev.azure.com/gantry-labs/Platform/_git/gantry-demo',
      },
      ref: 'refs/heads/main',
      branch: 'main',
      after: C2,
      headSha: C2,
      created: false,
      deleted: false,
      forced: null,
      totalCommits: null,
      pusher: 'ada@example.com',
    });
  });

  it('reads commit ids, comments, authors and committers', () => {
    const change = onlyChange(azureDevops, 'git.push', fixture(DIR, 'git-push.json'));
    expect(change.commits[0]).toEqual({
      id: C2,
      message: 'Fix typo in README',
      author: { name: 'Grace Hopper', email: 'grace@example.com' },
      committer: { name: 'Grace Hopper', email: 'grace@example.com' },
      timestamp: '2025-03-04T09:20:00Z',
    });
  });

  it('turns each refUpdates[] entry into its own change, without guessing whose commits are listed', () => {
    const changes = normalized(azureDevops, 'git.push', fixture(DIR, 'git-push-branch-created-and-tag-deleted.json'));
    expect(changes).toHaveLength(2);
    expect(changes[0]).toMatchObject({ kind: 'push', branch: 'release/1.x', before: ZERO_SHA, created: true });
    expect(changes[1]).toMatchObject({ kind: 'other', subkind: 'tag_delete', tag: 'v1.4.0', after: ZERO_SHA });
    expect(changes.map((c) => c.commits)).toEqual([[], []]);
  });

  it('reads a deleted branch as branch_delete with no head', () => {
    expect(onlyChange(azureDevops, 'git.push', fixture(DIR, 'git-push-branch-deleted.json'))).toMatchObject({
      kind: 'branch_delete',
      branch: 'feature/login',
      before: C1,
      headSha: null,
      deleted: true,
    });
  });

  it('tolerates a legacy push that names no repository', () => {
    expect(onlyChange(azureDevops, 'git.push', fixture(DIR, 'git-push-without-repository.json'))).toMatchObject({
      kind: 'push',
      repository: { fullName: null, cloneUrl: null, htmlUrl: null },
      headSha: C1,
    });
  });

  it('throws PayloadError for a push without refUpdates', () => {
    const payload = fixtureWith(DIR, 'git-push.json', ['resource', 'refUpdates'], undefined);
    expect(() => azureDevops.normalize('git.push', payload)).toThrow(PayloadError);
  });
});

describe('azureDevops.normalize: pull requests', () => {
  it('strips refs/heads/ from the branches and reads the last merge source commit as the head', () => {
    expect(
      onlyChange(azureDevops, 'git.pullrequest.created', fixture(DIR, 'git-pullrequest-created.json')),
    ).toMatchObject({
      kind: 'pull_request',
      repository: { fullName: 'Platform/gantry-demo' },
      ref: 'refs/heads/feature/login',
      headSha: C1,
      pullRequest: {
        number: 23,
        action: 'opened',
        rawAction: 'git.pullrequest.created',
        title: 'Add a login page',
        sourceBranch: 'feature/login',
        targetBranch: 'main',
        sourceRepository: 'Platform/gantry-demo',
        author: 'ada@example.com',
        merged: false,
        fromFork: false,
      },
    });
  });

  it.each([
    ['git.pullrequest.updated', 'git-pullrequest-updated.json', 'updated', false],
    ['git.pullrequest.updated', 'git-pullrequest-updated-completed.json', 'merged', true],
    ['git.pullrequest.updated', 'git-pullrequest-updated-abandoned.json', 'closed', false],
    ['git.pullrequest.merged', 'git-pullrequest-merged.json', 'merged', true],
    ['git.pullrequest.merged', 'git-pullrequest-merged-active.json', 'other', false],
  ])('maps %s in %s to %s', (event, name, action, merged) => {
    expect(onlyChange(azureDevops, event, fixture(DIR, name)).pullRequest).toMatchObject({ action, merged });
  });

  it.each([
    ['git.pullrequest.created', 'active', 'opened'],
    ['git.pullrequest.updated', 'active', 'updated'],
    ['git.pullrequest.updated', 'completed', 'merged'],
    ['git.pullrequest.updated', 'abandoned', 'closed'],
    ['git.pullrequest.merged', 'completed', 'merged'],
    ['git.pullrequest.merged', undefined, 'merged'],
    ['git.pullrequest.merged', 'active', 'other'],
    ['git.pullrequest.updated', 'notSet', 'updated'],
  ])('maps %s with status %s to %s', (event, status, expected) => {
    expect(azurePullRequestAction(event, status)).toBe(expected);
  });

  it('detects a pull request from a fork by its forkSource repository', () => {
    const change = onlyChange(
      azureDevops,
      'git.pullrequest.created',
      fixture(DIR, 'git-pullrequest-created-from-fork.json'),
    );
    expect(change.repository.fullName).toBe('Platform/gantry-demo');
    expect(change.pullRequest).toMatchObject({ sourceRepository: 'Contrib/gantry-demo-fork', fromFork: true });
  });

  it.each(['workitem.created', 'build.complete', 'tfvc.checkin'])('ignores %s', (event) => {
    expect(normalized(azureDevops, event, fixture(DIR, 'workitem-created.json'))).toEqual([]);
  });

  it('throws PayloadError for a pull request without a repository', () => {
    const payload = fixtureWith(DIR, 'git-pullrequest-created.json', ['resource', 'repository'], undefined);
    expect(() => azureDevops.normalize('git.pullrequest.created', payload)).toThrow(PayloadError);
  });
});

describe('azureDevops: body fields and Basic authentication', () => {
  it('reads the event name, delivery id and repository from the body', () => {
    const payload = fixture(DIR, 'git-push.json');
    const request = requestOf(azureDevops, {});
    expect(azureDevops.eventName(request, payload)).toBe('git.push');
    expect(azureDevops.deliveryId(request, payload)).toBe('8d1b7a3c-6e2f-4c9a-b5d0-1f2e3a4b5c6d');
    expect(azureDevops.repositoryOf(payload)).toBe('Platform/gantry-demo');
    expect(azureDevops.repositoryOf(fixture(DIR, 'git-push-without-repository.json'))).toBeUndefined();
  });

  it.each([
    ['the credentials', basic('gantry:s3cret'), 'valid'],
    ['a lower-case scheme', `basic ${Buffer.from('gantry:s3cret').toString('base64')}`, 'valid'],
    ['another password', basic('gantry:wrong'), 'invalid'],
    ['another user', basic('someone:s3cret'), 'invalid'],
    ['a Bearer token', 'Bearer gantry:s3cret', 'invalid'],
    ['the credentials unencoded', 'Basic gantry:s3cret', 'invalid'],
    ['base64 without the padding', basic('gantry:s3cret1').replace(/=+$/, ''), 'invalid'],
  ])('verifies %s', (_label, authorization, expected) => {
    expect(azureDevops.verify(requestOf(azureDevops, { Authorization: authorization }), ['gantry:s3cret'])).toBe(
      expected,
    );
  });

  it.each([
    ['Basic Z2FudHJ5OnMzY3JldA==', 'gantry:s3cret'],
    ['Basic   Z2FudHJ5OnMzY3JldA==  ', 'gantry:s3cret'],
    ['Basic Z2FudHJ5', undefined],
    ['Basic Z2FudHJ5OnMzY3JldA', undefined],
    ['Basic ****', undefined],
    ['Basic', undefined],
  ])('decodes %j', (authorization, expected) => {
    expect(basicCredentials(authorization)).toBe(expected);
  });
});
