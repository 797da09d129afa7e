import type { Provider } from '../../../events';
import { checkAttributes, shapingAttributes } from '../../../shared/source/attributes';
import { gitMode, TREE_APIS } from '../../../shared/source/trees';
import { compareFolder } from '../../../shared/source/verify';
import type { HttpRequest, HttpResponse } from '../../../shared/status/http';
import { deliveryOf } from '../../../shared/status/reporter';

const SHA = 'a'.repeat(40);
const TREE = 'b'.repeat(40);
const BLOB = 'c'.repeat(40);
const TOKEN = 'tok-3n#/ret';

const target = (provider: Provider, apiUrl: string, repository: string) => ({
  provider,
  apiUrl,
  token: TOKEN,
  repository,
  commit: SHA,
});

describe('TREE_APIS', () => {
  it.each([
    [
      'github',
      'https://github.example.com/api/v3',
      'acme/app',
      `https://github.example.com/api/v3/repos/acme/app/git/commits/${SHA}`,
      { tree: { sha: TREE } },
    ],
    [
      'gitea',
      'https://gitea.example.com/api/v1',
      'acme/app',
      `https://gitea.example.com/api/v1/repos/acme/app/git/commits/${SHA}?stat=false&verification=false&files=false`,
      { sha: SHA, commit: { tree: { sha: TREE } } },
    ],
    [
      'azure-devops',
      'https://dev.azure.com/acme',
      'Acme Project/app',
      `https://dev.azure.com/acme/Acme%20Project/_apis/git/repositories/app/commits/${SHA}?api-version=7.1`,
      { commitId: SHA, treeId: TREE },
    ],
  ] as const)('reads %s’s commit tree with the connection’s token', (provider, apiUrl, repository, url, body) => {
    const api = TREE_APIS[provider]?.commitTree;
    expect(api?.get(target(provider, apiUrl, repository)).url).toBe(url);
    expect(api?.read(body)).toBe(TREE);
    expect(api?.read({ tree: { sha: 'not an id' } })).toBeUndefined();
  });

  it.each([
    [
      'github',
      `https://h/repos/acme/app/git/trees/${TREE}`,
      { sha: TREE, tree: [{ path: 'src', mode: '040000', type: 'tree', sha: BLOB }], truncated: false },
    ],
    [
      'gitea',
      `https://h/repos/acme/app/git/trees/${TREE}?page=2&per_page=1000`,
      { sha: TREE, tree: [{ path: 'src', mode: '040000', type: 'tree', sha: BLOB }], truncated: false },
    ],
    [
      'azure-devops',
      `https://h/acme/_apis/git/repositories/app/trees/${TREE}?api-version=7.1`,
      { objectId: TREE, treeEntries: [{ relativePath: 'src', mode: '40000', objectId: BLOB, gitObjectType: 'tree' }] },
    ],
  ] as const)('lists a folder of %s by its tree id, modes as git writes them', (provider, url, body) => {
    const api = TREE_APIS[provider]?.entries;
    expect(api?.get(target(provider, 'https://h', 'acme/app'), { path: 'src', id: TREE }, 2).url).toBe(url);
    expect(api?.read(body)).toEqual({ entries: [{ name: 'src', mode: '40000', id: BLOB }], more: false });
  });

  it('lists a GitLab folder by its path at the commit, a page of 100 at a time', () => {
    const api = TREE_APIS.gitlab?.entries;
    const get = api?.get(
      target('gitlab', 'https://gl/api/v4', 'acme/platform/app'),
      { path: 'src/lib', id: undefined },
      3,
    );
    expect(get).toMatchObject({
      url: `https://gl/api/v4/projects/acme%2Fplatform%2Fapp/repository/tree?ref=${SHA}&per_page=100&page=3&path=src%2Flib`,
      headers: { 'private-token': TOKEN },
    });
    const page = Array.from({ length: 100 }, (_, i) => ({ id: BLOB, name: `f${i}`, type: 'blob', mode: '100644' }));
    expect(api?.read(page)?.more).toBe(true);
    expect(api?.read(page.slice(1))?.more).toBe(false);
    expect(TREE_APIS.gitlab?.commitTree).toBeUndefined();
  });

  it('refuses a listing it cannot read whole: a truncated GitHub tree, a bad mode, a name with a slash', () => {
    const github = TREE_APIS.github?.entries;
    const entry = { path: 'a', mode: '100644', type: 'blob', sha: BLOB };
    expect(github?.read({ tree: [entry], truncated: true })).toBeUndefined();
    expect(github?.read({ tree: [{ ...entry, mode: '100664' }] })).toBeUndefined();
    expect(github?.read({ tree: [{ ...entry, path: 'a/b' }] })).toBeUndefined();
  });

  it('has no git data API for Bitbucket, which names no tree or blob ids', () => {
    expect([TREE_APIS['bitbucket-cloud'], TREE_APIS['bitbucket-dc']]).toEqual([undefined, undefined]);
  });
});

