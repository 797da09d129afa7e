import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parquetReadObjects } from 'hyparquet';
import { lazyImportsOf } from '../../../infra/lazy-modules.mjs';
import { PROJECT_ROOT } from '../../../infra/paths';
import { bundleEntry } from '../../support/bundles';

/** Two ledger events, as the export reads them. */
const EVENTS = [1, 2].map((seq) => ({
  id: `evt-${seq}`,
  time: `2026-12-0${seq}T10:00:00.000Z`,
  type: 'gate.evaluated',
  outcome: 'success',
  chain: 'acme/payments',
  seq,
  actor: { type: 'system', id: 'gates', providerIdentity: null },
  subject: { repository: 'acme/payments', commit: 'a'.repeat(40), runId: 'run-1', environment: null, pipeline: 'p' },
  correlationId: 'run-1',
  details: { gate: 'coverage' },
  prevHash: '0'.repeat(64),
  hash: String(seq).repeat(64),
}));

/**
 * The Parquet writer is one of three export formats, and was a fifth of the console's bundle: it
 * ships beside the bundle (infra/lazy-modules.mjs) and loads on the first Parquet export. What
 * proves it: the bundle holds none of it, yet the export works from the bundle's folder alone.
 */
describe('a package only some requests use, shipped beside the bundle', () => {
  // Outside the project, so that Node cannot find the package in the project's node_modules: only
  // what ships beside the bundle can answer (the export code needs no AWS SDK).
  const dir = mkdtempSync(join(tmpdir(), 'gantry-lazy-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is left out of the bundle, and a Parquet export run from the bundle loads it from beside it', async () => {
    const folder = join(dir, 'exports');
    mkdirSync(folder);
    const entry = join(folder, 'entry.ts');
    writeFileSync(entry, `export { exportAudit } from ${JSON.stringify(join(PROJECT_ROOT, 'shared/audit/export'))};\n`);
    const bundle = join(folder, 'index.cjs');
    const metafile = await bundleEntry(entry, bundle);
    expect(Object.keys(metafile.inputs).filter((path) => path.includes('hyparquet'))).toEqual([]);
    expect(lazyImportsOf(bundle)).toEqual(['hyparquet-writer']);
    expect(existsSync(join(folder, 'node_modules', 'hyparquet-writer', 'index.mjs'))).toBe(true);

    const driver = join(folder, 'driver.cjs');
    writeFileSync(
      driver,
      [
        "const { exportAudit } = require('./index.cjs');",
        'const events = JSON.parse(process.argv[2]);',
        'const reader = { query: async function* () { yield* events; }, head: async () => null,',
        '  chains: async () => [...new Set(events.map((e) => e.chain))],',
        '  countInChain: async (chain) => events.filter((e) => e.chain === chain).length };',
        "exportAudit(reader, { filter: {}, format: 'parquet', out: process.argv[3] }).then((m) => console.log(m.count));",
      ].join('\n'),
    );
    const out = join(folder, 'audit.parquet');
    const printed = execFileSync(process.execPath, [driver, JSON.stringify(EVENTS), out], { encoding: 'utf8' });
    expect(printed.trim()).toBe('2');
    const bytes = readFileSync(out);
    const rows = await parquetReadObjects({
      file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    });
    expect(rows.map((r) => [r.id, r.seq, r.repository])).toEqual([
      ['evt-1', 1n, 'acme/payments'],
      ['evt-2', 2n, 'acme/payments'],
    ]);
  });

  it('is built only beside a bundle that imports it', async () => {
    const folder = join(dir, 'plain');
    mkdirSync(folder);
    const entry = join(folder, 'entry.ts');
    writeFileSync(entry, `export { csvRow } from ${JSON.stringify(join(PROJECT_ROOT, 'shared/audit/export'))};\n`);
    await bundleEntry(entry, join(folder, 'index.cjs'));
    expect(lazyImportsOf(join(folder, 'index.cjs'))).toEqual([]);
    expect(existsSync(join(folder, 'node_modules'))).toBe(false);
  });

  it('fails the build when a bundle imports it any other way, which would ship nothing for it', async () => {
    for (const [what, source] of [
      ['static', "import { ParquetWriter } from 'hyparquet-writer';\nexport const writer = ParquetWriter;\n"],
      ['subpath', "export { snappyCompress } from 'hyparquet-writer/src/snappy.js';\n"],
    ] as const) {
      const folder = join(dir, what);
      mkdirSync(folder);
      writeFileSync(join(folder, 'entry.ts'), source);
      await expect(bundleEntry(join(folder, 'entry.ts'), join(folder, 'index.cjs'))).rejects.toThrow(
        "hyparquet-writer is shipped beside the bundle (infra/lazy-modules.mjs) and must be loaded only with await import('hyparquet-writer')",
      );
    }
  });
});
