import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeProviders, fakeApiUrl, startFakeProviders } from '../../../local/fakeprovider';
import { HttpCommitHistory } from '../../../shared/history/reader';

/** A repository with a commit by each of `authors` (committed by `committer`), and its commit ids. */
function repository(authors: readonly string[], committer: string): { dir: string; commits: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'gantry-compare-'));
  const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '--quiet', '-b', 'main');
  const commits: string[] = [];
  for (const author of ['Base', ...authors]) {
    writeFileSync(join(dir, `${author}.md`), author);
    git('add', '--all');
    execFileSync(
      'git',
      [
        '-c',
        `user.name=${committer}`,
        '-c',
        `user.email=${committer.toLowerCase()}@example.com`,
        'commit',
        '--quiet',
        '--author',
        `${author} <${author.toLowerCase()}@example.com>`,
        '-m',
        author,
      ],
      { cwd: dir },
    );
    commits.push(git('rev-parse', 'HEAD'));
  }
  return { dir, commits };
}

describe('the fake provider’s compare API (local mode’s stand-in for listing a change)', () => {
  let fake: FakeProviders;
  beforeAll(async () => {
    fake = await startFakeProviders();
  });
  afterAll(() => fake.close());

  it('lists a registered repository’s range, authors and committers, through the same client the cloud path uses', async () => {
    const { dir, commits } = repository(['Bob', 'Alice'], 'Carol');
    expect(fake.registerRepository('github', 'acme/app', dir).status).toBe(204);
    const history = new HttpCommitHistory();
    const listed = await history.commitsBetween({
      provider: 'github',
      apiUrl: fakeApiUrl(fake.url, 'github'),
      token: 'local-token',
      repository: 'acme/app',
      before: commits[0] ?? '',
      after: commits[2] ?? '',
    });
    expect(listed.map((c) => [c.author.email, c.committer?.email])).toEqual([
      ['bob@example.com', 'carol@example.com'],
      ['alice@example.com', 'carol@example.com'],
    ]);
    expect(listed.at(-1)?.id).toBe(commits[2]);
  });

  it('answers as GitHub does without a token, for an unknown repository or an unknown commit', async () => {
    const { dir, commits } = repository(['Bob'], 'Bob');
    fake.registerRepository('gitea', 'acme/other', dir);
    const get = (path: string, token = true) =>
      fetch(`${fakeApiUrl(fake.url, 'gitea')}${path}`, { headers: token ? { authorization: 'token t' } : {} });
    const range = `${commits[0]}...${commits[1]}`;
    expect((await get(`/repos/acme/other/compare/${range}`, false)).status).toBe(401);
    expect((await get(`/repos/acme/nobody/compare/${range}`)).status).toBe(404);
    expect((await get(`/repos/acme/other/compare/${'0'.repeat(40)}...${commits[1]}`)).status).toBe(404);
    expect((await get(`/repos/acme/other/compare/${range}`)).status).toBe(200);
  });

  it('refuses to register a folder that is no repository, or a shallow clone that would list a change short', () => {
    expect(fake.registerRepository('github', 'acme/none', tmpdir()).status).toBe(400);
    const { dir } = repository(['Bob', 'Alice'], 'Bob');
    const shallow = mkdtempSync(join(tmpdir(), 'gantry-shallow-'));
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${dir}`, shallow]);
    expect(fake.registerRepository('github', 'acme/shallow', shallow)).toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('shallow clone') },
    });
    expect(fake.registerRepository('svn', 'acme/app', dir).status).toBe(400);
  });

  it('remembers registered repositories across a restart of the control plane, when given a state file', async () => {
    const { dir, commits } = repository(['Bob'], 'Carol');
    const stateFile = join(mkdtempSync(join(tmpdir(), 'gantry-fake-state-')), 'providers', 'repositories.json');
    const first = await startFakeProviders({ stateFile });
    expect(first.registerRepository('github', 'acme/kept', dir).status).toBe(204);
    await first.close();
    const second = await startFakeProviders({ stateFile });
    try {
      const listed = await new HttpCommitHistory().commitsBetween({
        provider: 'github',
        apiUrl: fakeApiUrl(second.url, 'github'),
        token: 'local-token',
        repository: 'acme/kept',
        before: commits[0] ?? '',
        after: commits[1] ?? '',
      });
      expect(listed.map((c) => c.author.email)).toEqual(['bob@example.com']);
    } finally {
      await second.close();
    }
    const forgetful = await startFakeProviders();
    try {
      await expect(
        new HttpCommitHistory().commitsBetween({
          provider: 'github',
          apiUrl: fakeApiUrl(forgetful.url, 'github'),
          token: 'local-token',
          repository: 'acme/kept',
          before: commits[0] ?? '',
          after: commits[1] ?? '',
        }),
      ).rejects.toThrow();
    } finally {
      await forgetful.close();
    }
  });
});
