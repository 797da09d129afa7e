import { Match } from 'aws-cdk-lib/assertions';
import { PROVIDERS } from '../../events';
import { stateMachineDefinitions, synthGantry, testConfig } from '../support/cdk';

/** One connection and one pipeline per provider, self-hosted instances included. */
const ALL_PROVIDERS_YAML = `
connections:
  - { name: gh, provider: github }
  - { name: gl, provider: gitlab, apiUrl: https://gitlab.internal.example.com/api/v4 }
  - { name: bbc, provider: bitbucket-cloud }
  - { name: bbdc, provider: bitbucket-dc, apiUrl: https://bitbucket.internal.example.com }
  - { name: gt, provider: gitea, apiUrl: https://gitea.internal.example.com/api/v1 }
  - { name: fj, provider: forgejo, apiUrl: https://codeberg.org/api/v1 }
  - { name: ado, provider: azure-devops, apiUrl: https://dev.azure.com/acme }
pipelines:
  - { name: p-github, source: { provider: github, repository: acme/one, connection: gh }, triggers: { push: { branches: [main] } } }
  - { name: p-gitlab, source: { provider: gitlab, repository: acme/platform/two, connection: gl }, triggers: { push: { branches: [main] } } }
  - { name: p-bitbucket-cloud, source: { provider: bitbucket-cloud, repository: acme/three, connection: bbc }, triggers: { push: { branches: [main] } } }
  - { name: p-bitbucket-dc, source: { provider: bitbucket-dc, repository: ACME/four, connection: bbdc }, triggers: { push: { branches: [main] } } }
  - { name: p-gitea, source: { provider: gitea, repository: acme/five, connection: gt }, triggers: { push: { branches: [main] } } }
  - { name: p-forgejo, source: { provider: forgejo, repository: acme/six, connection: fj }, triggers: { push: { branches: [main] } } }
  - { name: p-azure-devops, source: { provider: azure-devops, repository: Acme/seven, connection: ado }, triggers: { pullRequests: { targetBranches: [main] } } }
`;

// One synthesis (with cdk-nag) for every test: synth is slow.
const gantry = synthGantry(testConfig(ALL_PROVIDERS_YAML), true);
const projects = Object.values(gantry.control$.findResources('AWS::CodeBuild::Project')).map(
  (p) => (p as { Properties: { Name: string; Source: { Type: string; Location: unknown } } }).Properties,
);

describe('a pipeline per provider', () => {
  it('synthesizes for all seven providers and passes the AWS Solutions checks', () => {
    expect(() => gantry.app.synth({ force: true })).not.toThrow();
    expect(projects.map((p) => p.Name).sort()).toEqual(
      PROVIDERS.flatMap((provider) => [
        `gantry-p-${provider}`,
        `gantry-p-${provider}-gated`,
        `gantry-p-${provider}-untrusted`,
      ]).sort(),
    );
  });

  it.each(PROVIDERS)('builds %s from the S3 snapshot under its own prefix, never a provider clone', (provider) => {
    for (const name of [`gantry-p-${provider}`, `gantry-p-${provider}-untrusted`]) {
      const project = projects.find((p) => p.Name === name);
      expect(project?.Source.Type).toBe('S3');
      expect(JSON.stringify(project?.Source.Location)).toContain(`/sources/p-${provider}/`);
    }
    const asl = stateMachineDefinitions(gantry).named(`gantry-pipeline-p-${provider}`);
    expect(asl.States.FetchSource).toMatchObject({ Next: 'SourceFetched?' });
    expect(asl.States.Build?.Parameters).toMatchObject({
      SourceTypeOverride: 'S3',
      'SourceLocationOverride.$': '$.source.value.snapshot.location',
      'SourceVersion.$': '$.source.value.snapshot.versionId',
    });
  });

  it('gives FetchSource every connection’s API URL, self-hosted ones included, and the artifacts bucket', () => {
    gantry.control$.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('^Fetches a run'),
      Environment: {
        Variables: Match.objectLike({
          ARTIFACTS_BUCKET_NAME: Match.anyValue(),
          STATUS_API_URLS: Match.serializedJson(
            Match.objectLike({
              gl: { provider: 'gitlab', apiUrl: 'https://gitlab.internal.example.com/api/v4' },
              bbdc: { provider: 'bitbucket-dc', apiUrl: 'https://bitbucket.internal.example.com' },
              ado: { provider: 'azure-devops', apiUrl: 'https://dev.azure.com/acme' },
            }),
          ),
        }),
      },
    });
  });
});
