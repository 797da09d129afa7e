import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DECISIONS_FILE, type IamDecisions, LocalIam, type TemplateIam } from '../../../local/iam';
import { fixtureArns, runSession } from '../../support/local-iam';
import { DEPLOY, HOME, MAY_ASSUME, TRUST } from '../../support/trust-fixtures';

const BUILD = `arn:aws:iam::${HOME}:role/gantry-build`;

describe('local IAM’s record of what it refused', () => {
  let dataDir: string;
  let iam: LocalIam;
  const lines: string[] = [];

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'gantry-iam-records-'));
    const model: TemplateIam = {
      roles: new Map([
        ['gantry-build', { roleName: 'gantry-build', roleArn: BUILD, statements: MAY_ASSUME, trust: [] }],
        [`gantry-deploy-${HOME}`, { roleName: `gantry-deploy-${HOME}`, roleArn: DEPLOY, statements: [], trust: TRUST }],
      ]),
      functionRoles: new Map(),
      projectRoles: new Map([['gantry-build', 'gantry-build']]),
      resourcePolicies: new Map(),
      unresolved: [],
    };
    iam = new LocalIam({ iam: model, arns: fixtureArns(HOME), dataDir, onDenied: (line) => lines.push(line) });
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  const recorded = (): IamDecisions => {
    iam.flush();
    return JSON.parse(readFileSync(join(dataDir, DECISIONS_FILE), 'utf8')) as IamDecisions;
  };

  it('records a refused AssumeRole and prints it, as any other denial', () => {
    const refused = iam.assumeRole(
      { kind: 'role', roleName: 'gantry-build', roleArn: BUILD },
      runSession(DEPLOY, 'r-1'),
    );
    expect(refused).toMatchObject({ ok: false });
    expect(recorded().roles['gantry-build']?.denied).toContainEqual(
      expect.objectContaining({
        action: 'sts:AssumeRole',
        resource: DEPLOY,
        reason: expect.stringMatching(/trust policy/),
      }),
    );
    expect(lines).toContainEqual(expect.stringMatching(/IAM denied gantry-build: sts:AssumeRole on .*gantry-deploy-/));
  });

  it('records a person refused a role under that person', () => {
    const alice = 'arn:aws:iam::000000000000:user/alice';
    expect(iam.assumeRole({ kind: 'user', arn: alice }, runSession(DEPLOY, 'r-2'))).toMatchObject({ ok: false });
    expect(recorded().roles[alice]?.denied).toContainEqual(
      expect.objectContaining({ action: 'sts:AssumeRole', resource: DEPLOY }),
    );
    expect(lines).toContainEqual(expect.stringContaining(`IAM denied ${alice}: sts:AssumeRole on ${DEPLOY}`));
  });

  it('keeps the newest 200 denials of a role and counts the older ones it dropped', () => {
    for (let i = 0; i < 250; i++)
      iam.decideAs(BUILD, { action: 's3:GetObject', resource: `arn:aws:s3:::artifacts/object-${i}` });
    const role = recorded().roles['gantry-build'];
    expect(role?.denied).toHaveLength(200);
    expect(role?.denied.at(-1)?.resource).toBe('arn:aws:s3:::artifacts/object-249');
    // 250 reads and the AssumeRole above: 251 denials, the oldest 51 dropped.
    expect(role?.droppedDenials).toBe(51);
  });
});
