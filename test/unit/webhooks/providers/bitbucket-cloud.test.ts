import { PayloadError } from '../../../../shared/webhooks/errors';
import { bitbucketCloud, parseRawAuthor } from '../../../../shared/webhooks/providers/bitbucket-cloud';
import { hmacSha256 } from '../../../../shared/webhooks/signatures';
import { fixture, fixtureBody, fixtureWith, normalized, onlyChange, requestOf } from './support';

const DIR = 'bitbucket-cloud';
const C1 = '3f1a9c2e5b7d4f60a8e1c9b2d3f4a5b6c7d8e9f0';
const C2 = '9b8e7d6c5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';
const OLD = 'e1d2c3b4a5f60718293a4b5c6d7e8f9012345678';

describe('bitbucketCloud.normalize: repo:push', () => {
  it('reads a branch update from push.changes[]', () => {
    expect(onlyChange(bitbucketCloud, 'repo:push', fixture(DIR, 'repo-push.json'))).toMatchObject({
      kind: 'push',
      repository: {
        fullName: 'gantry-team/gantry-demo',
        htmlUrl: 'https://bitbucket.org/gantry-team/gantry-demo',
        cloneUrl: 'https://bitbucket.org/gantry-team/gantry-demo.git',
      },
      ref: 'refs/heads/main',
      branch: 'main',
      before: OLD,
      after: C2,
      headSha: C2,
      created: false,
      deleted: false,
      forced: false,
      totalCommits: null,
      pusher: 'ada',
    });
  });

  it('splits raw commit authors into name and email', () => {
    const change = onlyChange(bitbucketCloud, 'repo:push', fixture(DIR, 'repo-push.json'));
    expect(change.commits.map((c) => [c.id, c.author.name, c.author.email])).toEqual([
      [C2, 'Grace Hopper', 'grace@example.com'],
      [C1, 'Ada Lovelace', 'ada@example.com'],
    ]);
    expect(change.commits[0]?.timestamp).toBe('2025-03-04T09:20:00+00:00');
  });

  it('says a truncated commit list is incomplete (Bitbucket lists at most 5), so separation of duties can fail closed', () => {
    const payload = fixture(DIR, 'repo-push.json') as { push: { changes: Record<string, unknown>[] } };
    const [first] = payload.push.changes;
    if (first) first.truncated = true;
    const change = onlyChange(bitbucketCloud, 'repo:push', payload);
    expect(change.totalCommits).toBeGreaterThan(change.commits.length);
  });

  it('reports a forced push', () => {
    expect(onlyChange(bitbucketCloud, 'repo:push', fixture(DIR, 'repo-push-forced.json')).forced).toBe(true);
  });

  it('turns one delivery with two changes into two canonical changes', () => {
    const [branch, tag, ...rest] = normalized(
      bitbucketCloud,
      'repo:push',
      fixture(DIR, 'repo-push-branch-and-tag.json'),
    );
    expect(rest).toEqual([]);
    expect(branch).toMatchObject({
      kind: 'push',
      ref: 'refs/heads/release/1.x',
      branch: 'release/1.x',
      before: null,
      after: C1,
      created: true,
    });
    expect(branch?.commits).toHaveLength(1);
    expect(tag).toMatchObject({ kind: 'tag', ref: 'refs/tags/release/1.4.0', tag: 'release/1.4.0', headSha: C2 });
  });

  it.each([
    ['repo-push-branch-deleted.json', { kind: 'branch_delete', subkind: null, branch: 'feature/login', before: C1 }],
    ['repo-push-tag-deleted.json', { kind: 'other', subkind: 'tag_delete', tag: 'release/1.4.0', before: C2 }],
  ])('takes the name and type of a deletion (%s) from old', (name, expected) => {
    expect(onlyChange(bitbucketCloud, 'repo:push', fixture(DIR, name))).toMatchObject({
      ...expected,
      after: null,
      headSha: null,
      created: false,
      deleted: true,
    });
  });

  it('names the pusher by display name when the nickname is absent', () => {
    const payload = fixtureWith(DIR, 'repo-push.json', ['actor', 'nickname'], undefined);
    expect(onlyChange(bitbucketCloud, 'repo:push', payload).pusher).toBe('Ada Lovelace');
  });

  it('leaves the clone URL null when the repository has no web link', () => {
    const payload = fixtureWith(DIR, 'repo-push.json', ['repository', 'links'], undefined);
    expect(onlyChange(bitbucketCloud, 'repo:push', payload).repository).toEqual({
      fullName: 'gantry-team/gantry-demo',
      cloneUrl: null,
      htmlUrl: null,
    });
  });

  it('throws PayloadError for a change with neither new nor old', () => {
    const payload = fixture(DIR, 'repo-push.json');
    const push = payload.push as { changes: Record<string, unknown>[] };
    push.changes = [{ new: null, old: null, forced: false }];
    expect(() => bitbucketCloud.normalize('repo:push', payload)).toThrow(PayloadError);
  });

  it('throws PayloadError for a push without changes', () => {
    expect(() => bitbucketCloud.normalize('repo:push', fixtureWith(DIR, 'repo-push.json', ['push'], {}))).toThrow(
      PayloadError,
    );
  });
});

