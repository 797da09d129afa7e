import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Provider } from '../../events';
import { fixture } from './deliveries';

/** How each provider names the event a fixture file holds, from the file's name. */
const EVENT_NAMES: Record<Provider, readonly [RegExp, string][]> = {
  github: [
    [/^push/, 'push'],
    [/^pull-request/, 'pull_request'],
    [/^create/, 'create'],
    [/^delete/, 'delete'],
    [/^ping/, 'ping'],
  ],
  gitlab: [
    [/^push/, 'Push Hook'],
    [/^tag/, 'Tag Push Hook'],
    [/^merge-request/, 'Merge Request Hook'],
  ],
  'bitbucket-cloud': [
    [/^repo-push/, 'repo:push'],
    [/^pullrequest-(\w+)/, 'pullrequest:$1'],
  ],
  'bitbucket-dc': [
    [/^refs-changed/, 'repo:refs_changed'],
    [/^diagnostics-ping/, 'diagnostics:ping'],
    [/^pr-(from-ref-updated)/, 'pr:from_ref_updated'],
    [/^pr-(\w+)/, 'pr:$1'],
  ],
  gitea: [
    [/^push/, 'push'],
    [/^pull-request/, 'pull_request'],
    [/^create/, 'create'],
    [/^delete/, 'delete'],
  ],
  forgejo: [
    [/^push/, 'push'],
    [/^pull-request/, 'pull_request'],
  ],
  'azure-devops': [[/./, 'from-body']],
};

export interface ProviderFixture {
  readonly provider: Provider;
  readonly file: string;
  readonly eventName: string;
  readonly body: Buffer;
}

/** The provider's event name for a fixture file, or undefined when its name does not tell. */
function eventNameFor(provider: Provider, file: string): string | undefined {
  for (const [pattern, name] of EVENT_NAMES[provider]) {
    const match = file.match(pattern);
    if (match) return name.replace('$1', match[1] ?? '');
  }
  return undefined;
}

/** Every webhook fixture the project owns whose event name its file name tells. */
export function providerFixtures(): ProviderFixture[] {
  const root = join(import.meta.dirname, '..', 'fixtures', 'webhooks');
  return (Object.keys(EVENT_NAMES) as Provider[]).flatMap((provider) =>
    readdirSync(join(root, provider))
      .filter((file) => file.endsWith('.json'))
      .flatMap((file) => {
        const eventName = eventNameFor(provider, file);
        return eventName === undefined
          ? []
          : [{ provider, file, eventName, body: fixture('webhooks', provider, file) }];
      }),
  );
}
