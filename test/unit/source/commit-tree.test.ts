import type { Provider } from '../../../events';
import { type FakeProviders, fakeApiUrl, startFakeProviders } from '../../../local/fakeprovider';
import { downloadSnapshot } from '../../../shared/source/download';
import { SourceError } from '../../../shared/source/errors';
import { ArchiveHttpClient, type BinaryResponse } from '../../../shared/source/http';
import { DEFAULT_ARCHIVE_LIMITS, type Snapshot, snapshotContent } from '../../../shared/source/repack';
import { DEFAULT_REPAIR_LIMITS, type RepairLimits } from '../../../shared/source/repair';
import type { HttpClient, HttpRequest } from '../../../shared/status/http';
import { deliveryOf } from '../../../shared/status/reporter';
import { tempFolders } from '../../support/temp';
import { commitAll, type FixtureFile, git, initRepository, writeFiles } from './git-fixtures';

/**
 * Hostile and ordinary commits through the fake provider: a real repository, each provider's
 * archive as real `git archive` serves it, and each provider's git data API answered by git. A
 * `.gitattributes` that makes the archive differ from the commit's tree must not reach the
 * snapshot: what differs is taken from the commit's blobs, or (Bitbucket) the fetch is refused.
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

/** Repositories already made, by their files and message, and which one the providers serve now. */
const made = new Map<string, { dir: string; commit: string }>();
let serving: string | undefined;

/**
 * A repository whose one commit holds `files` (over BASE), registered with every provider; its
 * commit id. Each provider's cases share one repository: the same files and message are made once.
 */
async function pushed(
  files: Readonly<Record<string, FixtureFile>>,
  message = 'change',
): Promise<{ dir: string; commit: string }> {
  const key = JSON.stringify([files, message]);
  let repository = made.get(key);
  if (repository === undefined) {
    const dir = temp('gantry-hostile-');
    initRepository(dir);
    writeFiles(dir, { ...BASE, ...files });
    repository = { dir, commit: commitAll(dir, message) };
    made.set(key, repository);
  }
  if (serving !== key) {
    for (const [provider, name] of PROVIDERS)
      expect((await fake.registerRepository(provider, name, repository.dir)).status).toBe(204);
    serving = key;
  }
  return repository;
}

function fetchFrom(
  provider: Provider,
  repository: string,
  commit: string,
  options: { http?: HttpClient; repair?: RepairLimits } = {},
): Promise<Snapshot> {
  const delivery = deliveryOf({
    http: options.http ?? new ArchiveHttpClient(DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes),
    timeoutMs: 30_000,
    retry: { maxAttempts: 1 },
  });
  const target = { provider, apiUrl: fakeApiUrl(fake.url, provider), token: TOKEN, repository, commit };
  return downloadSnapshot(target, delivery, DEFAULT_ARCHIVE_LIMITS, options.repair ?? DEFAULT_REPAIR_LIMITS);
}

/** A file's bytes in the snapshot, as text (undefined when the snapshot does not hold it). */
function fileOf(snapshot: Snapshot, path: string): string | undefined {
  const entry = snapshot.entries.find((e) => e.path === path);
  return entry === undefined ? undefined : snapshotContent(entry).toString('utf8');
}

/** A client that answers every blob request with other bytes (base64 in JSON where the provider answers so). */
class ForgingBlobs implements HttpClient {
  private readonly real = new ArchiveHttpClient(DEFAULT_ARCHIVE_LIMITS.maxArchiveBytes);

  async send(request: HttpRequest): Promise<BinaryResponse> {
    const answer = await this.real.send(request);
    if (!/\/blobs\/[0-9a-f]{40}/.test(request.url) || answer.status !== 200) return answer;
    const forged = Buffer.from("export const notes = 'forged';\n");
    const json = request.url.includes('/git/blobs/');
    const bytes = json
      ? Buffer.from(JSON.stringify({ encoding: 'base64', content: forged.toString('base64') }))
      : forged;
    return { ...answer, bytes };
  }
}

