import type { Principal } from '../../../local/edge/identity';
import { type LocalIam, templateIam } from '../../../local/iam';
import type { TemplateResolver } from '../../../local/template/resolver';
import { stepRoleName } from '../../../shared/config/names';
import { multiAccountYaml, testConfig } from '../../support/cdk';
import { codeDeployCall, localIamOf, runSession } from '../../support/local-iam';

const HOME = '111111111111';
const PROD = '222222222222';
const DEV = '333333333333';
const REGION = 'eu-west-1';
const deployRole = (account: string) => `arn:aws:iam::${account}:role/gantry-deploy-${HOME}`;

/** widgets' dev and prod each in its own target account: two GantryTarget stacks, two deploy roles of one name. */
const CONFIG = testConfig(multiAccountYaml(HOME, REGION, { prod: PROD, dev: DEV }));

describe('local mode with targets in two other accounts (deploy roles share their name)', () => {
  let resolver: TemplateResolver;
  let iam: LocalIam;
  let close: () => void;

  beforeAll(() => {
    ({ resolver, iam, close } = localIamOf(CONFIG, REGION));
  }, 120_000);
  afterAll(() => close());

  const release = (): Extract<Principal, { kind: 'role' }> => {
    const name = stepRoleName('deploy-release', REGION);
    return { kind: 'role', roleName: name, roleArn: `arn:aws:iam::${HOME}:role/${name}` };
  };
  const asRun = runSession;
  const codeDeploy = codeDeployCall;
  const create = (group: string) =>
    codeDeploy('CreateDeployment', { applicationName: 'widgets', deploymentGroupName: group, revision: {} });

  it('knows both deploy roles, each with its own ARN', () => {
    const arns = [...templateIam(resolver).roles.values()].map((r) => r.roleArn);
    expect(arns).toEqual(expect.arrayContaining([deployRole(PROD), deployRole(DEV)]));
  });

  it('lets the release step assume the deploy role in either account', () => {
    for (const account of [PROD, DEV]) {
      const decision = iam.assumeRole(release(), asRun(deployRole(account), 'run-1'));
      expect(decision).toMatchObject({ ok: true, principal: { roleArn: deployRole(account) } });
    }
  });

  it("gives each account's session its own role's grants, never the other account's", () => {
    const dev = iam.assumeRole(release(), asRun(deployRole(DEV), 'run-1'));
    const prod = iam.assumeRole(release(), asRun(deployRole(PROD), 'run-1'));
    if (!dev.ok || !prod.ok) throw new Error('refused');
    expect(iam.decide(dev.principal, create('dev'))).toBeUndefined();
    expect(iam.decide(dev.principal, create('prod'))).toMatchObject({
      resource: `arn:aws:codedeploy:${REGION}:${DEV}:deploymentgroup:widgets/prod`,
    });
    expect(iam.decide(prod.principal, create('prod'))).toBeUndefined();
    expect(iam.decide(prod.principal, create('dev'))).toMatchObject({
      resource: `arn:aws:codedeploy:${REGION}:${PROD}:deploymentgroup:widgets/dev`,
    });
  });
});
