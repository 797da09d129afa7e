import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { workerDataFileReader } from '../../cli/workers/export-readers';
import type { AuditEvent, AuditRecordInput } from '../../events';
import { writeExportFiles } from '../../local/dynamodb/export-files';
import { scanTable } from '../../local/dynamodb/exports';
import { GENESIS_HASH, hashEvent } from '../../shared/audit/chain';
import { exportAudit } from '../../shared/audit/export';
import { CHAIN_REGISTRY, DynamoDbAuditLedger, registrySeq, toItem } from '../../shared/audit/ledger';
import { AuditReader } from '../../shared/audit/reader';
import { type ExportObjects, exportedItems, readExportManifest } from '../../shared/audit/table-export';
import { verifyLedger } from '../../shared/audit/verify';
import { verifyLedgerCopy, verifyLedgerExport } from '../../shared/audit/verify-export';
import { documentClient } from '../../shared/aws/clients';
import { createAuditTable } from '../support/aws';
import { fmt, median, percentile, table } from './stats';

const ROOT = join(import.meta.dirname, '..', '..');

function record(i: number, repository: string): AuditRecordInput {
  return {
    type: 'gate.evaluated',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: {
      repository,
      commit: (i % 500).toString(16).padStart(40, '0'),
      runId: `run-${i % 2000}`,
      environment: 'prod',
      pipeline: 'p',
    },
    outcome: 'success',
    details: {
      passed: true,
      reasons: [],
      metrics: {
        tests: { total: 120, failed: 0, skipped: 2 },
        lineCoverage: 84.2,
        findings: { error: 0, warning: 3, note: 1, critical: 0, high: 0 },
      },
      build: `build-${i}`,
    },
    correlationId: `delivery-${i}`,
  };
}

async function startDynaliteProcess(): Promise<{ endpoint: string; stop: () => void }> {
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(import.meta.dirname, 'dynalite-process.ts')],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const endpoint = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`dynalite exited ${code}`)));
  });
  return { endpoint, stop: () => child.kill('SIGTERM') };
}

/**
 * Writes a pre-chained history straight into the table (25 items per BatchWriteItem), for reads at
 * scale: one event a minute, each chain's in a block of its own, or with `interleaved` the chains
 * taking turns minute by minute (every day then holds every repository's events, as a busy ledger's do).
 */
async function seed(
  db: DynamoDBDocumentClient,
  tableName: string,
  count: number,
  chains: number,
  { interleaved = false } = {},
): Promise<void> {
  const items: Record<string, unknown>[] = [];
  const start = Date.parse('2026-07-01T00:00:00Z');
  for (let c = 0; c < chains; c++) {
    const chain = `bench/repo-${c}`;
    items.push({ chain: CHAIN_REGISTRY, seq: registrySeq(chain), name: chain });
    let prev: AuditEvent | undefined;
    for (let seq = 1; seq <= count / chains; seq++) {
      const i = c * (count / chains) + seq;
      const minute = interleaved ? (seq - 1) * chains + c + 1 : i;
      const r = record(i, chain);
      const unhashed = {
        id: `01J${String(i).padStart(23, '0')}`,
        time: new Date(start + minute * 60_000).toISOString(),
        type: r.type,
        actor: { type: 'system' as const, id: 'gantry', providerIdentity: null },
        subject: {
          repository: chain,
          commit: r.subject.commit ?? null,
          runId: r.subject.runId ?? null,
          environment: 'prod',
          pipeline: 'p',
        },
        outcome: r.outcome,
        details: r.details,
        correlationId: r.correlationId,
        chain,
        seq,
        prevHash: prev?.hash ?? GENESIS_HASH,
        expiresAt: Math.floor(start / 1000) + 2557 * 86_400,
        prevExpiresAt: prev?.expiresAt ?? null,
      };
      prev = { ...unhashed, hash: hashEvent(unhashed) };
      items.push(toItem(prev));
    }
  }
  const batches = [];
  for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
  for (let i = 0; i < batches.length; i += 8) {
    await Promise.all(
      batches
        .slice(i, i + 8)
        .map((batch) =>
          db.send(
            new BatchWriteCommand({ RequestItems: { [tableName]: batch.map((Item) => ({ PutRequest: { Item } })) } }),
          ),
        ),
    );
  }
}

