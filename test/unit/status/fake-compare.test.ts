import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FakeProviders, fakeApiUrl, startFakeProviders } from '../../../local/fakeprovider';
import { registerRepository } from '../../../local/fakeprovider/history';
import { HttpCommitHistory } from '../../../shared/history/reader';
import { entryContent } from '../../../shared/source/repack';
import { readCentralDirectory } from '../../../shared/source/zip-read';

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

describe('the fake provider’s git-backed APIs: compare (listing a change) and archives (fetching its source)', () => {
  let fake: FakeProviders;
  beforeAll(async () => {
    fake = await startFakeProviders();
  });
  afterAll(() => fake.close());

  it('lists a registered repository’s range, authors and committers, through the same client the cloud path uses', async () => {
    const { dir, commits } = repository(['Bob', 'Alice'], 'Carol');
    expect((await fake.registerRepository('github', 'acme/app', dir)).status).toBe(204);
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
    await fake.registerRepository('gitea', 'acme/other', dir);
    const get = (path: string, token = true) =>
      fetch(`${fakeApiUrl(fake.url, 'gitea')}${path}`, { headers: token ? { authorization: 'token t' } : {} });
    const range = `${commits[0]}...${commits[1]}`;
    expect((await get(`/repos/acme/other/compare/${range}`, false)).status).toBe(401);
    expect((await get(`/repos/acme/nobody/compare/${range}`)).status).toBe(404);
    expect((await get(`/repos/acme/other/compare/${'0'.repeat(40)}...${commits[1]}`)).status).toBe(404);
    expect((await get(`/repos/acme/other/compare/${range}`)).status).toBe(200);
  });

  it('lists every commit of the range: grafts and replace refs in the repository hide none', async () => {
    const { dir, commits } = repository(['Mallory', 'Alice'], 'Carol');
    const [base = '', mallory = '', head = ''] = commits;
    expect((await fake.registerRepository('gitea', 'acme/grafted', dir)).status).toBe(204);
    // Alice's commit claims the base as its parent, skipping Mallory's.
    mkdirSync(join(dir, '.git', 'info'), { recursive: true });
    writeFileSync(join(dir, '.git', 'info', 'grafts'), `${head} ${base}\n`);
    execFileSync('git', ['replace', '--graft', head, base], { cwd: dir });
    const res = await fetch(`${fakeApiUrl(fake.url, 'gitea')}/repos/acme/grafted/compare/${base}...${head}`, {
      headers: { authorization: 'token t' },
    });
    const body = (await res.json()) as { total_commits: number; commits: { sha: string }[] };
    expect(body.commits.map((c) => c.sha)).toEqual([mallory, head]);
  });

  it('refuses to register a folder that is no repository, or a shallow clone that would list a change short', async () => {
    expect((await fake.registerRepository('github', 'acme/none', tmpdir())).status).toBe(400);
    const { dir } = repository(['Bob', 'Alice'], 'Bob');
    const shallow = mkdtempSync(join(tmpdir(), 'gantry-shallow-'));
    execFileSync('git', ['clone', '--quiet', '--depth', '1', `file://${dir}`, shallow]);
    await expect(fake.registerRepository('github', 'acme/shallow', shallow)).resolves.toMatchObject({
      status: 400,
      body: { message: expect.stringContaining('shallow clone') },
    });
    expect((await fake.registerRepository('svn', 'acme/app', dir)).status).toBe(400);
  });

  it('remembers registered repositories across a restart of the control plane, when given a state file', async () => {
    const { dir, commits } = repository(['Bob'], 'Carol');
    const stateFile = join(mkdtempSync(join(tmpdir(), 'gantry-fake-state-')), 'providers', 'repositories.json');
    const first = await startFakeProviders({ stateFile });
    expect((await first.registerRepository('github', 'acme/kept', dir)).status).toBe(204);
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

  it('runs git off the event loop: a status call made while an archive is built is answered before it', async () => {
    const { dir, commits } = repository(['Bob'], 'Carol');
    // 16 MB that does not compress: git takes a few hundred milliseconds to zip it.
    writeFileSync(join(dir, 'large.bin'), randomBytes(16 * 1024 * 1024));
    execFileSync('git', ['add', 'large.bin'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=Carol', '-c', 'user.email=c@example.com', 'commit', '-qm', 'large'], {
      cwd: dir,
    });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    expect((await fake.registerRepository('github', 'acme/large', dir)).status).toBe(204);
    const api = fakeApiUrl(fake.url, 'github');
    const auth = { authorization: 'Bearer t' };
    const answered: string[] = [];
    const archivePath = `/github/repos/acme/large/zipball/${head}`;
    const archive = fetch(`${fake.url}${archivePath}`, { headers: auth }).then(async (res) => {
      answered.push('archive');
      return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
    });
    // Once the fake has the archive request (and git is zipping), a status call.
    for (let i = 0; !fake.requests().some((r) => r.path === archivePath); i += 1) {
      if (i > 2000) throw new Error('the archive request never reached the fake');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const status = await fetch(`${api}/repos/acme/large/statuses/${commits[1]}`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'pending', context: 'gantry/large' }),
    });
    answered.push('status');
    expect(status.status).toBe(201);
    const zip = await archive;
    expect(answered).toEqual(['status', 'archive']);
    expect([zip.status, zip.bytes.subarray(0, 2).toString()]).toEqual([200, 'PK']);
    expect(zip.bytes.length).toBeGreaterThan(16 * 1024 * 1024);
    rmSync(dir, { recursive: true, force: true }); // 16 MB no later test needs
  });

  it('serves the committed bytes: no filter driver, autocrlf or attributes file of the repository or the machine changes them', async () => {
    const { dir } = repository(['Bob'], 'Carol');
    const ran = join(dir, '.git', 'smudge-ran');
    writeFileSync(join(dir, '.gitattributes'), '*.txt filter=shout\n*.md filter=x=y\n');
    writeFileSync(join(dir, 'notes.txt'), 'committed words\n');
    execFileSync('git', ['add', '--all'], { cwd: dir });
    execFileSync('git', ['-c', 'user.name=Carol', '-c', 'user.email=c@example.com', 'commit', '-qm', 'notes'], {
      cwd: dir,
    });
    const head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, encoding: 'utf8' }).trim();
    // What a repository's config could make git archive run, and serve in place of what was committed.
    execFileSync('git', ['config', 'filter.shout.smudge', `touch '${ran}'; tr a-z A-Z`], { cwd: dir });
    execFileSync('git', ['config', 'filter.shout.required', 'true'], { cwd: dir });
    // A driver whose name holds `=`, which `-c filter.<name>.smudge=` could not turn off.
    execFileSync('git', ['config', 'filter.x=y.smudge', `touch '${ran}'; echo forged`], { cwd: dir });
    execFileSync('git', ['config', 'core.autocrlf', 'true'], { cwd: dir });
    writeFileSync(join(dir, '.git', 'info', 'attributes'), 'Bob.md export-ignore\n');
    const personal = join(dir, '.git', 'personal-attributes');
    writeFileSync(personal, 'notes.txt export-ignore\n');
    execFileSync('git', ['config', 'core.attributesFile', personal], { cwd: dir });
    expect((await fake.registerRepository('github', 'acme/filtered', dir)).status).toBe(204);

    const res = await fetch(`${fake.url}/github/repos/acme/filtered/zipball/${head}`, {
      headers: { authorization: 'Bearer t' },
    });
    expect(res.status).toBe(200);
    const zip = Buffer.from(await res.arrayBuffer());
    const entry = readCentralDirectory(zip, 100).find((e) => e.name.endsWith('/notes.txt'));
    expect(entry && entryContent(zip, entry, entry.name).toString()).toBe('committed words\n');
    const bob = readCentralDirectory(zip, 100).find((e) => e.name.endsWith('/Bob.md'));
    expect(bob && entryContent(zip, bob, bob.name).toString()).toBe('Bob');
    expect(existsSync(ran)).toBe(false);
  });

  it('asks git of a repository being registered off the event loop: its config blocking git stalls no other call', async () => {
    const { dir, commits } = repository(['Bob'], 'Carol');
    // A FIFO in the config's include: git's read of the config waits until something writes to it.
    const fifo = join(dir, '.git', 'blocker');
    execFileSync('mkfifo', [fifo]);
    execFileSync('git', ['config', 'include.path', 'blocker'], { cwd: dir });
    const released = join(dir, '.git', 'released');
    // The writer: once the test says so, or after 5 s whatever happens (so a blocked loop cannot hang the test).
    const writer = spawn(
      'sh',
      ['-c', `i=0; while [ ! -e '${released}' ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; : > '${fifo}'`],
      {
        stdio: 'ignore',
      },
    );
    const answered: string[] = [];
    const registered = fake.registerRepository('github', 'acme/blocked', dir).then((out) => {
      answered.push('register');
      return out;
    });
    const status = await fetch(`${fakeApiUrl(fake.url, 'github')}/repos/acme/blocked/statuses/${commits[1]}`, {
      method: 'POST',
      headers: { authorization: 'Bearer t', 'content-type': 'application/json' },
      body: JSON.stringify({ state: 'pending', context: 'gantry/blocked' }),
    });
    answered.push('status');
    writeFileSync(released, '');
    expect(status.status).toBe(201);
    expect((await registered).status).toBe(204);
    expect(answered).toEqual(['status', 'register']);
    await new Promise((resolve) => (writer.exitCode === null ? writer.once('exit', resolve) : resolve(undefined)));
  });

  it('refuses, with what to check, a repository git cannot read in time, and registers nothing', async () => {
    const { dir } = repository(['Bob'], 'Carol');
    execFileSync('mkfifo', [join(dir, '.git', 'blocker')]);
    execFileSync('git', ['config', 'include.path', 'blocker'], { cwd: dir });
    const repositories = new Map<string, string>();
    const out = await registerRepository(repositories, 'github', 'acme/stuck', dir, 300);
    expect(out).toEqual({
      status: 400,
      body: { message: `git rev-parse took longer than 0.3 s to read ${dir}: check its .git/config and includes` },
    });
    expect(repositories.size).toBe(0);
  });
});
