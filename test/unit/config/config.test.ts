import { join } from 'node:path';
import { ConfigError, loadGantryConfig, parseGantryConfig } from '../../../infra/config/load';
import { configWarnings, connectionSecretName } from '../../../infra/config/schema';

function problems(yaml: string): string {
  try {
    parseGantryConfig(yaml, 'gantry.config.yaml');
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected the config to be refused');
}

const CONNECTION = 'connections:\n  - name: gh\n    provider: github\n';

describe('the Gantry config', () => {
  it('ships a default file that is valid', () => {
    const config = loadGantryConfig(join(import.meta.dirname, '..', '..', '..', 'gantry.config.yaml'));
    expect(config.pipelines.map((p) => p.name)).toContain('sample-service');
  });

  it('names the secret after the connection unless told otherwise', () => {
    expect(connectionSecretName({ name: 'gh' })).toBe('gantry/connections/gh');
    expect(connectionSecretName({ name: 'gh', secretName: 'mine' })).toBe('mine');
  });

  it.each([
    [
      'a pipeline on an unknown connection',
      `${CONNECTION}pipelines:\n  - name: p\n    source:\n      provider: github\n      repository: a/b\n      connection: nope\n    triggers: { push: { branches: main } }\n`,
      'gantry.config.yaml:9:19: pipelines.0.source.connection: no connection named "nope" (known: gh)',
    ],
    [
      'a pipeline whose provider differs from its connection',
      `${CONNECTION}pipelines:\n  - name: p\n    source:\n      provider: gitlab\n      repository: a/b\n      connection: gh\n    triggers: { push: { branches: main } }\n`,
      'gantry.config.yaml:7:17: pipelines.0.source.provider: is gitlab but connection "gh" is github',
    ],
    [
      'one repository through two connections of its provider (github.com and an Enterprise Server)',
      `${CONNECTION}  - name: ghes\n    provider: github\n    apiUrl: https://ghe.example.com/api/v3\npipelines:\n  - name: p\n    source: { provider: github, repository: acme/app, connection: gh }\n    triggers: { push: { branches: main } }\n  - name: q\n    source: { provider: github, repository: Acme/App, connection: ghes }\n    triggers: { push: { branches: main } }\n`,
      'pipelines.1.source.connection: github repository Acme/App already comes through connection "gh" (pipeline p): a repository comes through one connection only',
    ],
    [
      "a pipeline named after another's gated build project (their projects would be one)",
      `${CONNECTION}pipelines:\n  - name: api\n    source: { provider: github, repository: acme/api, connection: gh }\n    triggers: { push: { branches: main } }\n  - name: api-gated\n    source: { provider: github, repository: acme/other, connection: gh }\n    triggers: { push: { branches: main } }\n`,
      'gantry.config.yaml:8:11: pipelines.1.name: pipeline "api-gated" would name its ungated build project CodeBuild project gantry-api-gated, the name of pipeline "api"\'s gated build project: rename one of the two pipelines',
    ],
    [
      "two pipelines' custom traffic shifts named alike (a's b-prod, a-b's prod)",
      `${CONNECTION}pipelines:\n  - name: a\n    source: { provider: github, repository: acme/a, connection: gh }\n    triggers: { push: { branches: main } }\n    environments:\n      - name: b-prod\n        branches: main\n        deploy: { application: x, deploymentGroup: y, lambda: { function: f }, strategy: { canary: { percent: 10, minutes: 5 } } }\n  - name: a-b\n    source: { provider: github, repository: acme/b, connection: gh }\n    triggers: { push: { branches: main } }\n    environments:\n      - name: prod\n        branches: main\n        deploy: { application: x, deploymentGroup: z, lambda: { function: g }, strategy: { canary: { percent: 10, minutes: 5 } } }\n`,
      'pipelines.1.name: pipeline "a-b" would name its environment prod\'s traffic shift CodeDeploy configuration gantry-a-b-prod, the name of pipeline "a"\'s environment b-prod\'s traffic shift: rename one of the two pipelines',
    ],
    [
      "a pipeline named after another's environment (their failed-run alarms would be one)",
      `${CONNECTION}pipelines:\n  - name: api\n    source: { provider: github, repository: acme/api, connection: gh }\n    triggers: { push: { branches: main } }\n    environments:\n      - name: prod\n        branches: main\n  - name: api-prod\n    source: { provider: github, repository: acme/other, connection: gh }\n    triggers: { push: { branches: main } }\n`,
      'pipelines.1.name: pipeline "api-prod" would name its failed-run alarm CloudWatch alarm gantry-pipeline-api-prod-failed, the name of pipeline "api"\'s environment prod\'s failed-run alarm: rename one of the two pipelines',
    ],
    [
      'duplicate connection names',
      `${CONNECTION}  - name: gh\n    provider: gitlab\n`,
      'gantry.config.yaml:4:11: connections.1.name: duplicate name "gh"',
    ],
    [
      'a misspelt key',
      `${CONNECTION}    secretNme: x\n`,
      'gantry.config.yaml:4:5: connections.0.secretNme: Unrecognized key: "secretNme"',
    ],
    [
      'an unknown provider',
      'connections:\n  - name: x\n    provider: svn\n',
      'gantry.config.yaml:3:15: connections.0.provider: Invalid option',
    ],
    [
      'a repository that is not owner/name',
      `${CONNECTION}pipelines:\n  - name: p\n    source: { provider: github, repository: widgets, connection: gh }\n`,
      'pipelines.0.source.repository: must look like owner/name',
    ],
    ['no connections', 'pipelines: []\n', 'connections: Invalid input'],
    [
      'an assumed-role session as a principal (its name is the caller’s choice)',
      `${CONNECTION}approvers:\n  identities:\n    alice: { principals: ["arn:aws:sts::123456789012:assumed-role/Dev/alice"] }\n`,
      'approvers.identities.alice.principals.0: an IAM user or role ARN',
    ],
    [
      'one role listed for two people',
      `${CONNECTION}approvers:\n  identities:\n    alice: { principals: ["arn:aws:iam::123456789012:role/Dev"] }\n    bob: { principals: ["arn:aws:iam::123456789012:role/Dev"] }\n`,
      "approvers.identities.bob.principals: arn:aws:iam::123456789012:role/Dev is also alice's: a principal is one person's",
    ],
    [
      'one role listed for two people under two paths and spellings',
      `${CONNECTION}approvers:\n  identities:\n    alice: { principals: ["arn:aws:iam::123456789012:role/Dev"] }\n    bob: { principals: ["arn:aws:iam::123456789012:role/team/dev"] }\n`,
      "approvers.identities.bob.principals: arn:aws:iam::123456789012:role/team/dev is also alice's",
    ],
    [
      'an Identity Center permission-set role as one person’s principal',
      `${CONNECTION}approvers:\n  identities:\n    alice: { principals: ["arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Admin_1"] }\n`,
      'is an IAM Identity Center permission-set role: every user of the permission set would act as alice',
    ],
    [
      'Identity Center user names with no permission-set role to trust them on',
      `${CONNECTION}approvers:\n  identities:\n    alice: { identityCenter: [alice@example.com] }\n`,
      'approvers.identities.alice.identityCenter: list the permission-set roles',
    ],
    [
      'a role that is not Identity Center’s as a permission-set role',
      `${CONNECTION}approvers:\n  identityCenterRoles: ["arn:aws:iam::123456789012:role/AWSReservedSSO_Fake_1"]\n`,
      'approvers.identityCenterRoles.0: an IAM Identity Center permission-set role ARN',
    ],
    [
      'operators from an undeclared group',
      `${CONNECTION}pipelines:\n  - name: p\n    source: { provider: github, repository: a/b, connection: gh }\n    triggers: { push: { branches: main } }\n    operators: [oncall]\n`,
      'gantry.config.yaml:8:17: pipelines.0.operators.0: no group named "oncall" (declare it under approvers.groups)',
    ],
    [
      'one console sign-in listed for two people',
      `${CONNECTION}console: { issuer: "https://idp.example.com", audience: c }\napprovers:\n  identities:\n    alice: { oidc: [00u-1] }\n    bob: { oidc: [00u-1] }\n`,
      "approvers.identities.bob.oidc: 00u-1 is also alice's: a console sign-in is one person",
    ],
    [
      'console sign-ins without a console',
      `${CONNECTION}approvers:\n  identities:\n    alice: { oidc: [00u-1] }\n`,
      'approvers.identities.alice.oidc: oidc values name people of the console: add a console: block',
    ],
    [
      'a console issuer that is not https',
      `${CONNECTION}console: { issuer: "http://idp.example.com", audience: c }\n`,
      'console.issuer',
    ],
    [
      'a symmetric or unsigned console algorithm',
      `${CONNECTION}console: { issuer: "https://idp.example.com", audience: c, algorithms: [HS256] }\n`,
      'console.algorithms.0',
    ],
    ['YAML that does not parse', 'connections: [\n', 'gantry.config.yaml:2:1:'],
  ])('refuses %s, saying where', (_, yaml, message) => {
    expect(problems(yaml)).toContain(message);
  });

  it('reports every problem at once, not just the first', () => {
    // Cross-field checks run once the shape is right, so every field here parses.
    const message = problems(
      `${CONNECTION}  - name: gh\n    provider: gitlab\npipelines:\n  - name: p\n    source: { provider: github, repository: a/b, connection: zz }\n    triggers: { push: { branches: main } }\n    environments: [{ name: prod, branches: main, approval: { required: true, approverGroups: [nobody] } }]\n`,
    );
    const lines = message.split('\n').filter((line) => line.includes('gantry.config.yaml:'));
    expect(lines.map((l) => l.replace(/^.*?: /, '').split(':')[0])).toEqual([
      'connections.1.name',
      'pipelines.0.source.connection',
      'pipelines.0.environments.0.approval.approverGroups.0',
    ]);
  });

  it('warns at synth about an approver whom separation of duties will always refuse', () => {
    const config = parseGantryConfig(
      `${CONNECTION}pipelines:\n  - name: p\n    source: { provider: github, repository: a/b, connection: gh }\n    triggers: { push: { branches: main } }\n    environments: [{ name: prod, branches: main, approval: { required: true, approverGroups: [rm] } }]\napprovers:\n  groups: { rm: [alice, bob] }\n  identities:\n    alice: { principals: ["arn:aws:iam::123456789012:user/alice"], git: { github: alice }, emails: [a@x.io] }\n    bob: { principals: ["arn:aws:iam::123456789012:user/bob"], git: { gitlab: bob } }\n`,
      'gantry.config.yaml',
    );
    expect(configWarnings(config)).toEqual([
      'pipeline p, environment prod: approver bob has no git.github and no emails, so separation of duties will refuse every decision of theirs (set approvers.identities.bob.git.github and .emails)',
    ]);
    expect(configWarnings(loadGantryConfig(join(import.meta.dirname, '..', '..', '..', 'gantry.config.yaml')))).toEqual(
      [],
    );
  });

  it('warns when the console names people by a claim they or an administrator can change', () => {
    const base = `${CONNECTION}pipelines:\n  - name: p\n    source: { provider: github, repository: a/b, connection: gh }\n    triggers: { push: { branches: main } }\n    environments: [{ name: dev, branches: main }]\nconsole:\n  issuer: https://idp.example.com\n  audience: c\n`;
    const warned = configWarnings(parseGantryConfig(`${base}  claim: preferred_username\n`, 'gantry.config.yaml'));
    expect(warned).toEqual([expect.stringContaining('console.claim is preferred_username')]);
    expect(configWarnings(parseGantryConfig(`${base}  claim: oid\n`, 'gantry.config.yaml'))).toEqual([]);
    expect(configWarnings(parseGantryConfig(base, 'gantry.config.yaml'))).toEqual([]);
  });

  it('says which file it cannot read', () => {
    expect(() => loadGantryConfig('/nonexistent/gantry.config.yaml')).toThrow('cannot read the file (no such file)');
  });
});
