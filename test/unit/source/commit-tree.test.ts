import type { Provider } from '../../../events';
import { type FakeProviders, fakeApiUrl, startFakeProviders } from '../../../local/fakeprovider';
import { downloadSnapshot } from '../../../shared/source/download';
import { SourceError } from '../../../shared/source/errors';
import { ArchiveHttpClient } from '../../../shared/source/http';
import { DEFAULT_ARCHIVE_LIMITS, type Snapshot } from '../../../shared/source/repack';
import { deliveryOf } from '../../../shared/status/reporter';
import { tempFolders } from '../../support/temp';
import { commitAll, type FixtureFile, git, initRepository, writeFiles } from './git-fixtures';

/**
 * Hostile commits through the fake provider: a real repository, each provider's archive as real
 * `git archive` serves it, and each provider's git data API answered by git. A `.gitattributes`
 * that makes the archive differ from the commit's tree must stop the fetch.
 */
const temp = tempFolders();
const TOKEN = 'local-token';

/** Each provider and a repository name in its convention. */
const PROVIDERS: readonly [Provider, string][] = [
  ['github', 'acme/app'],
  ['gitlab', 'acme/platform/app'],
  ['gitea', 'acme/app'],
  ['forgejo', 'acme/app'],
  ['azure-devops', 'Acme/app'],
  ['bitbucket-cloud', 'acme/app'],
  ['bitbucket-dc', 'ACME/app'],
];
const WITH_TREE_API = PROVIDERS.filter(([p]) => !p.startsWith('bitbucket'));
const BITBUCKET = PROVIDERS.filter(([p]) => p.startsWith('bitbucket'));

const BASE: Readonly<Record<string, FixtureFile>> = {
  'buildspec.yml': 'version: 0.2\n',
  'src/index.js': "import { notes } from './version.js';\nconsole.log(notes);\n",
  'src/guard.js': 'export function guard() { /* the check reviewers approved */ }\n',
  'scripts/build.sh': { content: '#!/bin/sh\necho build\n', executable: true },
  'docs/latest': { link: '../src/index.js' },
};

let fake: FakeProviders;
beforeAll(async () => {
  fake = await startFakeProviders();
});
afterAll(() => fake.close());

/** A repository whose one commit holds `files` (over BASE), registered with every provider; its commit id. */
async function pushed(
  files: Readonly<Record<string, FixtureFile>>,
  message = 'change',
): Promise<{ dir: string; commit: string }> {
  const dir = temp('gantry-hostile-');
  initRepository(dir);
  writeFiles(dir, { ...BASE, ...files });
  const commit = commitAll(dir, message);
  for (const [provider, repository] of PROVIDERS)
    expect((await fake.registerRepository(provider, repository, dir)).status).toBe(204);
  return { dir, commit };
}

function fetchFrom(provider: Provider, repository: string, commit: string): Promise<Snapshot> {
  const delivery = deliveryOf({
    http: new ArchiveHttpClient(DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes),
    timeoutMs: 30_000,
    retry: { maxAttempts: 1 },
  });
  const target = { provider, apiUrl: fakeApiUrl(fake.url, provider), token: TOKEN, repository, commit };
  return downloadSnapshot(target, delivery, DEFAULT_ARCHIVE_LIMITS);
}

async function refusal(provider: Provider, repository: string, commit: string): Promise<SourceError> {
  try {
    await fetchFrom(provider, repository, commit);
  } catch (error) {
    if (error instanceof SourceError) return error;
    throw error;
  }
  throw new Error(`${provider} fetched an archive that is not the commit's tree`);
}

/** A merge commit's body is its pull request's description: editable after approval, with no new commit. */
const EXPORT_SUBST = {
  '.gitattributes': 'src/version.js export-subst\n',
  'src/version.js': "export const notes = '$Format:%b$';\n",
};

describe('a normal commit', () => {
  it.each(PROVIDERS)('is fetched from %s, its snapshot’s tree the commit’s tree', async (provider, repository) => {
    const { dir, commit } = await pushed({ '.gitattributes': '* text=auto\n*.png binary\n' });
    const snapshot = await fetchFrom(provider, repository, commit);
    expect(snapshot.tree.id).toBe(git(dir, 'rev-parse', `${commit}^{tree}`));
    expect(snapshot.files).toBe(6);
  });
});

describe('a commit whose .gitattributes export-subst writes its message into a file', () => {
  it.each(WITH_TREE_API)('is refused by %s’s tree, naming the file that differs', async (provider, repository) => {
    const { commit } = await pushed(EXPORT_SUBST, 'Merge pull request #7\n\nrm -rf / # written into version.js');
    const error = await refusal(provider, repository, commit);
    expect(error.code).toBe('tree_mismatch');
    expect(error.message).toMatch(
      new RegExp(
        `^the provider’s archive of ${commit.slice(0, 12)} differs from the commit’s tree: src/version\\.js differs \\(`,
      ),
    );
    expect(error.message).toMatch(
      /export-subst\/export-ignore\?\) — Gantry builds only the commit’s exact tree \(the commit’s tree is [0-9a-f]{40}, the archive’s [0-9a-f]{40}\)$/,
    );
  });

  it.each(BITBUCKET)(
    'is refused on %s, which names no tree, for the attribute its commit sets',
    async (provider, repository) => {
      const { commit } = await pushed(EXPORT_SUBST, 'Merge pull request #7\n\nanything');
      const error = await refusal(provider, repository, commit);
      expect(error.code).toBe('unverifiable');
      expect(error.message).toMatch(
        /^the commit’s \.gitattributes sets export-subst, so the provider’s archive of [0-9a-f]{12} may differ/,
      );
    },
  );
});

describe('a commit whose .gitattributes export-ignore leaves files (itself included) out of the archive', () => {
  const IGNORE = {
    '.gitattributes': '.gitattributes export-ignore\nsrc/guard.js export-ignore\n',
  };

  it.each(WITH_TREE_API)('is refused by %s’s tree, naming what is missing', async (provider, repository) => {
    const { commit } = await pushed(IGNORE);
    const error = await refusal(provider, repository, commit);
    expect(error.code).toBe('tree_mismatch');
    expect(error.message).toContain('.gitattributes is missing from the archive');
    expect(error.message).toContain('src/guard.js is missing from the archive');
  });

  it.each(BITBUCKET)(
    'is refused on %s, though the archive holds no .gitattributes at all',
    async (provider, repository) => {
      // Deep in a folder, hidden by itself: only the commit's own listing shows it.
      const { commit } = await pushed({
        'src/.gitattributes': '.gitattributes export-ignore\nguard.js export-ignore\n',
      });
      const error = await refusal(provider, repository, commit);
      expect(error.code).toBe('unverifiable');
      expect(error.message).toMatch(/^the commit’s src\/\.gitattributes sets export-ignore/);
    },
  );
});
