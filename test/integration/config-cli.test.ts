import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gantry, gantryWith } from '../support/cli';

const dir = mkdtempSync(join(tmpdir(), 'gantry-config-cli-'));

/** Three problems of three kinds: a misspelt key, an unknown connection, one push deploying twice. */
const BAD = join(dir, 'bad.yaml');
writeFileSync(
  BAD,
  [
    'connections:',
    '  - name: gh',
    '    provider: github',
    '    secretNme: x',
    'pipelines:',
    '  - name: api',
    '    source: { provider: github, repository: acme/app, connection: nope }',
    '    triggers: { push: { branches: "*" } }',
    '    environments: [{ name: prod, branches: main }]',
    '  - name: web',
    '    source: { provider: github, repository: acme/app, connection: gh }',
    '    triggers: { push: { branches: main } }',
    '    environments: [{ name: live, branches: main }]',
    '',
  ].join('\n'),
);

const GOOD = join(dir, 'good.yaml');
writeFileSync(
  GOOD,
  'connections: [{ name: gh, provider: github }]\npipelines:\n  - name: chosen\n    source: { provider: github, repository: acme/chosen, connection: gh }\n    triggers: { push: { branches: main } }\n    environments: [{ name: live, branches: main }]\n',
);

const MISSING = join(dir, 'missing.yaml');

/** Our environment, with GANTRY_CONFIG set as given (or removed). */
function envWith(config: string | undefined): NodeJS.ProcessEnv {
  const { GANTRY_CONFIG: _, ...env } = process.env;
  return config === undefined ? env : { ...env, GANTRY_CONFIG: config };
}

describe('gantry config validate', () => {
  it('prints what each pipeline of the default config does, and exits 0', async () => {
    const out = await gantryWith({ env: envWith(undefined) }, 'config', 'validate');
    expect(out.code).toBe(0);
    expect(out.stdout).toMatch(/^gantry\.config\.yaml: valid, 1 pipeline$/m);
    expect(out.stdout).toMatch(
      /^ {4}release\/\*\s+prod\s+1 of release-managers \(alice, bob\).*gantry-sample-service-prod:live/m,
    );
  });

  it('reports all three problems of a file, each at its line and column, and exits 1', async () => {
    const out = await gantry('config', 'validate', '--file', BAD);
    expect(out.code).toBe(1);
    expect(out.stdout.trim().split('\n')).toEqual([
      `${BAD}:4:5: connections.0.secretNme: Unrecognized key: "secretNme"`,
      `${BAD}:7:67: pipelines.0.source.connection: no connection named "nope" (known: gh)`,
      `${BAD}:13:44: pipelines.1.environments.0.branches: a push to main of acme/app would deploy twice: here and to api/prod, which claims it too`,
    ]);
    expect(out.stderr).toContain(`gantry: 3 problems in ${BAD}`);
  });

  it('gives problems and the summary as JSON with --json', async () => {
    const bad = await gantry('config', 'validate', '--file', BAD, '--json');
    expect(bad.code).toBe(1);
    const report = JSON.parse(bad.stdout) as { valid: boolean; problems: { line: number; column: number }[] };
    expect(report.valid).toBe(false);
    expect(report.problems.map((p) => [p.line, p.column])).toEqual([
      [4, 5],
      [7, 67],
      [13, 44],
    ]);
    const good = await gantry('config', 'validate', '--file', GOOD, '--json');
    expect(good.code).toBe(0);
    expect(JSON.parse(good.stdout)).toMatchObject({
      file: GOOD,
      valid: true,
      problems: [],
      pipelines: [{ name: 'chosen', environments: [{ name: 'live', branches: ['main'], example: 'main' }] }],
    });
  });

  it('says clearly that a file is missing, and exits 2', async () => {
    const out = await gantry('config', 'validate', '--file', MISSING);
    expect(out).toMatchObject({ code: 2, stdout: '' });
    expect(out.stderr).toContain(`gantry: ${MISSING}: cannot read the file (no such file)`);
  });

  it('validates the file GANTRY_CONFIG names, unless --file names another', async () => {
    const fromEnv = await gantryWith({ env: envWith(BAD) }, 'config', 'validate');
    expect(fromEnv.code).toBe(1);
    expect(fromEnv.stderr).toContain(`3 problems in ${BAD}`);
    const overridden = await gantryWith({ env: envWith(BAD) }, 'config', 'validate', '--file', GOOD);
    expect(overridden.code).toBe(0);
    expect(overridden.stdout).toContain(`${GOOD}: valid, 1 pipeline`);
  });
});

describe('gantry local up (npm start) and GANTRY_CONFIG', () => {
  it('builds from the file GANTRY_CONFIG names: an invalid one stops it before anything starts', async () => {
    const out = await gantryWith({ env: envWith(BAD) }, 'local', 'up', '--data-dir', join(dir, 'data'));
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toContain(`${BAD}:7:67: pipelines.0.source.connection: no connection named "nope"`);
  });

  it('prefers --config to GANTRY_CONFIG', async () => {
    const out = await gantryWith(
      { env: envWith(MISSING) },
      'local',
      'up',
      '--config',
      BAD,
      '--data-dir',
      join(dir, 'data'),
    );
    expect(out.code).toBe(2);
    expect(out.stderr).toContain(`${BAD}:4:5:`);
    expect(out.stderr).not.toContain(MISSING);
  });
});