describe('gitMode', () => {
  it.each([
    ['040000', '40000'],
    ['40000', '40000'],
    ['100755', '100755'],
    ['120000', '120000'],
    ['160000', '160000'],
    ['100664', undefined],
    ['644', undefined],
  ])('reads %s as %s', (mode, written) => {
    expect(gitMode(mode)).toBe(written);
  });
});

describe('compareFolder', () => {
  const file = (name: string, id = BLOB, mode: '100644' | '100755' = '100644') => ({ name, mode, id });

  it('names a changed file, a missing one, an extra one, a mode change, a submodule; a changed folder is read next', () => {
    const ours = [
      file('same'),
      file('changed', 'd'.repeat(40)),
      file('extra'),
      file('run.sh'),
      { name: 'src', mode: '40000' as const, id: TREE },
    ];
    const theirs = [
      file('same'),
      file('changed'),
      file('gone'),
      file('run.sh', BLOB, '100755'),
      { name: 'src', mode: '40000' as const, id: 'e'.repeat(40) },
      { name: 'vendor', mode: '160000' as const, id: SHA },
    ];
    expect(compareFolder('lib', ours, theirs)).toEqual([
      'lib/changed differs',
      'lib/gone is missing from the archive',
      'lib/run.sh is 100644 in the archive but 100755 in the commit',
      { path: 'lib/src', id: 'e'.repeat(40) },
      'lib/vendor is a submodule, which archives leave empty',
      'lib/extra is in the archive but not in the commit',
    ]);
  });
});

describe('shapingAttributes', () => {
  it.each([
    ['src/version.js export-subst', ['export-subst']],
    ['.gitattributes export-ignore\n/tests export-ignore', ['export-ignore']],
    ['*.c ident', ['ident']],
    ['*.psd filter=lfs diff=lfs merge=lfs -text\n*.enc filter=crypt', ['filter=crypt']],
    ['*.bat text eol=crlf', ['eol=crlf']],
    ['*.txt working-tree-encoding=UTF-16LE', ['working-tree-encoding=UTF-16LE']],
    ['[attr]release export-subst\nVERSION release', ['export-subst']],
    ['"with space.js" export-subst', ['export-subst']],
  ])('finds what shapes an archive in %j', (text, found) => {
    expect(shapingAttributes(text)).toEqual(found);
  });

  it.each([
    '* text=auto\n*.png binary\n*.sh text eol=lf',
    '# src/version.js export-subst\n',
    'src/version.js -export-subst !export-ignore',
    'export-subst.txt text',
    '"export-subst" -text',
    '*.psd filter=lfs diff=lfs merge=lfs -text',
  ])('finds nothing in %j', (text) => {
    expect(shapingAttributes(text)).toEqual([]);
  });
});

describe('checkAttributes on Bitbucket Cloud', () => {
  const json = (body: unknown): HttpResponse => ({ status: 200, headers: {}, body: JSON.stringify(body) });
  const api = 'https://api.bitbucket.org/2.0';

  it('lists on its own a folder the listing named but showed nothing in, and reads the .gitattributes found there', async () => {
    const requests: HttpRequest[] = [];
    const answers = [
      json({
        values: [
          { type: 'commit_directory', path: 'deep' },
          { type: 'commit_file', path: 'README.md' },
        ],
      }),
      json({
        values: [{ type: 'commit_file', path: 'deep/.gitattributes' }],
        next: `${api}/repositories/acme/app/src/${SHA}/deep/?page=2`,
      }),
      json({ values: [{ type: 'commit_file', path: 'deep/x.js' }] }),
      { status: 200, headers: {}, body: 'x.js export-subst\n' },
    ];
    const http = {
      send: async (r: HttpRequest) => {
        requests.push(r);
        return answers.shift() ?? { status: 500, headers: {}, body: '' };
      },
    };
    const delivery = deliveryOf({ http, retry: { maxAttempts: 1 } });
    await expect(checkAttributes(target('bitbucket-cloud', api, 'acme/app'), delivery)).rejects.toThrow(
      /^the commit’s deep\/\.gitattributes sets export-subst/,
    );
    expect(requests.map((r) => r.url)).toEqual([
      `${api}/repositories/acme/app/src/${SHA}/?max_depth=32&pagelen=100`,
      `${api}/repositories/acme/app/src/${SHA}/deep/?max_depth=32&pagelen=100`,
      `${api}/repositories/acme/app/src/${SHA}/deep/?page=2`,
      `${api}/repositories/acme/app/src/${SHA}/deep/.gitattributes`,
    ]);
  });

  it('follows no next link off the connection’s apiUrl (the token goes nowhere else)', async () => {
    const http = {
      send: async () => json({ values: [], next: 'https://elsewhere.example.com/steal' }),
    };
    await expect(
      checkAttributes(target('bitbucket-cloud', api, 'acme/app'), deliveryOf({ http, retry: { maxAttempts: 1 } })),
    ).rejects.toThrow(/next page lies outside the connection’s apiUrl/);
  });
});
