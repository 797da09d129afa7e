import { ConfigError, parseGantryConfig } from '../../../infra/config/load';
import { foreignAccounts, isProduction } from '../../../infra/config/schema';

const HOME = '111111111111';
const PROD = '222222222222';

/** A pipeline with a dev and a prod environment, each released to a Lambda alias. */
function config(options: {
  controlPlane?: boolean;
  requireSeparateAccount?: boolean;
  devAccount?: string;
  prodAccount?: string;
  prodName?: string;
  production?: boolean;
}): string {
  const target = (env: string, account?: string) =>
    `        deploy:\n${account ? `          account: '${account}'\n` : ''}          application: app\n          deploymentGroup: ${env}\n          lambda: { function: fn-${env} }\n`;
  return [
    options.controlPlane === false ? '' : `controlPlane: { account: '${HOME}', region: eu-west-1 }\n`,
    'connections:\n  - name: gh\n    provider: github\n',
    'pipelines:\n  - name: svc\n    source: { provider: github, repository: a/b, connection: gh }\n',
    '    triggers: { push: { branches: [main, develop] } }\n',
    options.requireSeparateAccount ? '    requireSeparateAccount: true\n' : '',
    '    environments:\n',
    '      - name: dev\n        branches: develop\n',
    target('dev', options.devAccount),
    `      - name: ${options.prodName ?? 'prod'}\n        branches: main\n`,
    options.production === undefined ? '' : `        production: ${options.production}\n`,
    target('prod', options.prodAccount),
  ].join('');
}

function problems(yaml: string): string {
  try {
    parseGantryConfig(yaml, 'gantry.config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  return '';
}

describe('deploy targets in other accounts', () => {
  it('accepts a prod target in its own account, with dev in the control plane', () => {
    const parsed = parseGantryConfig(config({ requireSeparateAccount: true, prodAccount: PROD }), 'gantry.config.yaml');
    expect(parsed.controlPlane).toEqual({ account: HOME, region: 'eu-west-1' });
    expect(parsed.pipelines[0]?.environments[1]?.deploy?.account).toBe(PROD);
    expect(foreignAccounts(parsed)).toEqual([PROD]);
  });

  it('refuses a prod target that stays in the control plane account under requireSeparateAccount, saying what to set', () => {
    expect(problems(config({ requireSeparateAccount: true }))).toContain(
      "pipelines.0.environments.1.deploy: prod is a production environment and pipeline svc sets requireSeparateAccount: set deploy.account to the production account's id (not the control plane's, 111111111111)",
    );
  });

  it("refuses a prod target that names the control plane's own account under requireSeparateAccount", () => {
    expect(problems(config({ requireSeparateAccount: true, prodAccount: HOME }))).toContain(
      'pipelines.0.environments.1.deploy.account: prod is a production environment',
    );
  });

  it('lets a prod target share the account when the pipeline does not require separation', () => {
    expect(problems(config({}))).toBe('');
  });

  it('treats an environment marked production as prod whatever its name, and one marked otherwise as not', () => {
    expect(problems(config({ requireSeparateAccount: true, prodName: 'live', production: true }))).toContain(
      'live is a production environment',
    );
    expect(problems(config({ requireSeparateAccount: true, production: false }))).toBe('');
    expect(isProduction({ name: 'production' })).toBe(true);
    expect(isProduction({ name: 'staging' })).toBe(false);
  });

  it("refuses a target account when the control plane's account is not named", () => {
    expect(problems(config({ controlPlane: false, prodAccount: PROD }))).toContain(
      "pipelines.0.environments.1.deploy.account: a target in another account needs the control plane's: add controlPlane:",
    );
  });

  it('refuses an account id that is not 12 digits', () => {
    expect(problems(config({ prodAccount: '12345' }))).toContain(
      'pipelines.0.environments.1.deploy.account: an AWS account id is 12 digits',
    );
  });

  it('asks for an unquoted account id to be quoted (YAML reads it as a number)', () => {
    expect(problems(config({ prodAccount: PROD }).replace(`account: '${PROD}'`, `account: ${PROD}`))).toContain(
      'pipelines.0.environments.1.deploy.account: an AWS account id is 12 digits, quoted in YAML',
    );
  });

  it('lists each foreign account once, never the control plane account', () => {
    const parsed = parseGantryConfig(config({ devAccount: HOME, prodAccount: PROD }), 'gantry.config.yaml');
    expect(foreignAccounts(parsed)).toEqual([PROD]);
  });
});

describe('deploy target regions', () => {
  const withRegion = (region: string) =>
    config({ prodAccount: PROD }).replace(`account: '${PROD}'\n`, `account: '${PROD}'\n          region: ${region}\n`);

  it("accepts the control plane's region", () => {
    expect(problems(withRegion('eu-west-1'))).toBe('');
  });

  it('refuses another region: the function could not read the artifacts bucket', () => {
    expect(problems(withRegion('us-east-1'))).toContain(
      "pipelines.0.environments.1.deploy.region: the artifacts bucket is in the control plane's region (eu-west-1)",
    );
  });
});
