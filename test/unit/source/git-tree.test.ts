import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GitTree, gitObjectId, treeId } from '../../../shared/source/git-tree';
import { repackArchive } from '../../../shared/source/repack';
import { tempFolders } from '../../support/temp';
import { commitAll, type FixtureFile, git, initRepository, writeFiles } from './git-fixtures';
import { zipOf } from './zips';

const temp = tempFolders();

/** Names git orders byte-wise, a folder as if its name ended in `/`: `a-b`, `a.b`, `a/`, `a0`, `a_b`. */
const FIXTURE: Readonly<Record<string, FixtureFile>> = {
  'README.md': '# fixture\n',
  'a.b': 'dot\n',
  'a-b': 'dash\n',
  a0: 'zero\n',
  a_b: 'underscore\n',
  'a/inner.txt': 'in a\n',
  'a/deeper/still/leaf.json': '{"leaf":true}\n',
  'scripts/build.sh': { content: '#!/bin/sh\necho build\n', executable: true },
  'docs/current': { link: '../a/inner.txt' },
  'empty.txt': '',
  'ünïcode.txt': 'utf-8 name\n',
};

function fixture(format: 'sha1' | 'sha256' = 'sha1') {
  const dir = temp('gantry-tree-');
  initRepository(dir, format);
  writeFiles(dir, FIXTURE);
  const commit = commitAll(dir, 'fixture');
  return { dir, commit, tree: git(dir, 'rev-parse', 'HEAD^{tree}') };
}

function archiveOf(dir: string, commit: string, prefix = 'repo-top/'): Buffer {
  return execFileSync('git', ['archive', '--format=zip', `--prefix=${prefix}`, commit], { cwd: dir });
}

describe('gitObjectId', () => {
  it('gives a blob the id `git hash-object` gives it', () => {
    const dir = temp('gantry-blob-');
    const bytes = Buffer.from('hello\0binary\r\n', 'latin1');
    writeFileSync(join(dir, 'f'), bytes);
    expect(gitObjectId('blob', bytes, 'sha1')).toBe(
      execFileSync('git', ['hash-object', 'f'], { cwd: dir }).toString().trim(),
    );
    expect(gitObjectId('blob', Buffer.alloc(0), 'sha1')).toBe('e69de29bb2d1d6434b8b29ae775ad8c2e48c5391');
  });
});

describe('GitTree', () => {
  it('makes the tree `git write-tree` makes: executable bit, symlink, nested folders, git’s name order', () => {
    const { dir, tree } = fixture();
    const files = git(dir, 'ls-files', '-s', '-z')
      .split('\0')
      .filter((line) => line !== '')
      .map((line) => {
        const [meta = '', path = ''] = line.split('\t');
        const [mode = '', id = ''] = meta.split(' ');
        return { path, mode: mode as '100644' | '100755' | '120000', id };
      });
    expect(files.map((f) => f.mode)).toEqual(expect.arrayContaining(['100644', '100755', '120000']));
    expect(new GitTree(files, 'sha1').id).toBe(git(dir, 'write-tree'));
    expect(new GitTree(files, 'sha1').id).toBe(tree);
  });

  it('lists a folder’s entries with the ids `git ls-tree` shows', () => {
    const { dir } = fixture();
    const snapshot = repackArchive(archiveOf(dir, 'HEAD'), true);
    const listed = git(dir, 'ls-tree', 'HEAD:a')
      .split('\n')
      .map((line) => {
        const [meta = '', name = ''] = line.split('\t');
        const [mode = '', , id = ''] = meta.split(' ');
        return { name, mode: mode === '040000' ? '40000' : mode, id };
      });
    expect(snapshot.tree.entriesOf('a')).toEqual(expect.arrayContaining(listed));
    expect(snapshot.tree.entriesOf('a')).toHaveLength(listed.length);
    expect(snapshot.tree.entriesOf('nowhere')).toBeUndefined();
  });

  it('orders `a.b` before the folder `a/` and `a0` after it, as git does (not as a plain sort would)', () => {
    const blob = gitObjectId('blob', Buffer.from('x'), 'sha1');
    const sub = treeId([{ name: 'f', mode: '100644', id: blob }], 'sha1');
    const ordered = treeId(
      [
        { name: 'a0', mode: '100644', id: blob },
        { name: 'a', mode: '40000', id: sub },
        { name: 'a.b', mode: '100644', id: blob },
      ],
      'sha1',
    );
    const dir = temp('gantry-order-');
    initRepository(dir);
    writeFiles(dir, { a0: 'x', 'a/f': 'x', 'a.b': 'x' });
    commitAll(dir, 'order');
    expect(ordered).toBe(git(dir, 'rev-parse', 'HEAD^{tree}'));
  });
});

describe('the tree of a repacked `git archive`', () => {
  it('is the commit’s tree for an archive with a top-level folder (GitHub, GitLab, Gitea)', () => {
    const { dir, commit, tree } = fixture();
    expect(repackArchive(archiveOf(dir, commit), true).tree.id).toBe(tree);
  });

  it('is the commit’s tree for an archive served at the root (Bitbucket Data Center, Azure DevOps)', () => {
    const { dir, commit, tree } = fixture();
    expect(repackArchive(archiveOf(dir, commit, ''), false).tree.id).toBe(tree);
  });

  it('is the commit’s SHA-256 tree for a repository made with --object-format=sha256', () => {
    const { dir, commit, tree } = fixture('sha256');
    expect(tree).toHaveLength(64);
    expect(repackArchive(archiveOf(dir, commit), true, undefined, 'sha256').tree.id).toBe(tree);
  });

  it('ignores folders with nothing in them (git has none) and names them', () => {
    const { dir, commit, tree } = fixture();
    const plain = repackArchive(archiveOf(dir, commit), true);
    const zip = zipOf([{ name: 'top/' }, { name: 'top/vendor/' }, { name: 'top/x', content: 'x' }]);
    const padded = repackArchive(zip, true);
    expect(plain.tree.id).toBe(tree);
    expect(plain.emptyFolders).toEqual([]);
    expect(padded.emptyFolders).toEqual(['vendor']);
    expect(padded.tree.id).toBe(
      repackArchive(zipOf([{ name: 'top/' }, { name: 'top/x', content: 'x' }]), true).tree.id,
    );
  });

  it('differs from the commit’s tree once one byte of one file differs', () => {
    const { dir, commit, tree } = fixture();
    writeFiles(dir, { 'a/deeper/still/leaf.json': '{"leaf":false}\n' });
    const other = commitAll(dir, 'changed');
    expect(repackArchive(archiveOf(dir, other), true).tree.id).not.toBe(tree);
    expect(repackArchive(archiveOf(dir, commit), true).tree.id).toBe(tree);
  });
});
