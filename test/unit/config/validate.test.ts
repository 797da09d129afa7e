import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pipelineDefinition } from '../../../infra/config/definitions';
import { formatProblem, parseGantryConfig, validateGantryConfig } from '../../../infra/config/load';

const ROOT = join(import.meta.dirname, '..', '..', '..');

function problems(yaml: string): string[] {
  return validateGantryConfig(yaml, 'g.yaml').problems.map(formatProblem);
}

describe('validateGantryConfig', () => {
  it('returns the default config with no problems', () => {
    const result = validateGantryConfig(readFileSync(join(ROOT, 'gantry.config.yaml'), 'utf8'), 'gantry.config.yaml');
    expect(result.problems).toEqual([]);
    expect(result.config?.pipelines.map((p) => p.name)).toEqual(['sample-service']);
  });

  it('reports structural and cross-reference problems together, each where it is, in file order', () => {
    // A misspelt key and a bad enum stop zod's own cross checks; the unknown connection is found anyway.
    const yaml = [
      'connections:',
      '  - name: gh',
      '    provider: github',
      '    secretNme: x',
      '  - name: gl',
      '    provider: svn',
      'pipelines:',
      '  - name: api',
      '    source: { provider: github, repository: acme/api, connection: nope }',
      '    triggers: { push: { branches: main } }',
      '  - name: web',
      '    source: { provider: github, repository: acme/web, connection: gh }',
      '    triggers: { push: { branches: main } }',
      '    build: { computeSize: huge }',
      '  - name: api',
      '    source: { provider: gitlab, repository: acme/app, connection: gl }',
      '    triggers: { push: { branches: main } }',
      '',
    ].join('\n');
    expect(problems(yaml)).toEqual([
      'g.yaml:4:5: connections.0.secretNme: Unrecognized key: "secretNme"',
      expect.stringMatching(/^g\.yaml:6:15: connections\.1\.provider: Invalid option/),
      'g.yaml:9:67: pipelines.0.source.connection: no connection named "nope" (known: gh, gl)',
      expect.stringMatching(/^g\.yaml:14:27: pipelines\.1\.build\.computeSize: Invalid option/),
      'g.yaml:15:11: pipelines.2.name: duplicate name "api"',
    ]);
  });

  it('reports YAML whose aliases expand without bound as a problem, not a crash', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= 9; i++)
      bomb.push(
        `${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(96 + i)}`)
          .join(', ')}]`,
      );
    expect(problems(bomb.join('\n'))).toEqual([expect.stringMatching(/^g\.yaml:1:1: unreadable YAML: .*alias/i)]);
  });

  it('reports a broken connection once, not again at each pipeline naming it', () => {
    const yaml =
      'connections:\n  - name: gl\n    provider: svn\npipelines:\n  - name: app\n    source: { provider: gitlab, repository: acme/app, connection: gl }\n    triggers: { push: { branches: main } }\n';
    expect(problems(yaml)).toEqual([expect.stringMatching(/^g\.yaml:3:15: connections\.0\.provider: /)]);
  });

  it('still checks the pipelines that parse when a connection has no readable name', () => {
    const yaml =
      'connections:\n  - provider: github\n  - name: gh\n    provider: github\npipelines:\n  - name: app\n    source: { provider: gitlab, repository: acme/app, connection: gh }\n    triggers: { push: { branches: main } }\n';
    expect(problems(yaml)).toEqual([
      expect.stringMatching(/^g\.yaml:2:5: connections\.0\.name: /),
      'g.yaml:7:25: pipelines.0.source.provider: is gitlab but connection "gh" is github',
    ]);
  });

  it('places each unknown key on the key itself', () => {
    expect(problems('connections:\n  - name: gh\n    provider: github\npipeline: []\nextra: 1\n')).toEqual([
      'g.yaml:4:1: pipeline: Unrecognized key: "pipeline"',
      'g.yaml:5:1: extra: Unrecognized key: "extra"',
    ]);
  });

  it.each([
    ['an empty file', '', 'g.yaml:1:1: (root): Invalid input: expected object, received null'],
    ['a list', '- a\n', 'g.yaml:1:1: (root): Invalid input: expected object, received array'],
    ['YAML that does not parse', 'connections: [\n', 'g.yaml:2:1: '],
    ['a key given twice', 'connections: []\nconnections: []\n', 'g.yaml:2:1: Map keys must be unique'],
  ])('refuses %s with a position', (_, yaml, message) => {
    expect(problems(yaml)[0]).toContain(message);
  });

  it("takes a Lambda target's configurationChanges: refuse by default, record to opt out, nothing else", () => {
    const yaml = readFileSync(join(ROOT, 'gantry.config.yaml'), 'utf8');
    const dev = 'lambda: { function: gantry-sample-service-dev, alias: live }';
    const prod = 'lambda: { function: gantry-sample-service-prod, alias: live }';
    const targets = (text: string) =>
      validateGantryConfig(text, 'g.yaml').config?.pipelines[0]?.environments.map(
        (e) => e.deploy?.lambda?.configurationChanges,
      );
    expect(targets(yaml)).toEqual(['refuse', 'refuse', 'refuse', 'refuse']);
    const opted = yaml.replace(dev, 'lambda: { function: gantry-sample-service-dev, configurationChanges: record }');
    expect(targets(opted)).toEqual(['record', 'refuse', 'refuse', 'refuse']);
    // …and the Deploy step reads it from the deployed pipeline's definition.
    const config = parseGantryConfig(opted, 'g.yaml');
    const pipeline = config.pipelines[0];
    if (pipeline === undefined) throw new Error('no pipeline');
    expect(pipelineDefinition(config, pipeline).environments[0]?.deploy?.lambda).toMatchObject({
      function: 'gantry-sample-service-dev',
      configurationChanges: 'record',
    });
    const unknown = yaml.replace(prod, 'lambda: { function: gantry-sample-service-prod, configurationChanges: allow }');
    expect(problems(unknown)).toEqual([
      expect.stringMatching(/pipelines\.0\.environments\.3\.deploy\.lambda\.configurationChanges: Invalid option/),
    ]);
  });

  it("refuses a Lambda artifact path with a wildcard or policy variable: a target account's grant names it", () => {
    const yaml = readFileSync(join(ROOT, 'gantry.config.yaml'), 'utf8');
    const prod = 'lambda: { function: gantry-sample-service-prod, alias: live }';
    expect(yaml).toContain(prod);
    const withArtifact = (artifact: string) =>
      problems(yaml.replace(prod, `lambda: { function: gantry-sample-service-prod, artifact: '${artifact}' }`));
    expect(withArtifact('build/out/function.zip')).toEqual([]);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, as a config file would hold it
    for (const artifact of ['*', 'dist/*.zip', 'dist/f?.zip', 'dist/${aws:username}.zip'])
      expect(withArtifact(artifact)).toEqual([
        expect.stringMatching(/environments\.3\.deploy\.lambda\.artifact: a path without \*, \? or \$/),
      ]);
    // Spelled otherwise than the build uploads it, the grant would name no object.
    for (const artifact of ['./dist/function.zip', 'dist//function.zip', 'dist/function.zip/', '../function.zip'])
      expect(withArtifact(artifact)).toEqual([
        expect.stringMatching(/environments\.3\.deploy\.lambda\.artifact: a plain relative path/),
      ]);
    expect(withArtifact('/dist/function.zip')).toEqual([]);
  });

  it('refuses gated secrets no build would receive, or that build.secrets already gives every trusted build', () => {
    const yaml = readFileSync(join(ROOT, 'gantry.config.yaml'), 'utf8');
    const build = '      timeoutMinutes: 15\n';
    expect(yaml).toContain(build);
    const withSecrets = (lines: string, from = yaml) => from.replace(build, `${build}${lines}`);
    // The sample's prod requires approval: its release builds get the gated secret.
    expect(problems(withSecrets('      gatedSecrets: { SIGNING_KEY: ci/signing }\n'))).toEqual([]);
    expect(
      problems(
        withSecrets(
          '      secrets: { SIGNING_KEY: ci/signing, NPM: ci/npm }\n      gatedSecrets: { SIGNING_KEY: ci/signing }\n',
        ),
      ),
    ).toEqual([
      expect.stringMatching(/build\.gatedSecrets\.SIGNING_KEY: SIGNING_KEY is also under build\.secrets/),
      expect.stringMatching(/build\.gatedSecrets\.SIGNING_KEY: secret ci\/signing is also read under build\.secrets/),
    ]);
    // One secret read under both: a build's role reads a secret whole, so the ungated builds would read the gated key.
    expect(
      problems(
        withSecrets(
          "      secrets: { REGISTRY_USER: 'prod/creds:user' }\n      gatedSecrets: { SIGNING_KEY: 'prod/creds:signing_key' }\n",
        ),
      ),
    ).toEqual([
      expect.stringMatching(
        /build\.gatedSecrets\.SIGNING_KEY: secret prod\/creds is also read under build\.secrets, and a build's role reads a secret whole/,
      ),
    ]);
    // An ARN would be granted as a secret named "arn".
    expect(
      problems(withSecrets("      gatedSecrets: { K: 'arn:aws:secretsmanager:eu-west-1:1:secret:prod/x-AbCdEf' }\n")),
    ).toEqual([expect.stringMatching(/build\.gatedSecrets\.K: name the secret \(name\[:json-key\]\), not its ARN/)]);
    // A wildcard in a name would be a wildcard in the grant (ci/* reads ci/release too).
    expect(problems(withSecrets("      secrets: { X: 'ci/*' }\n"))).toEqual([
      expect.stringMatching(/build\.secrets\.X: a secret's name holds only letters, digits and/),
    ]);
    // Only the name is granted: a JSON key may hold what a name may not.
    expect(problems(withSecrets("      secrets: { X: 'ci/npm:token?*' }\n"))).toEqual([]);
    // Another pipeline's ungated builds reading the secret read the gated key too.
    const second = [
      '  - name: gadgets',
      '    source: { provider: github, repository: gantry-demo/gadgets, connection: github-demo }',
      '    triggers: { push: { branches: develop } }',
      "    build: { secrets: { NPM: 'ci/signing:npm' } }",
      '',
    ].join('\n');
    const both = withSecrets("      gatedSecrets: { SIGNING_KEY: 'ci/signing:key' }\n").replace(
      /^pipelines:\n/m,
      `pipelines:\n${second}`,
    );
    expect(both).not.toEqual(withSecrets("      gatedSecrets: { SIGNING_KEY: 'ci/signing:key' }\n"));
    expect(problems(both)).toEqual([
      expect.stringMatching(
        /pipelines\.1\.build\.gatedSecrets\.SIGNING_KEY: secret ci\/signing is also read under build\.secrets of pipeline gadgets/,
      ),
    ]);
    const noApproval = yaml.replace(/required: true/g, 'required: false');
    expect(noApproval).not.toEqual(yaml);
    expect(problems(withSecrets('      gatedSecrets: { SIGNING_KEY: ci/signing }\n', noApproval))).toEqual([
      expect.stringMatching(/build\.gatedSecrets: no environment of pipeline sample-service requires approval/),
    ]);
  });

  it('throws the same problems from parseGantryConfig', () => {
    expect(() => parseGantryConfig('connections:\n  - name: gh\n    provider: svn\n', 'x.yaml')).toThrow(
      /^invalid Gantry config:\n {2}x\.yaml:3:15: connections\.0\.provider: Invalid option/,
    );
  });
});
