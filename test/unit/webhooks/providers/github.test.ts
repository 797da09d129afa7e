import { sign, verify, verifyWithFallback } from '@octokit/webhooks-methods';
import fc from 'fast-check';
import { PayloadError } from '../../../../shared/webhooks/errors';
import { github } from '../../../../shared/webhooks/providers/github';
import { fixture, fixtureWith, normalized, onlyChange, requestOf } from './support';

const DIR = 'github';

describe('github.normalize', () => {
  it('reads a branch push with the head commit as the head', () => {
    const change = onlyChange(github, 'push', fixture(DIR, 'push-branch-created.json'));
    expect(change).toMatchObject({
      kind: 'push',
      subkind: null,
      repository: { fullName: 'Codertocat/Hello-World', cloneUrl: 'https://github.com/Codertocat/Hello-World.git' },
      ref: 'refs/heads/master',
      branch: 'master',
      before: '0000000000000000000000000000000000000000',
      headSha: '6113728f27ae82c7b1a177c8d03f9e96e0adf246',
      created: true,
      deleted: false,
      forced: false,
      totalCommits: null,
      pusher: 'Codertocat',
    });
  });

  it('reads each commit’s author and committer with the accounts GitHub matched them to', () => {
    const [commit] = onlyChange(github, 'push', fixture(DIR, 'push-branch-created.json')).commits;
    const codertocat = {
      name: 'Codertocat',
      email: '21031067+Codertocat@users.noreply.github.com',
      username: 'Codertocat',
    };
    expect(commit).toMatchObject({ author: codertocat, committer: codertocat });
  });

  it.each([
    ['push-tag.json', { kind: 'tag', subkind: null, tag: 'simple-tag', created: true, deleted: false }],
    [
      'push-tag-deleted.json',
      { kind: 'other', subkind: 'tag_delete', tag: 'simple-tag', headSha: null, deleted: true },
    ],
    ['push-branch-deleted.json', { kind: 'branch_delete', branch: 'simple-branch', headSha: null, deleted: true }],
  ])('classifies %s', (name, expected) => {
    expect(onlyChange(github, 'push', fixture(DIR, name))).toMatchObject(expected);
  });

  it.each([
    ['pull-request-opened.json', 'opened', 'opened', false],
    ['pull-request-synchronize.json', 'synchronize', 'updated', false],
    ['pull-request-closed.json', 'closed', 'closed', false],
    ['pull-request-closed-merged.json', 'closed', 'merged', true],
  ])('maps the pull request in %s (%s) to %s', (name, rawAction, action, merged) => {
    const change = onlyChange(github, 'pull_request', fixture(DIR, name));
    expect(change.kind).toBe('pull_request');
    expect(change.pullRequest).toMatchObject({ number: 2, rawAction, action, merged, targetBranch: 'master' });
    expect(change.pullRequest?.fromFork).toBe(false);
  });

  it('takes the head commit of a synchronize from pull_request.head.sha', () => {
    const change = onlyChange(github, 'pull_request', fixture(DIR, 'pull-request-synchronize.json'));
    expect(change.headSha).toBe('ec26c3e57ca3a959ca5aad62de7213c562f8c821');
    expect(change.ref).toBe('refs/heads/changes');
  });

  it('detects a pull request from a fork by its head repository', () => {
    const payload = fixtureWith(DIR, 'pull-request-opened.json', ['pull_request', 'head', 'repo', 'full_name'], 'x/y');
    expect(onlyChange(github, 'pull_request', payload).pullRequest).toMatchObject({
      sourceRepository: 'x/y',
      fromFork: true,
    });
  });

  it.each([
    ['create', 'create-tag.json', 'create_tag', { created: true }],
    ['delete', 'delete-tag.json', 'delete_tag', { deleted: true }],
  ])('keeps the %s event informational', (event, name, subkind, flags) => {
    expect(onlyChange(github, event, fixture(DIR, name))).toMatchObject({
      kind: 'other',
      subkind,
      ref: 'refs/tags/simple-tag',
      tag: 'simple-tag',
      ...flags,
    });
  });

  it('reads a ping', () => {
    expect(onlyChange(github, 'ping', fixture(DIR, 'ping.json'))).toMatchObject({
      kind: 'ping',
      repository: { fullName: 'Octocoders/Hello-World' },
    });
  });

  it.each(['issues', 'workflow_run', 'check_suite'])('ignores %s', (event) => {
    expect(normalized(github, event, fixture(DIR, 'ping.json'))).toEqual([]);
  });

  it('throws PayloadError for a push without a ref', () => {
    const payload = fixtureWith(DIR, 'push-tag.json', ['ref'], undefined);
    expect(() => github.normalize('push', payload)).toThrow(PayloadError);
  });
});

describe('github.verify agrees with @octokit/webhooks-methods', () => {
  const body = fc.string({ unit: 'binary', minLength: 1, maxLength: 2000 });
  const secret = fc.string({ unit: 'binary', minLength: 1, maxLength: 64 });

  function requestWith(payload: string, signature: string) {
    return requestOf(github, { 'X-Hub-Signature-256': signature }, Buffer.from(payload, 'utf8'));
  }

  it('accepts exactly the signatures octokit accepts, for any body and pair of secrets', async () => {
    await fc.assert(
      fc.asyncProperty(body, secret, secret, fc.boolean(), async (payload, signedWith, other, same) => {
        const checkedWith = same ? signedWith : other;
        const signature = await sign(signedWith, payload);
        const expected = await verify(checkedWith, payload, signature);
        expect(github.verify(requestWith(payload, signature), [checkedWith]) === 'valid').toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees on a tampered body', async () => {
    await fc.assert(
      fc.asyncProperty(body, body, secret, async (payload, tampered, key) => {
        const signature = await sign(key, payload);
        const expected = await verify(key, tampered, signature);
        expect(github.verify(requestWith(tampered, signature), [key]) === 'valid').toBe(expected);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with verifyWithFallback when secrets rotate', async () => {
    await fc.assert(
      fc.asyncProperty(
        body,
        secret,
        fc.array(secret, { maxLength: 3 }),
        fc.nat(3),
        async (payload, key, others, at) => {
          const keys = at <= others.length ? [...others.slice(0, at), key, ...others.slice(at)] : others;
          const [first, ...rest] = keys;
          if (first === undefined) return;
          const signature = await sign(key, payload);
          const expected = await verifyWithFallback(first, payload, signature, rest);
          expect(github.verify(requestWith(payload, signature), keys) === 'valid').toBe(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});
