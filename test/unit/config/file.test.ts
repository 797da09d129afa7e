import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configFilePath } from '../../../infra/config/file';
import { loadGantryConfig } from '../../../infra/config/load';

describe('configFilePath', () => {
  it.each<[string | undefined, NodeJS.ProcessEnv, string]>([
    ['mine.yaml', { GANTRY_CONFIG: 'env.yaml' }, 'mine.yaml'],
    [undefined, { GANTRY_CONFIG: 'env.yaml' }, 'env.yaml'],
    [undefined, {}, 'gantry.config.yaml'],
    [undefined, { GANTRY_CONFIG: '' }, 'gantry.config.yaml'],
    ['', { GANTRY_CONFIG: 'env.yaml' }, 'env.yaml'],
  ])('given %j and %j reads %s', (explicit, env, expected) => {
    expect(configFilePath(explicit, env)).toBe(expected);
  });
});

describe('loadGantryConfig with no path (what `cdk synth` runs)', () => {
  const saved = process.env.GANTRY_CONFIG;
  afterEach(() => {
    if (saved === undefined) delete process.env.GANTRY_CONFIG;
    else process.env.GANTRY_CONFIG = saved;
  });

  it('reads the file GANTRY_CONFIG names', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'gantry-config-')), 'other.yaml');
    writeFileSync(
      file,
      'connections: [{ name: gl, provider: gitlab, apiUrl: "https://gl.example.com/api/v4" }]\npipelines:\n  - name: elsewhere\n    source: { provider: gitlab, repository: team/app, connection: gl }\n    triggers: { push: { branches: main } }\n',
    );
    process.env.GANTRY_CONFIG = file;
    expect(loadGantryConfig().pipelines.map((p) => p.name)).toEqual(['elsewhere']);
  });

  it('treats an empty path as none, as `cdk synth` passes GANTRY_CONFIG through', () => {
    process.env.GANTRY_CONFIG = '/nonexistent/chosen.yaml';
    expect(() => loadGantryConfig('')).toThrow('/nonexistent/chosen.yaml: cannot read');
  });

  it('names the file GANTRY_CONFIG names when it cannot be read', () => {
    process.env.GANTRY_CONFIG = '/nonexistent/chosen.yaml';
    expect(() => loadGantryConfig()).toThrow('/nonexistent/chosen.yaml: cannot read the file (no such file)');
  });
});
