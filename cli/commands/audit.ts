import type { Command } from 'commander';
import type { AuditEvent } from '../../events';
import { commitHint } from '../../shared/audit/commit';
import { auditPeriod } from '../../shared/audit/period';
import type { AuditFilter } from '../../shared/audit/reader';
import { CommandFailed, UsageError } from '../errors';
import { printJson } from '../io';
import { countOption, type TargetFlags, targetOptions } from '../options';

type Common = TargetFlags;

export interface QueryOptions {
  readonly repository?: string;
  readonly from?: string;
  readonly to?: string;
  readonly type?: string;
  readonly actor?: string;
  readonly commit?: string;
  readonly run?: string;
  readonly env?: string;
  readonly pipeline?: string;
  readonly limit?: number;
  readonly json?: boolean;
  readonly csv?: boolean;
}

const FORMATS = ['jsonl', 'csv', 'parquet'];

/** A 40-character commit that found nothing was looked up as a whole SHA-1 id only: say how to look further. */
async function noteCommitHint(
  filter: AuditFilter,
  found: number,
  reader: { commitKnown(commit: string): Promise<boolean> },
): Promise<void> {
  const hint = await commitHint(
    filter,
    found,
    (commit) => reader.commitKnown(commit),
    '--run, or --repository and --from,',
  );
  if (hint) process.stderr.write(`gantry: ${hint}\n`);
}

