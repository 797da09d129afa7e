import type { Command } from 'commander';
import { CommandFailed, UsageError } from '../errors';
import { printJson } from '../io';
import { type TargetFlags, targetOptions } from '../options';

type Common = TargetFlags;

/** `gantry provenance …`: a run's signed SLSA provenance, shown and verified. */
export function registerProvenanceCommands(program: Command): void {
  const provenance = targetOptions(
    program
      .command('provenance')
      .description("a run's signed SLSA build provenance: show it, verify it (or an exported envelope, offline)"),
  );
  const common = () => provenance.opts<Common>();

  provenance
    .command('show')
    .description(
      "the run's in-toto statement: what was built, from which commit, by which builder, each artifact's digest",
    )
    .argument('<run>', 'run id, or its first characters')
    .option('--json', 'print the statement as JSON')
    .option('--envelope', 'print the signed DSSE envelope as stored')
    .action(async (id: string, options: { json?: boolean; envelope?: boolean }) => {
      const { resolveTarget } = await import('../target');
      const { findRun } = await import('../runs');
      const { runEnvelope, statementText } = await import('../provenance');
      const { openEnvelope } = await import('../../shared/provenance/dsse');
      const { ProvenanceStatementSchema } = await import('../../events');
      const target = await resolveTarget(common());
      const run = await findRun(target, id);
      const bytes = await runEnvelope(target, run);
      if (options.envelope) return void process.stdout.write(bytes.toString('utf8'));
      const statement = ProvenanceStatementSchema.parse(JSON.parse(openEnvelope(bytes).payload.toString('utf8')));
      if (options.json) return printJson(statement);
      process.stdout.write(`${statementText(run, statement)}\n`);
    });

  provenance
    .command('public-key')
    .description(
      "the provenance signing key's public key, PEM: what offline verification (and standard DSSE tools) need",
    )
    .action(async () => {
      const { resolveTarget } = await import('../target');
      const { provenanceKeyPem } = await import('../provenance');
      process.stdout.write(await provenanceKeyPem(await resolveTarget(common())));
    });

  provenance
    .command('verify')
    .description(
      "verify a run's provenance (signature, builder, commit; --artifact: a file is one of its subjects), or offline with --envelope and --public-key. Exit 0 valid, 1 not, 2 unreadable input",
    )
    .argument('[run]', 'run id, or its first characters (omit with --envelope)')
    .option('--artifact <file>', 'a file that must be one of the attested artifacts')
    .option('--envelope <file>', 'offline: a DSSE envelope (gantry provenance show --envelope)')
    .option('--public-key <pem>', "offline: the provenance key's public key (PEM)")
    .option(
      '--allow-untrusted',
      "also verify a pull request's (untrusted) build: signed as the record of what was built, never releasable",
    )
    .option('--json', 'print the checks as JSON')
    .action(
      async (
        id: string | undefined,
        options: { artifact?: string; envelope?: string; publicKey?: string; json?: boolean; allowUntrusted?: boolean },
      ) => {
        const { readArtifact, readInputFile, verificationText, verifyRun } = await import('../provenance');
        let result: Awaited<ReturnType<typeof verifyRun>>;
        if (options.envelope !== undefined || options.publicKey !== undefined) {
          if (options.envelope === undefined || options.publicKey === undefined)
            throw new UsageError('offline verification needs both --envelope <file> and --public-key <pem>');
          if (id !== undefined) throw new UsageError('give a run, or --envelope and --public-key, not both');
          const { verifyOffline } = await import('../../shared/provenance/offline');
          const artifact = options.artifact === undefined ? undefined : await readArtifact(options.artifact);
          result = verifyOffline({
            envelope: await readInputFile(options.envelope, 'envelope'),
            publicKey: await readInputFile(options.publicKey, 'public key'),
            ...(artifact ? { artifact } : {}),
            allowUntrusted: options.allowUntrusted === true,
          });
        } else {
          if (id === undefined) throw new UsageError('name a run, or give --envelope and --public-key');
          const { resolveTarget } = await import('../target');
          const { findRun } = await import('../runs');
          const target = await resolveTarget(common());
          result = await verifyRun(
            target,
            await findRun(target, id),
            options.artifact,
            options.allowUntrusted === true,
          );
        }
        if (options.json) printJson({ valid: result.valid, checks: result.checks });
        else process.stdout.write(`${verificationText(result)}\n`);
        if (!result.valid) throw new CommandFailed('provenance did not verify');
      },
    );
}
