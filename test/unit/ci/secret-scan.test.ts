import { fileURLToPath } from 'node:url';
// @ts-expect-error: plain .mjs script without type declarations; CI runs it directly.
import { credentialsIn, scanTrackedFiles } from '../../../.ci/secret-scan.mjs';

const namesIn = credentialsIn as (text: string) => string[];
const scan = scanTrackedFiles as (cwd: string) => { files: number; findings: string[] };

describe('secret scan (.ci/secret-scan.mjs)', () => {
  it('flags credential shapes: an AWS key id of 20 characters, tokens, private keys', () => {
    // Built from parts so that this file itself holds no credential shape.
    expect(namesIn(`key = ${'AKIA'}${'ABCDEFGH'.repeat(2)}`)).toEqual(['AWS access key id']);
    expect(namesIn(`${'ASIA'}${'Z1'.repeat(8)}`)).toEqual(['AWS access key id']);
    expect(namesIn(`${'ghp'}_${'a'.repeat(36)}`)).toEqual(['GitHub token']);
    expect(namesIn(`-----BEGIN ${'RSA'} PRIVATE KEY-----`)).toEqual(['private key']);
  });

  it('leaves fixture keys that are not credential-shaped alone', () => {
    expect(namesIn("{ accessKeyId: 'AKIAGANTRYTEST01' }")).toEqual([]);
  });

  it('finds no credential shape in any tracked file (fixtures must use shorter, fake-looking keys)', () => {
    const { files, findings } = scan(fileURLToPath(new URL('../../..', import.meta.url)));
    expect(files).toBeGreaterThan(100);
    expect(findings).toEqual([]);
  });
});
