import { PROVIDER_ADAPTERS } from '../../../../shared/webhooks/providers';
import { fixture, normalized } from './support';

/**
 * The account id of whoever sent a change, as each provider names it: separation of duties
 * compares it with an approver's `gitIds`, since a username can be renamed. Each id is the one
 * the pull request look-ups of the same provider name people by.
 */
describe('senderId: the sender’s account id, from every provider’s push (and pull request where given)', () => {
  it.each([
    ['github', 'push', 'push-branch-created.json', '21031067'],
    ['github', 'pull_request', 'pull-request-opened.json', '21031067'],
    ['gitlab', 'Push Hook', 'push.json', '7'],
    ['gitlab', 'Merge Request Hook', 'merge-request-open.json', '8'],
    ['bitbucket-cloud', 'repo:push', 'repo-push.json', '{0f2c7e36-4d1b-4c5f-9a40-5b1c2f7e8a10}'],
    ['bitbucket-dc', 'repo:refs_changed', 'refs-changed-update.json', '101'],
    ['gitea', 'push', 'push.json', '3'],
    ['forgejo', 'push', 'push.json', '3'],
    ['azure-devops', 'git.push', 'git-push.json', '1b2c3d4e-5f60-4718-9a2b-3c4d5e6f7a8b'],
  ] as const)('%s %s (%s)', (provider, eventName, file, id) => {
    const changes = normalized(PROVIDER_ADAPTERS[provider], eventName, fixture(provider, file));
    expect(changes.length).toBeGreaterThan(0);
    for (const change of changes) expect(change.senderId).toBe(id);
  });

  it('is absent, not empty, when the payload names no id', () => {
    const payload = fixture('github', 'push-branch-created.json');
    const [change] = normalized(PROVIDER_ADAPTERS.github, 'push', { ...payload, sender: { login: 'octocat' } });
    expect(change).not.toHaveProperty('senderId');
  });
});