/** The filter as the console reads its fields: trimmed, a blank one not given (`"acme/payments "` matches acme/payments). */
export function auditFilterOf(o: QueryOptions): AuditFilter {
  const given = (value: string | undefined) => value?.trim() || undefined;
  const fields = {
    repository: given(o.repository),
    from: given(o.from),
    to: given(o.to),
    type: given(o.type),
    actor: given(o.actor),
    commit: given(o.commit),
    runId: given(o.run),
    environment: given(o.env),
    pipeline: given(o.pipeline),
  };
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/**
 * Verifies the ledger as a DynamoDB export holds it, telling what it reads on stderr; with
 * `confirmInTable`, the items the export cannot account for are looked up in the table.
 */
async function verifyFromExport(
  t: Awaited<ReturnType<typeof import('../target').resolveTarget>>,
  which: string | true,
  options: import('../../shared/audit/verify-export').ExportVerifyOptions,
  confirmInTable: boolean,
) {
  const { auditTableName, describedLedgerExport, ledgerTableItems, s3ExportObjects } = await import('../audit');
  const { openLedgerExport, ExportUnreadableError } = await import('../../shared/audit/table-export');
  const { verifyLedgerExport } = await import('../../shared/audit/verify-export');
  const { workerDataFileReader } = await import('../workers/export-readers');
  const say = (line: string) => process.stderr.write(`${line}\n`);
  const described = await describedLedgerExport(t, which, say);
  const objects = s3ExportObjects(t, described.bucket);
  try {
    const copy = await openLedgerExport(objects, described, auditTableName());
    say(
      `Verifying ${described.exportArn}, the ledger as of ${copy.asOf.toISOString()}: ` +
        `${copy.itemCount} items in ${copy.files.length} files.`,
    );
    // As of the export: its checkpoints, and retention judged by its time, not today's. Its data
    // files are read (checked, parsed, hashed) in worker threads, merged in the manifest's order.
    const readers = workerDataFileReader();
    try {
      const confirm = confirmInTable ? { confirmIn: ledgerTableItems(t) } : {};
      return await verifyLedgerExport(objects, copy, { ...options, ...confirm }, readers);
    } finally {
      await readers.close();
    }
  } catch (error) {
    if (error instanceof ExportUnreadableError)
      throw new CommandFailed(`the export cannot be verified: ${error.message}`);
    throw error;
  }
}

/** `gantry audit …`: what compliance staff run against the ledger, locally or in AWS. */
export function registerAuditCommands(program: Command): void {
  const audit = targetOptions(
    program
      .command('audit')
      .description(
        'the audit ledger: query, export, verify, evidence (local mode when it runs here; AWS with --region or --profile)',
      ),
  );
  const target = async () => await (await import('../target')).resolveTarget(audit.opts<Common>());
  const filterOptions = (cmd: Command) =>
    cmd
      .option('--repository <owner/name>')
      .option('--from <date>', 'from this date or ISO time (inclusive)')
      .option(
        '--to <date>',
        'to this date or ISO time, inclusive (a date means the whole day, a time to the minute the whole minute)',
      )
      .option('--type <type>', 'an event type (approval.granted) or a family (approval)')
      .option('--actor <id>', 'who acted: an identity, a provider, or a principal ARN')
      .option('--commit <sha>')
      .option('--run <runId>')
      .option('--env <environment>')
      .option('--pipeline <name>');
  const checkDates = (o: QueryOptions) => {
    try {
      auditPeriod(o, '--');
    } catch (error) {
      if (error instanceof RangeError) throw new UsageError(error.message);
      throw error;
    }
  };

  filterOptions(audit.command('query').description('audit events matching every filter given, oldest first'))
    .option('--limit <n>', 'at most this many', countOption('--limit'))
    .option('--json', 'print JSON')
    .option('--csv', 'print CSV')
    .action(async (options: QueryOptions) => {
      checkDates(options);
      const { auditReader, eventsCsv, eventsTable } = await import('../audit');
      const events: AuditEvent[] = [];
      const filter = auditFilterOf(options);
      const reader = auditReader(await target());
      for await (const e of reader.query(filter)) {
        events.push(e);
        if (options.limit !== undefined && events.length >= options.limit) break;
      }
      await noteCommitHint(filter, events.length, reader);
      if (options.json) printJson(events);
      else if (options.csv) process.stdout.write(eventsCsv(events));
      else process.stdout.write(`${eventsTable(events)}\n`);
    });

  filterOptions(
    audit
      .command('export')
      .description('stream a period to a file, with <file>.manifest.json (count, SHA-256, chain heads)'),
  )
    .requiredOption('--out <file>', 'the file to write')
    .option('--format <format>', FORMATS.join(' | '), 'jsonl')
    .action(async (options: QueryOptions & { out: string; format: string }) => {
      checkDates(options);
      if (!FORMATS.includes(options.format)) throw new UsageError(`--format must be one of ${FORMATS.join(', ')}`);
      const { auditReader } = await import('../audit');
      const { AuditExportIncomplete, exportAudit } = await import('../../shared/audit/export');
      const filter = auditFilterOf(options);
      const reader = auditReader(await target());
      const manifest = await exportAudit(reader, {
        filter,
        format: options.format as 'jsonl',
        out: options.out,
        onProgress: (count) => process.stderr.write(`  ${count} events…\n`),
      }).catch((error: unknown) => {
        throw error instanceof AuditExportIncomplete ? new CommandFailed(error.message) : error;
      });
      await noteCommitHint(filter, manifest.count, reader);
      process.stdout.write(
        `Exported ${manifest.count} events to ${manifest.file} (${manifest.bytes} bytes, sha256 ${manifest.sha256}).\n` +
          `Manifest: ${manifest.file}.manifest.json, covering ${manifest.chains.length} chain(s).\n`,
      );
    });

  audit
    .command('verify')
    .description('recompute every hash chain and check every signed checkpoint; exit 1 at the first broken link')
    .option('--repository <owner/name>', 'only this repository chain')
    .option('--no-checkpoints', 'skip the signed checkpoints (chains only)')
    .option(
      '--from-export [export]',
      'verify a point-in-time export instead of the table (no read capacity used): an export ARN or s3://bucket/prefix/AWSDynamoDB/<id>; with no value, export the table now and wait for it',
    )
    .option(
      '--confirm-in-table',
      'with --from-export: look up in the table (by key) the items the export cannot account for, such as a claim whose write was given up, instead of refusing the export',
    )
    .option('--json', 'print the report as JSON')
    .action(
      async (options: {
        repository?: string;
        checkpoints: boolean;
        json?: boolean;
        fromExport?: string | true;
        confirmInTable?: boolean;
      }) => {
        if (options.fromExport !== undefined && options.repository)
          throw new UsageError(
            "--from-export verifies the whole export (DynamoDB's item count vouches for the table, not one chain): leave out --repository",
          );
        if (options.confirmInTable && options.fromExport === undefined)
          throw new UsageError('--confirm-in-table goes with --from-export: verify without it reads the table already');
        const { auditReader, checkpointPorts, verifyTable } = await import('../audit');
        const t = await target();
        const ports = options.checkpoints ? await checkpointPorts(t) : undefined;
        const common = {
          ...(ports ? { signer: ports.signer, checkpoints: ports.store } : {}),
          onProgress: (p: { totalEvents: number }) => {
            if (p.totalEvents > 0 && p.totalEvents % 50_000 === 0)
              process.stderr.write(`  ${p.totalEvents} events verified…\n`);
          },
        };
        const report =
          options.fromExport === undefined
            ? await (await import('../../shared/audit/verify')).verifyLedger(auditReader(t), {
                ...common,
                ...(options.repository ? { repository: options.repository } : {}),
              })
            : await verifyFromExport(t, options.fromExport, common, options.confirmInTable === true);
        if (options.json) printJson(report);
        else process.stdout.write(`${verifyTable(report)}\n`);
        if (!report.ok) throw new CommandFailed('the audit ledger does not verify');
      },
    );

  audit
    .command('evidence')
    .description('write the change dossier (JSON and Markdown) for a run, or every run of a commit')
    .argument('<runOrCommit>', 'a run id, or a commit SHA (7+ characters)')
    .option('--out <dir>', 'where to write evidence-<run>.json and .md', '.')
    .action(async (runOrCommit: string, options: { out: string }) => {
      const { writeEvidence } = await import('../audit');
      const { files, unvouched } = await writeEvidence(await target(), runOrCommit, options.out);
      process.stdout.write(`${files.map((f) => `Wrote ${f}`).join('\n')}\n`);
      if (unvouched.length > 0)
        throw new CommandFailed(
          `the dossier cannot vouch for the change (it says so in its integrity and provenance lines):\n  ${unvouched.join('\n  ')}`,
        );
    });

  audit
    .command('checkpoint')
    .description('sign every chain head now (KMS) and store the checkpoint (Object Lock bucket)')
    .action(async () => {
      const { checkpointNow } = await import('../audit');
      const { key, chains } = await checkpointNow(await target());
      process.stdout.write(`Signed ${chains} chain head(s) into ${key}.\n`);
    });
}
