import type { Provider } from '../../../events';
import { ARCHIVE_APIS } from '../../../shared/source/archives';

const SHA = 'a'.repeat(40);
const TOKEN = 'tok-3n#/ret';

/** Each provider: a self-hosted (or organization) base URL, a repository, and what the request must be. */
const CASES: [Provider, string, string, string, Record<string, string>, boolean][] = [
  [
    'github',
    'https://github.example.com/api/v3',
    'acme/app',
    `https://github.example.com/api/v3/repos/acme/app/zipball/${SHA}`,
    { authorization: `Bearer ${TOKEN}`, 'x-github-api-version': '2022-11-28' },
    true,
  ],
  [
    'gitlab',
    'https://gitlab.example.com/api/v4',
    'acme/platform/app',
    `https://gitlab.example.com/api/v4/projects/acme%2Fplatform%2Fapp/repository/archive.zip?sha=${SHA}`,
    { 'private-token': TOKEN },
    true,
  ],
  [
    'bitbucket-cloud',
    'https://api.bitbucket.org/2.0',
    'acme/app',
    `https://bitbucket.org/acme/app/get/${SHA}.zip`,
    { authorization: `Bearer ${TOKEN}` },
    true,
  ],
  [
    'bitbucket-dc',
    'https://bitbucket.example.com',
    'ACME/app',
    `https://bitbucket.example.com/rest/api/latest/projects/ACME/repos/app/archive?at=${SHA}&format=zip`,
    { authorization: `Bearer ${TOKEN}` },
    false,
  ],
  [
    'gitea',
    'https://gitea.example.com/api/v1',
    'acme/app',
    `https://gitea.example.com/api/v1/repos/acme/app/archive/${SHA}.zip`,
    { authorization: `token ${TOKEN}` },
    true,
  ],
  [
    'forgejo',
    'https://codeberg.org/api/v1',
    'acme/app',
    `https://codeberg.org/api/v1/repos/acme/app/archive/${SHA}.zip`,
    { authorization: `token ${TOKEN}` },
    true,
  ],
  [
    'azure-devops',
    'https://tfs.example.com/DefaultCollection',
    'Acme Project/app',
    `https://tfs.example.com/DefaultCollection/Acme%20Project/_apis/git/repositories/app/items?scopePath=%2F&recursionLevel=Full&versionDescriptor.version=${SHA}&versionDescriptor.versionType=commit&%24format=zip&download=true&zipForUnix=true&api-version=7.1`,
    { authorization: `Basic ${Buffer.from(`:${TOKEN}`).toString('base64')}` },
    false,
  ],
];

describe('ARCHIVE_APIS', () => {
  it.each(CASES)(
    'asks %s for a ZIP of the commit at its own base URL, with its credentials',
    (provider, apiUrl, repository, url, headers, topFolder) => {
      const request = ARCHIVE_APIS[provider]({ provider, apiUrl, token: TOKEN, repository, commit: SHA });
      expect(request.url).toBe(url);
      expect(request.headers).toMatchObject(headers);
      expect(request.topFolder).toBe(topFolder);
      // Whatever header carries the token is redacted from every reason.
      expect(request.secrets.some((s) => Object.values(request.headers).includes(s))).toBe(true);
    },
  );

  it('uses a Bitbucket Cloud base URL that is not the API host as it is (a proxy, the local fake)', () => {
    const request = ARCHIVE_APIS['bitbucket-cloud']({
      provider: 'bitbucket-cloud',
      apiUrl: 'http://127.0.0.1:9000/bitbucket-cloud',
      token: TOKEN,
      repository: 'acme/app',
      commit: SHA,
    });
    expect(request.url).toBe(`http://127.0.0.1:9000/bitbucket-cloud/acme/app/get/${SHA}.zip`);
    // A host that merely starts with `api.` keeps its host, port and path: the token goes nowhere else.
    const proxied = ARCHIVE_APIS['bitbucket-cloud']({
      provider: 'bitbucket-cloud',
      apiUrl: 'https://api.corp-proxy.example.com:8443/bitbucket/2.0',
      token: TOKEN,
      repository: 'acme/app',
      commit: SHA,
    });
    expect(proxied.url).toBe(`https://api.corp-proxy.example.com:8443/bitbucket/2.0/acme/app/get/${SHA}.zip`);
  });

  it.each(['acme/../../admin', 'acme', 'a/b/c'])(
    'refuses a repository name that would add or drop path segments: %s',
    (repository) => {
      expect(() =>
        ARCHIVE_APIS.github({
          provider: 'github',
          apiUrl: 'https://api.github.com',
          token: TOKEN,
          repository,
          commit: SHA,
        }),
      ).toThrow(/repository must be owner\/name/);
    },
  );
});
