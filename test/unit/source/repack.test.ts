import { ArchiveRefusedError } from '../../../shared/source/errors';
import { checkArchive, DEFAULT_ARCHIVE_LIMITS, repackArchive } from '../../../shared/source/repack';
import { isSymlink, readCentralDirectory, unixMode } from '../../../shared/source/zip-read';
import { zipOf } from './zips';

const REPO = [
  { name: 'acme-app-0123abc/' },
  { name: 'acme-app-0123abc/buildspec.yml', content: 'version: 0.2\n' },
  { name: 'acme-app-0123abc/scripts/' },
  { name: 'acme-app-0123abc/scripts/ci.sh', content: '#!/bin/sh\necho ok\n', mode: 0o755 },
  { name: 'acme-app-0123abc/docs', symlink: 'scripts' },
];

function refusal(entries: Parameters<typeof zipOf>[0], strip = false, limits = DEFAULT_ARCHIVE_LIMITS): string {
  try {
    checkArchive(zipOf(entries), strip, limits);
  } catch (error) {
    if (error instanceof ArchiveRefusedError) return error.message;
    throw error;
  }
  throw new Error('the archive was accepted');
}

describe('repackArchive', () => {
  it('roots the snapshot at the repository: the provider’s top-level folder is stripped, modes and links kept', () => {
    const snapshot = repackArchive(zipOf(REPO), true);
    const entries = readCentralDirectory(snapshot.zip, 100);
    expect(entries.map((e) => e.name)).toEqual(['buildspec.yml', 'scripts/', 'scripts/ci.sh', 'docs']);
    expect(entries.map((e) => unixMode(e) & 0o777)).toEqual([0o644, 0o755, 0o755, 0o777]);
    expect(entries.map(isSymlink)).toEqual([false, false, false, true]);
    expect(snapshot).toMatchObject({ files: 3, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('writes every entry as made on Unix with a normal mode: no setuid or host-specific bits survive', () => {
    const snapshot = repackArchive(
      zipOf([
        { name: 'run.sh', content: '#!/bin/sh\n', rawMode: 0o104755 },
        { name: 'notes.txt', content: 'x', madeBy: 0x0014 },
      ]),
      false,
    );
    const entries = readCentralDirectory(snapshot.zip, 10);
    expect(entries.map((e) => [e.madeBy >> 8, unixMode(e).toString(8)])).toEqual([
      [3, '100755'],
      [3, '100644'],
    ]);
  });

  it('gives the same bytes, so the same digest, for the same archive', () => {
    expect(repackArchive(zipOf(REPO), true).sha256).toBe(repackArchive(zipOf(REPO), true).sha256);
  });

  it('keeps an archive served at the root (Bitbucket Data Center, Azure DevOps) as it is', () => {
    const snapshot = repackArchive(
      zipOf([
        { name: 'buildspec.yml', content: 'x' },
        { name: 'src/a.js', content: 'y' },
      ]),
      false,
    );
    expect(readCentralDirectory(snapshot.zip, 10).map((e) => e.name)).toEqual(['buildspec.yml', 'src/a.js']);
  });
});

describe('checkArchive refuses', () => {
  it.each([
    ['a path out of the repository', [{ name: 'a/../../etc/passwd', content: 'x' }], /leads out of the repository/],
    ['an absolute path', [{ name: '/etc/passwd', content: 'x' }], /absolute path/],
    ['a Windows drive path', [{ name: 'C:/x', content: 'x' }], /absolute path/],
    ['a backslash', [{ name: 'a\\..\\b', content: 'x' }], /backslash/],
    ['a symlink to an absolute path', [{ name: 'l', symlink: '/etc/shadow' }], /symlink l → \/etc\/shadow leads out/],
    ['a symlink up and out', [{ name: 'd/l', symlink: '../../x' }], /leads out/],
    [
      'a symlink that escapes through another link',
      [
        { name: 'a', symlink: '.' },
        { name: 'b/l', symlink: '../a/../..' },
      ],
      /leads out/,
    ],
    [
      'a link loop',
      [
        { name: 'a', symlink: 'b' },
        { name: 'b', symlink: 'a' },
      ],
      /leads out/,
    ],
    [
      'an entry beneath a symlink',
      [
        { name: 'l', symlink: 'd' },
        { name: 'l/x', content: 'x' },
      ],
      /beneath symlink l/,
    ],
    [
      'an entry beneath a file (it unpacks to one or the other)',
      [
        { name: 'f', content: 'x' },
        { name: 'f/x', content: 'x' },
      ],
      /entry f\/x lies beneath file f/,
    ],
    [
      'the same path twice',
      [
        { name: 'x', content: '1' },
        { name: 'x', content: '2' },
      ],
      /appears twice/,
    ],
    [
      'a symlink its archiver says was made on BeOS (extractors honour its Unix mode all the same)',
      [{ name: 'up', symlink: '../../..', madeBy: (16 << 8) | 20 }],
      /symlink up → \.\.\/\.\.\/\.\. leads out/,
    ],
    ['a symlink named as a folder', [{ name: 'evil/', symlink: '../..' }], /symlink evil\/ is named as a folder/],
    ['a device node', [{ name: 'tty', content: '', rawMode: 0o020666 }], /neither a file, a folder nor a link/],
    [
      'a header that lies about its size (a bomb)',
      [{ name: 'x', content: 'a'.repeat(10_000), declaredSize: 10 }],
      /declared/,
    ],
  ])('%s', (_what, entries, reason) => {
    expect(refusal(entries)).toMatch(reason);
  });

  it('an archive that unpacks past the bound, before inflating it', () => {
    const limits = { ...DEFAULT_ARCHIVE_LIMITS, maxUncompressedBytes: 1000 };
    expect(
      refusal(
        [
          { name: 'a', content: '0'.repeat(600) },
          { name: 'b', content: '0'.repeat(600) },
        ],
        false,
        limits,
      ),
    ).toMatch(/unpacks to more than 1000 bytes/);
  });

  it('too many entries, or too many bytes downloaded', () => {
    const many = Array.from({ length: 11 }, (_, i) => ({ name: `f${i}`, content: 'x' }));
    expect(refusal(many, false, { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 10 })).toMatch(/11 entries, more than 10/);
    expect(refusal(many, false, { ...DEFAULT_ARCHIVE_LIMITS, maxArchiveBytes: 100 })).toMatch(/more than 100$/);
  });

  it('something that is no ZIP, or not one folder where the provider puts one', () => {
    expect(() => checkArchive(Buffer.from('<html>sign in</html>'), true, DEFAULT_ARCHIVE_LIMITS)).toThrow(
      /not a ZIP file/,
    );
    expect(
      refusal(
        [
          { name: 'a/x', content: '1' },
          { name: 'b/y', content: '2' },
        ],
        true,
      ),
    ).toMatch(/one top-level folder/);
  });
});
