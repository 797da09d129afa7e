import { someBranch } from '../../../infra/config/globs';
import { formatProblem, validateGantryConfig } from '../../../infra/config/load';

interface P {
  name: string;
  repo?: string;
  provider?: 'github' | 'gitlab';
  push?: string;
  envs: string[];
}

/** One pipeline per entry, each on one line of flow YAML, so positions are easy to read. */
function configOf(pipelines: P[]): string {
  const lines = [
    'connections: [{ name: gh, provider: github }, { name: gl, provider: gitlab, apiUrl: "https://gl.example.com/api/v4" }]',
    'pipelines:',
  ];
  for (const p of pipelines) {
    const provider = p.provider ?? 'github';
    lines.push(`  - name: ${p.name}`);
    lines.push(
      `    source: { provider: ${provider}, repository: ${p.repo ?? 'acme/app'}, connection: ${provider === 'github' ? 'gh' : 'gl'} }`,
    );
    lines.push(`    triggers: ${p.push ?? '{ push: { branches: "*" } }'}`);
    lines.push('    environments:');
    for (const env of p.envs) lines.push(`      - ${env}`);
  }
  return `${lines.join('\n')}\n`;
}

function problems(pipelines: P[]): string[] {
  return validateGantryConfig(configOf(pipelines), 'g.yaml').problems.map(formatProblem);
}

describe('environments claiming one branch', () => {
  it('refuses two pipelines of one repository deploying the same push, naming the branch and the other', () => {
    expect(
      problems([
        { name: 'api', envs: ['{ name: prod, branches: main }'] },
        { name: 'web', envs: ['{ name: dev, branches: develop }', '{ name: live, branches: [main, "release/*"] }'] },
      ]),
    ).toEqual([
      'g.yaml:13:33: pipelines.1.environments.1.branches: a push to main of acme/app would deploy twice: here and to api/prod, which claims it too',
    ]);
  });

  it('finds the branch two globs share, not only equal globs', () => {
    expect(
      problems([
        { name: 'api', envs: ['{ name: prod, branches: "release/*" }'] },
        { name: 'web', envs: ['{ name: one, branches: "*/1.0" }'] },
      ]),
    ).toEqual([expect.stringContaining('a push to release/1.0 of acme/app would deploy twice')]);
  });

  it.each<[string, P[]]>([
    [
      'different repositories',
      [
        { name: 'api', envs: ['{ name: prod, branches: main }'] },
        { name: 'web', repo: 'acme/web', envs: ['{ name: prod, branches: main }'] },
      ],
    ],
    [
      'a branch one push trigger excludes',
      [
        { name: 'api', envs: ['{ name: prod, branches: main }'] },
        { name: 'web', push: '{ push: { branches: "*", exclude: main } }', envs: ['{ name: all, branches: "*" }'] },
      ],
    ],
    [
      'a branch one push trigger does not select',
      [
        { name: 'api', envs: ['{ name: prod, branches: main }'] },
        { name: 'web', push: '{ push: { branches: "feature/*" } }', envs: ['{ name: all, branches: "*" }'] },
      ],
    ],
    [
      'a pipeline that only builds tags (tags never deploy)',
      [
        { name: 'api', envs: ['{ name: prod, branches: main }'] },
        { name: 'web', push: '{ tags: { include: "*" } }', envs: ['{ name: all, branches: "*" }'] },
      ],
    ],
    [
      'globs that only meet on a name git refuses (ending in /)',
      [
        { name: 'api', envs: ['{ name: a, branches: "a/*" }'] },
        { name: 'web', envs: ['{ name: b, branches: "*/" }'] },
      ],
    ],
  ])('accepts %s', (_, pipelines) => {
    expect(problems(pipelines)).toEqual([]);
  });

  it('judges the claim by the first environment that selects the branch, as a run does', () => {
    // web's `all` selects main too, but `staging` comes first and takes it: only staging clashes with api.
    expect(
      problems([
        { name: 'api', envs: ['{ name: prod, branches: main }'] },
        { name: 'web', envs: ['{ name: staging, branches: main }', '{ name: all, branches: "*" }'] },
      ]),
    ).toEqual([
      expect.stringMatching(/^g\.yaml:12:36: pipelines\.1\.environments\.0\.branches: a push to main .* api\/prod,/),
    ]);
  });

  it('says when pipelines on two providers share a repository name (the trigger rule matches the name only)', () => {
    expect(
      problems([
        { name: 'api', envs: ['{ name: prod, branches: main }'] },
        { name: 'web', provider: 'gitlab', envs: ['{ name: prod, branches: main }'] },
      ]),
    ).toEqual([expect.stringContaining('github and gitlab pushes both run both')]);
  });

  it('refuses a glob of an environment whose every branch an earlier one of the pipeline takes', () => {
    expect(
      problems([
        {
          name: 'api',
          envs: ['{ name: prod, branches: "release/*" }', '{ name: hotfix, branches: [main, "release/hotfix-*"] }'],
        },
      ]),
    ).toEqual([
      'g.yaml:8:42: pipelines.0.environments.1.branches.1: release/hotfix-* claims no branch: prod, listed first, already claims every branch it selects (e.g. release/hotfix-), and a push deploys to the first environment that selects its branch',
    ]);
  });

  it('accepts a narrower glob listed before a wider one: that routes some branches elsewhere', () => {
    expect(
      problems([
        {
          name: 'api',
          envs: ['{ name: hotfix, branches: "release/hotfix-*" }', '{ name: prod, branches: "release/*" }'],
        },
      ]),
    ).toEqual([]);
  });
});

describe('someBranch', () => {
  it.each<[string[][], string[], string | null]>([
    [[['main'], ['main']], [], 'main'],
    [[['main'], ['develop']], [], null],
    [[['release/*'], ['*']], [], 'release/x'],
    [[['release/*'], ['*/1.0']], [], 'release/1.0'],
    [[['*a*b*c*'], ['*c*b*a*']], [], 'abcba'],
    [[['*'], ['*']], ['*'], null],
    [[['x*'], ['*']], ['x'], 'xy'],
    [[['release/**'], ['release/*']], ['release/*/*'], 'release/x'],
    [[['feature/\\*'], ['*']], [], null],
    [[['a/*'], ['*/']], [], null],
    [[['a*'], ['*.']], [], null],
    [[['a*'], ['*..*']], [], null],
    [[['*'], ['*']], [], 'x'],
  ])('%j less %j: %s', (all, none, expected) => {
    expect(someBranch({ all, none })).toBe(expected);
  });
});
