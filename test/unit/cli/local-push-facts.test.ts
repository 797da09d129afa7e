import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { localPush, pushFacts } from '../../../cli/local/push';
import { loadGantryConfig } from '../../../infra/config/load';
import { seedSecretsFile } from '../../../local/secretsmanager';
import { tempFolders } from '../../support/temp';

/** `gantry local push` reads what it delivers from a repository someone else may have made. */
describe('what gantry local push reads from the repository', () => {
  const temp = tempFolders();

  function repository() {
    const dir = temp('gantry-push-facts-');
    const git = (...args: string[]) => execFileSync('git', args, { cwd: dir, encoding: 'utf8' }).trim();
    const commit = (author: string, file: string) => {
      writeFileSync(join(dir, file), file);
      git('add', '--all');
      git(
        '-c',
        `user.name=${author}`,
        '-c',
        `user.email=${author.toLowerCase()}@example.com`,
        '-c',
        'commit.gpgsign=false',
        'commit',
        '--quiet',
        '-m',
        `${author}'s ${file}`,
      );
      return git('rev-parse', 'HEAD');
    };
    git('init', '--quiet', '-b', 'main');
    return { dir, git, commit };
  }

  it('delivers the branch it names, never a tag or other ref of the same name', () => {
    const { dir, git, commit } = repository();
    const base = commit('Alice', 'a.txt');
    const mine = commit('Alice', 'b.txt');
    git('checkout', '--quiet', '-b', 'other', base);
    const theirs = commit('Mallory', 'c.txt');
    git('tag', 'main', theirs);
    git('update-ref', 'refs/main', theirs);
    git('checkout', '--quiet', 'main');

    for (const facts of [pushFacts(dir, 'acme/app', 'main'), pushFacts(dir, 'acme/app', undefined)]) {
      expect([facts.branch, facts.after, facts.before]).toEqual(['main', mine, base]);
      expect(facts.commits.map((c) => [c.id, c.author.name])).toEqual([[mine, 'Alice']]);
    }
  });

  it('refuses a branch name that git would read as an option, and writes nothing', () => {
    const { dir, git, commit } = repository();
    commit('Alice', 'a.txt');
    const written = join(temp('gantry-push-target-'), 'INJECTED');
    git('update-ref', `refs/heads/--output=${written}`, 'HEAD');
    git('symbolic-ref', 'HEAD', `refs/heads/--output=${written}`);

    expect(() => pushFacts(dir, 'acme/app', undefined)).toThrow(/is not a branch name/);
    expect(() => pushFacts(dir, 'acme/app', `--output=${written}`)).toThrow(/is not a branch name/);
    expect(() => pushFacts(dir, 'acme/app', 'a..b')).toThrow(/is not a branch name/);
    expect(() => pushFacts(dir, 'acme/app', 'nowhere')).toThrow(/no branch nowhere/);
    expect(existsSync(written)).toBe(false);
    expect(existsSync(`${written}^{commit}`)).toBe(false);
  });

  it('reports the commits as they are: replace refs and grafts change no author or parent', () => {
    const { dir, git, commit } = repository();
    const base = commit('Alice', 'a.txt');
    const middle = commit('Bob', 'b.txt');
    const head = commit('Carol', 'c.txt');
    // A forged Carol commit by Mallory, put in place of the real one, and a graft that drops Bob's.
    const forged = git('commit-tree', `${head}^{tree}`, '-p', base, '-m', 'forged');
    git('replace', head, forged);
    writeFileSync(join(dir, '.git', 'info', 'grafts'), `${head} ${base}\n`);

    const facts = pushFacts(dir, 'acme/app', 'main');
    expect([facts.after, facts.before]).toEqual([head, middle]);
    expect(facts.commits.map((c) => [c.id, c.author.name, c.message])).toEqual([[head, 'Carol', "Carol's c.txt"]]);
  });

  it('pushes a branch reset to an older commit as a move from where its last local push left it', async () => {
    const { dir, git, commit } = repository();
    commit('Alice', 'a.txt');
    const b = commit('Alice', 'b.txt');
    const c = commit('Alice', 'c.txt');
    const data = temp('gantry-push-data-');
    const secretsFile = join(data, 'secrets.json');
    seedSecretsFile(secretsFile, {
      'gantry/connections/github-demo': JSON.stringify({ webhookSecret: 'x', apiToken: 'y' }),
    });
    const bodies: { before: string; after: string }[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk) => {
        body += chunk;
      });
      req.on('end', () => {
        bodies.push(JSON.parse(body) as { before: string; after: string });
        res.writeHead(202, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    try {
      const options = {
        config: loadGantryConfig(join(import.meta.dirname, '..', '..', '..', 'gantry.config.yaml')),
        webhookUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        secretsFile,
        repoDir: dir,
        repository: 'gantry-demo/sample-service',
      };
      await localPush(options);
      git('reset', '--quiet', '--hard', b);
      await localPush(options);
      // The first push is read from the commits (c's parent); the second from where the first left
      // the branch, as a provider reports a force push: not a late delivery of b's own first push.
      expect(bodies.map((p) => [p.before, p.after])).toEqual([
        [b, c],
        [c, b],
      ]);
    } finally {
      server.close();
    }
  });
});
