import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../../infra/paths';
import { cachedTemplates, templateKey } from '../../../local/template/synth-cache';
import type { StackTemplate } from '../../../local/template/types';
import { testConfig } from '../../support/cdk';

/** A project tree with one file in each folder the key reads. */
function fakeProject(): string {
  const root = mkdtempSync(join(tmpdir(), 'gantry-synth-key-'));
  const files: [string, string][] = [
    ['infra/app.ts', 'export const app = 1;'],
    ['shared/names.ts', 'export const name = "runs";'],
    ['functions/notify/handler.ts', 'export const handler = 1;'],
    ['examples/sample-service/index.mjs', 'export const hello = 1;'],
    ['package-lock.json', '{"lockfileVersion":3}'],
  ];
  for (const [path, text] of files) {
    mkdirSync(join(root, path, '..'), { recursive: true });
    writeFileSync(join(root, path), text);
  }
  return root;
}

describe('templateKey', () => {
  const dirs: string[] = [];
  const project = () => {
    const root = fakeProject();
    dirs.push(root);
    return root;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('is the same for the same config and sources', () => {
    const config = testConfig();
    expect(templateKey(config, project())).toBe(templateKey(testConfig(), project()));
  });

  it.each([
    ['a construct', 'infra/app.ts'],
    ['a shared constant', 'shared/names.ts'],
    ['a handler', 'functions/notify/handler.ts'],
    ['the sample service', 'examples/sample-service/index.mjs'],
    ['the lock file', 'package-lock.json'],
  ])('changes when %s changes by one byte', (_what, path) => {
    const root = project();
    const before = templateKey(testConfig(), root);
    writeFileSync(join(root, path), `${readFileSync(join(root, path), 'utf8')} `);
    expect(templateKey(testConfig(), root)).not.toBe(before);
  });

  it('changes when a source file is added', () => {
    const root = project();
    const before = templateKey(testConfig(), root);
    writeFileSync(join(root, 'infra', 'extra.ts'), '');
    expect(templateKey(testConfig(), root)).not.toBe(before);
  });

  it('changes with the config', () => {
    const root = project();
    const config = testConfig();
    const other = { ...config, pipelines: config.pipelines.slice(1) };
    expect(templateKey(other, root)).not.toBe(templateKey(config, root));
  });

  it('ignores the sample service’s installed packages', () => {
    const root = project();
    const before = templateKey(testConfig(), root);
    mkdirSync(join(root, 'examples', 'sample-service', 'node_modules'));
    writeFileSync(join(root, 'examples', 'sample-service', 'node_modules', 'x.js'), 'x');
    expect(templateKey(testConfig(), root)).toBe(before);
  });
});

describe('cachedTemplates', () => {
  let cacheDir: string;
  beforeEach(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'gantry-synth-cache-'));
  });
  afterEach(() => rmSync(cacheDir, { recursive: true, force: true }));

  const marker: StackTemplate[] = [{ stackName: 'FromTheCache', template: { Resources: {} } }];
  const entry = (config = testConfig()) => join(cacheDir, `synth-${templateKey(config, PROJECT_ROOT)}.json`);

  it('answers from an entry stored under the key of the config and sources', async () => {
    writeFileSync(entry(), JSON.stringify({ format: 'gantry-synth-v1', templates: marker }));
    await expect(cachedTemplates(testConfig(), { cacheDir })).resolves.toEqual(marker);
  });

  it('synthesizes on a miss, stores the templates, and answers the next call from them', async () => {
    const config = testConfig();
    const templates = await cachedTemplates(config, { cacheDir });
    expect(templates.map((t) => t.stackName)).toEqual(['GantryData', 'GantryControlPlane']);
    const stored = JSON.parse(readFileSync(entry(config), 'utf8')) as { templates: StackTemplate[] };
    expect(stored.templates).toEqual(templates);
    expect(readdirSync(cacheDir).filter((n) => n.endsWith('.tmp'))).toEqual([]);
    // A half-written or foreign entry is not believed: the call synthesizes again.
    writeFileSync(entry(config), '{"format":"gantry-synth-v1","templates":[{"stackN');
    await expect(cachedTemplates(config, { cacheDir })).resolves.toEqual(templates);
  });
});
