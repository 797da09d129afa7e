import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECISIONS_FILE, LocalIam } from '../../../local/iam';
import { fixtureArns } from '../../support/local-iam';
import { tempFolders } from '../../support/temp';

const ROLE = 'arn:aws:iam::000000000000:role/gantry-build';

describe('local IAM’s record of decisions while local mode stops', () => {
  const temp = tempFolders();

  const localIam = (dataDir: string) =>
    new LocalIam({
      iam: {
        roles: new Map([['gantry-build', { roleName: 'gantry-build', roleArn: ROLE, statements: [], trust: [] }]]),
        functionRoles: new Map([['arn:aws:lambda:us-east-1:000000000000:function:build', 'gantry-build']]),
        projectRoles: new Map(),
        resourcePolicies: new Map(),
        unresolved: [],
      },
      arns: fixtureArns('000000000000', []),
      dataDir,
    });
  const deny = (iam: LocalIam, key: string) =>
    iam.decideAs(ROLE, { action: 's3:GetObject', resource: `arn:aws:s3:::artifacts/${key}` });
  const recorded = (dataDir: string): string[] => {
    const file = join(dataDir, DECISIONS_FILE);
    if (!existsSync(file)) return [];
    const decisions = JSON.parse(readFileSync(file, 'utf8')) as {
      roles: Record<string, { denied?: { resource: string }[] }>;
    };
    return Object.values(decisions.roles).flatMap((r) => (r.denied ?? []).map((d) => d.resource));
  };

  it('writes a decision made after flush() at once: no timer is left that the exiting process would drop', () => {
    const dataDir = temp('gantry-iam-flush-');
    const iam = localIam(dataDir);
    expect(deny(iam, 'before')).toBeDefined();
    expect(recorded(dataDir)).toEqual([]); // batched: written soon, not during the call
    iam.flush();
    expect(recorded(dataDir)).toEqual(['arn:aws:s3:::artifacts/before']);
    expect(deny(iam, 'after')).toBeDefined();
    expect(recorded(dataDir)).toEqual(['arn:aws:s3:::artifacts/before', 'arn:aws:s3:::artifacts/after']);
  });
});