async function refusal(
  provider: Provider,
  repository: string,
  commit: string,
  http?: HttpClient,
  repair?: RepairLimits,
): Promise<SourceError> {
  try {
    await fetchFrom(provider, repository, commit, { http, repair });
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

describe('a commit with Git LFS pointer files', () => {
  const LFS = {
    '.gitattributes': '*.psd filter=lfs diff=lfs merge=lfs -text\n',
    'art/logo.psd': `version https://git-lfs.github.com/spec/v1\noid sha256:${'4'.repeat(64)}\nsize 12345\n`,
  };

  it.each(PROVIDERS)('is fetched from %s as committed, the pointer files in it', async (provider, repository) => {
    const { dir, commit } = await pushed(LFS);
    const snapshot = await fetchFrom(provider, repository, commit);
    expect(snapshot.tree.id).toBe(git(dir, 'rev-parse', `${commit}^{tree}`));
    expect(fileOf(snapshot, 'art/logo.psd')).toBe(LFS['art/logo.psd']);
    expect(snapshot.repaired).toBeUndefined();
  });
});

describe('a commit whose .gitattributes export-subst writes its message into a file', () => {
  it.each(WITH_TREE_API)(
    'is fetched from %s with the committed bytes, the placeholder unexpanded',
    async (provider, repository) => {
      const { dir, commit } = await pushed(EXPORT_SUBST, 'Merge pull request #7\n\nrm -rf / # written into version.js');
      const snapshot = await fetchFrom(provider, repository, commit);
      expect(snapshot.tree.id).toBe(git(dir, 'rev-parse', `${commit}^{tree}`));
      expect(fileOf(snapshot, 'src/version.js')).toBe("export const notes = '$Format:%b$';\n");
      expect(snapshot.repaired).toEqual({ taken: ['src/version.js'], dropped: [] });
    },
  );

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

  it.each(WITH_TREE_API)('is refused by %s when a blob’s bytes do not hash to its id', async (provider, repository) => {
    const { commit } = await pushed(EXPORT_SUBST, 'Merge pull request #7\n\nanything');
    const error = await refusal(provider, repository, commit, new ForgingBlobs());
    expect(error.code).toBe('tree_mismatch');
    expect(error.message).toMatch(/^the provider’s blob of src\/version\.js does not hash to its id [0-9a-f]{40}$/);
  });
});

describe('a commit whose .gitattributes export-ignore leaves files (itself included) out of the archive', () => {
  const IGNORE = {
    '.gitattributes': '.gitattributes export-ignore\nsrc/guard.js export-ignore\n',
  };

  it.each(WITH_TREE_API)('is fetched from %s with the ignored files in it', async (provider, repository) => {
    const { dir, commit } = await pushed(IGNORE);
    const snapshot = await fetchFrom(provider, repository, commit);
    expect(snapshot.tree.id).toBe(git(dir, 'rev-parse', `${commit}^{tree}`));
    expect(fileOf(snapshot, 'src/guard.js')).toBe(BASE['src/guard.js']);
    expect(snapshot.repaired?.taken).toEqual(['.gitattributes', 'src/guard.js']);
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

describe('a Gradle project (gradle init writes *.bat text eol=crlf)', () => {
  const GRADLE = {
    '.gitattributes':
      '#\n# https://help.github.com/articles/dealing-with-line-endings/\n#\n*.bat text eol=crlf\n*.jar binary\n',
    gradlew: { content: '#!/bin/sh\nexec java -jar gradle/wrapper/gradle-wrapper.jar "$@"\n', executable: true },
    'gradlew.bat':
      '@rem Gradle startup script for Windows\r\n@echo off\r\njava -jar gradle\\wrapper\\gradle-wrapper.jar %*\r\n',
    'tools/win/setup.bat': '@echo off\necho setup\n',
    'tools/current': { link: 'win' },
  };

  it.each(WITH_TREE_API)('is fetched from %s, its snapshot’s tree the commit’s tree', async (provider, repository) => {
    const { dir, commit } = await pushed(GRADLE);
    const snapshot = await fetchFrom(provider, repository, commit);
    expect(snapshot.tree.id).toBe(git(dir, 'rev-parse', `${commit}^{tree}`));
    expect(fileOf(snapshot, 'gradlew.bat')).toBe(git(dir, 'cat-file', 'blob', `${commit}:gradlew.bat`).concat('\n'));
    expect(snapshot.repaired?.taken).toEqual(['gradlew.bat', 'tools/win/setup.bat']);
  });

  it.each(BITBUCKET)('is refused on %s, which names no tree to repair against', async (provider, repository) => {
    const { commit } = await pushed(GRADLE);
    const error = await refusal(provider, repository, commit);
    expect(error.code).toBe('unverifiable');
    expect(error.message).toMatch(/^the commit’s \.gitattributes sets eol=crlf/);
  });

  it('is refused past the repair limit, saying the limit', async () => {
    const { commit } = await pushed(GRADLE);
    const error = await refusal('gitlab', 'acme/platform/app', commit, undefined, {
      ...DEFAULT_REPAIR_LIMITS,
      maxFiles: 1,
    });
    expect(error.code).toBe('tree_mismatch');
    expect(error.message).toMatch(
      /differs from the commit’s tree and cannot be made it: more than 1 files differ from the commit’s blobs — /,
    );
  });
});