describe('bitbucketCloud.normalize: pull requests', () => {
  it.each([
    ['pullrequest:created', 'pullrequest-created.json', 'opened', false],
    ['pullrequest:updated', 'pullrequest-updated.json', 'updated', false],
    ['pullrequest:fulfilled', 'pullrequest-fulfilled.json', 'merged', true],
    ['pullrequest:rejected', 'pullrequest-rejected.json', 'closed', false],
  ])('maps %s to %s', (event, name, action, merged) => {
    const change = onlyChange(bitbucketCloud, event, fixture(DIR, name));
    expect(change.pullRequest).toMatchObject({ rawAction: event, action, merged });
  });

  it('reads the pull request id, branches and the abbreviated head hash as sent', () => {
    expect(onlyChange(bitbucketCloud, 'pullrequest:created', fixture(DIR, 'pullrequest-created.json'))).toMatchObject({
      kind: 'pull_request',
      repository: { fullName: 'gantry-team/gantry-demo' },
      ref: 'refs/heads/feature/login',
      headSha: '3f1a9c2e5b7d',
      sender: 'ada',
      pullRequest: {
        number: 23,
        title: 'Add a login page',
        sourceBranch: 'feature/login',
        targetBranch: 'main',
        sourceRepository: 'gantry-team/gantry-demo',
        headSha: '3f1a9c2e5b7d',
        author: 'grace',
        fromFork: false,
      },
    });
  });

  it('detects a pull request from a fork', () => {
    const change = onlyChange(
      bitbucketCloud,
      'pullrequest:created',
      fixture(DIR, 'pullrequest-created-from-fork.json'),
    );
    expect(change.pullRequest).toMatchObject({ sourceRepository: 'grace/gantry-demo', fromFork: true });
  });

  it.each(['pullrequest:approved', 'pullrequest:comment_created', 'repo:commit_status_updated', 'issue:created'])(
    'ignores %s',
    (event) => {
      expect(normalized(bitbucketCloud, event, fixture(DIR, 'pullrequest-created.json'))).toEqual([]);
    },
  );

  it('throws PayloadError for a pull request without an id', () => {
    const payload = fixtureWith(DIR, 'pullrequest-created.json', ['pullrequest', 'id'], undefined);
    expect(() => bitbucketCloud.normalize('pullrequest:created', payload)).toThrow(PayloadError);
  });
});

describe('parseRawAuthor', () => {
  it.each([
    ['Ada Lovelace <ada@example.com>', { name: 'Ada Lovelace', email: 'ada@example.com' }],
    ['ada <>', { name: 'ada', email: null }],
    ['ada', { name: 'ada', email: null }],
    ['<ada@example.com>', { name: null, email: 'ada@example.com' }],
    ['', { name: null, email: null }],
    [null, { name: null, email: null }],
  ])('splits %j', (raw, expected) => {
    expect(parseRawAuthor(raw)).toEqual(expected);
  });

  it('reads a pathological identity in linear time', () => {
    const raw = `a${' '.repeat(200_000)}b`;
    const started = performance.now();
    expect(parseRawAuthor(raw).email).toBeNull();
    expect(performance.now() - started).toBeLessThan(500);
  });
});

describe('bitbucketCloud delivery headers', () => {
  const body = fixtureBody(DIR, 'repo-push.json');
  const signature = hmacSha256('s3cret', body).toString('hex');

  it('reads the delivery id from X-Request-UUID and the event from X-Event-Key', () => {
    const request = requestOf(bitbucketCloud, { 'X-Request-UUID': 'req-1', 'X-Event-Key': 'repo:push' }, body);
    expect(bitbucketCloud.deliveryId(request, {})).toBe('req-1');
    expect(bitbucketCloud.eventName(request, {})).toBe('repo:push');
    expect(bitbucketCloud.repositoryOf(fixture(DIR, 'repo-push.json'))).toBe('gantry-team/gantry-demo');
  });

  it.each([
    ['a sha256= signature', `sha256=${signature}`, 'valid'],
    ['a bare hex signature', signature, 'invalid'],
    ['a sha1= signature', `sha1=${signature}`, 'invalid'],
    ['a signature of another body', `sha256=${hmacSha256('s3cret', Buffer.from('{}')).toString('hex')}`, 'invalid'],
  ])('verifies %s', (_label, value, expected) => {
    expect(bitbucketCloud.verify(requestOf(bitbucketCloud, { 'X-Hub-Signature': value }, body), ['s3cret'])).toBe(
      expected,
    );
  });
});