/**
 * `npm run bench -- audit`: the ledger on dynalite in its own process, as local mode runs it.
 * Appends through the real ledger (one chain; 10 chains in parallel), verify throughput over
 * 100k events, query latency at 100k events, export of 100k events.
 */
export async function benchAudit(options: { rounds: number; appends: number; events: number }): Promise<string> {
  const dynalite = await startDynaliteProcess();
  const dir = mkdtempSync(join(tmpdir(), 'gantry-bench-audit-'));
  const readers = workerDataFileReader();
  let n = 0;
  const fresh = async () => {
    const name = `audit-bench-${++n}`;
    const client = await createAuditTable(dynalite.endpoint, name);
    await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1 }, { TableName: name });
    return { name, db: documentClient(client), client };
  };
  try {
    const one: number[] = [];
    const ten: number[] = [];
    const contended: number[] = [];
    const contendedPuts: number[] = [];
    const contendedLatency: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      process.stderr.write('.');
      const a = await fresh();
      const writer = new DynamoDbAuditLedger(a.db, a.name);
      let t0 = performance.now();
      for (let i = 0; i < options.appends; i++) await writer.append(record(i, 'bench/one'));
      one.push((options.appends / (performance.now() - t0)) * 1000);
      const b = await fresh();
      t0 = performance.now();
      await Promise.all(
        Array.from({ length: 10 }, async (_, c) => {
          const w = new DynamoDbAuditLedger(b.db, b.name);
          for (let i = 0; i < options.appends / 10; i++) await w.append(record(i, `bench/repo-${c}`));
        }),
      );
      ten.push((options.appends / (performance.now() - t0)) * 1000);
      // Twenty writers (receiver and step instances, in AWS) appending to one repository's chain at once.
      const c = await fresh();
      let puts = 0;
      const counted = Object.assign(Object.create(c.db) as typeof c.db, {
        send: (command: Parameters<typeof c.db.send>[0], sendOptions?: object) => {
          if (command instanceof PutCommand) puts++;
          return c.db.send(command as PutCommand, sendOptions);
        },
      });
      const each = Math.max(1, Math.floor(options.appends / 100));
      t0 = performance.now();
      await Promise.all(
        Array.from({ length: 20 }, async (_, w) => {
          const writer = new DynamoDbAuditLedger(counted, c.name);
          for (let i = 0; i < each; i++) {
            const began = performance.now();
            await writer.append(record(w * each + i, 'bench/contended'));
            contendedLatency.push(performance.now() - began);
          }
        }),
      );
      contended.push(((20 * each) / (performance.now() - t0)) * 1000);
      // The registry put, once per writer, is not an append.
      contendedPuts.push((puts - 20) / (20 * each));
    }

    const big = await fresh();
    await seed(big.db, big.name, options.events, 10);
    const reader = new AuditReader(big.db, big.name);
    // A point-in-time export of that table, as local mode's ExportTableToPointInTime writes it (here into memory).
    const files = new Map<string, Buffer>();
    let t0 = performance.now();
    await writeExportFiles(
      scanTable(big.client, big.name),
      'chain',
      {
        bucket: 'bench',
        folder: 'ledger/AWSDynamoDB/01764806400000-00000000',
        exportArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/bench/export/01764806400000-00000000',
        tableArn: 'arn:aws:dynamodb:us-east-1:000000000000:table/bench',
        tableId: 'bench',
        startTime: new Date(),
        exportTime: new Date(),
        prefix: 'ledger',
      },
      async (key, body) => void files.set(key, body),
    );
    const tableExportSeconds = (performance.now() - t0) / 1000;
    const objects: ExportObjects = { get: async (key) => files.get(key) };
    const copyRates: number[] = [];
    const threadedRates: number[] = [];
    const verifyRates: number[] = [];
    const exportSeconds: number[] = [];
    for (let round = 0; round < options.rounds; round++) {
      process.stderr.write('.');
      t0 = performance.now();
      const exported = await readExportManifest(objects, 'ledger/AWSDynamoDB/01764806400000-00000000');
      const copied = await verifyLedgerCopy(exportedItems(objects, exported));
      if (!copied.ok || copied.events !== options.events)
        throw new Error(`verify from the export: ${JSON.stringify(copied.firstBreak)}`);
      copyRates.push((copied.events / (performance.now() - t0)) * 1000);
      // As `gantry audit verify --from-export` reads it: the data files in worker threads.
      t0 = performance.now();
      const threaded = await verifyLedgerExport(objects, { ...exported, asOf: new Date() }, {}, readers);
      if (!threaded.ok || threaded.events !== options.events)
        throw new Error(`verify from the export in worker threads: ${JSON.stringify(threaded.firstBreak)}`);
      threadedRates.push((threaded.events / (performance.now() - t0)) * 1000);
      t0 = performance.now();
      const report = await verifyLedger(reader);
      if (!report.ok || report.events !== options.events)
        throw new Error(`verify: ${JSON.stringify(report.firstBreak)}`);
      verifyRates.push((report.events / (performance.now() - t0)) * 1000);
      t0 = performance.now();
      const manifest = await exportAudit(reader, {
        filter: { from: '2026-01-01', to: '2027-12-31' },
        format: 'jsonl',
        out: join(dir, `export-${round}.jsonl`),
      });
      if (manifest.count !== options.events) throw new Error(`export wrote ${manifest.count}`);
      exportSeconds.push((performance.now() - t0) / 1000);
    }
    const mixed = await fresh();
    await seed(mixed.db, mixed.name, options.events, 10, { interleaved: true });
    const mixedReader = new AuditReader(mixed.db, mixed.name);
    const queries: Record<string, number[]> = {
      'by commit': [],
      'by run': [],
      'by repository + day': [],
      'by repository + day, 10 repositories a day': [],
    };
    for (let i = 0; i < 300; i++) {
      const time = async (name: string, filter: Parameters<AuditReader['query']>[0], from = reader) => {
        const t0 = performance.now();
        let count = 0;
        for await (const _ of from.query(filter)) count++;
        queries[name]?.push(performance.now() - t0);
        if (count === 0) throw new Error(`query ${name} found nothing`);
      };
      await time('by commit', { commit: (i % 500).toString(16).padStart(40, '0') });
      await time('by run', { runId: `run-${i % 2000}` });
      const repo = i % 10;
      const index = repo * (options.events / 10) + 1 + ((i * 37) % (options.events / 10));
      const day = new Date(Date.parse('2026-07-01T00:00:00Z') + index * 60_000).toISOString().slice(0, 10);
      await time('by repository + day', { from: day, to: day, repository: `bench/repo-${repo}` });
      const busyDay = new Date(Date.parse('2026-07-01T00:00:00Z') + ((i * 37) % options.events) * 60_000)
        .toISOString()
        .slice(0, 10);
      await time(
        'by repository + day, 10 repositories a day',
        { from: busyDay, to: busyDay, repository: `bench/repo-${repo}` },
        mixedReader,
      );
    }
    const q = Object.entries(queries).map(([name, ms]) => {
      const sorted = [...ms].sort((x, y) => x - y);
      return [
        `query ${name}`,
        `p50 ${fmt(percentile(sorted, 50), 1)} ms`,
        `p99 ${fmt(percentile(sorted, 99), 1)} ms`,
        'p99 < 50 ms',
      ];
    });
    return [
      `Medians of ${options.rounds} rounds; dynalite in its own process, as in local mode. ${fmt(options.events)} events seeded for reads.`,
      '',
      table(
        ['measure', 'result', '', 'target'],
        [
          ['appends, one chain', `${fmt(median(one))}/s`, '', ''],
          ['appends, 10 chains in parallel', `${fmt(median(ten))}/s`, '', '≥ 1,000/s'],
          [
            'appends, one chain, 20 writers at once',
            `${fmt(median(contended))}/s`,
            `${fmt(median(contendedPuts), 2)} puts per append, p99 ${fmt(
              percentile(
                [...contendedLatency].sort((a, b) => a - b),
                99,
              ),
            )} ms`,
            '',
          ],
          ['verify (the table)', `${fmt(median(verifyRates))} events/s`, '', '≥ 100,000/s'],
          [
            'verify (a point-in-time export of it)',
            `${fmt(median(copyRates))} events/s`,
            `export written in ${fmt(tableExportSeconds, 1)} s, once`,
            '≥ 100,000/s',
          ],
          [
            `verify (the export, its files read in ${readers.parallelism} worker threads, as the CLI does)`,
            `${fmt(median(threadedRates))} events/s`,
            '',
            '≥ 100,000/s',
          ],
          [`export ${fmt(options.events)} events (jsonl)`, `${fmt(median(exportSeconds), 1)} s`, '', '< 10 s'],
          ...q,
        ],
      ),
    ].join('\n');
  } finally {
    await readers.close();
    dynalite.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
