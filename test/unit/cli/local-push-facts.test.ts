import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pushFacts } from '../../../cli/local/push';
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
});
