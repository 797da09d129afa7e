import { AUDIT_DETAILS, type AuditDetails, type AuditEvent } from '../../events';
import type { AuditReader } from './reader';
import { type VerifyOptions, verifyLedger } from './verify';

type Details = Record<string, unknown>;
type DossierCommit = { id: string; message: string; author: string | null; timestamp: string | null };

/** One change's dossier: what a SOX or SOC 2 auditor samples, joined from the ledger alone. */
export interface ChangeDossier {
  readonly generatedAt: string;
  readonly runId: string;
  readonly subject: {
    repository: string | null;
    pipeline: string | null;
    environment: string | null;
    commit: string | null;
  };
  readonly change: {
    deliveryId: string;
    provider: string;
    receivedAt: string;
    pushedBy: string | null;
    commits: DossierCommit[];
  } | null;
  readonly run: {
    startedAt: string;
    trigger: string | null;
    branch: string | null;
    pullRequest: number | null;
    outcome: 'succeeded' | 'failed' | 'in progress';
    endedAt: string | null;
    failure: { stage: string; reason: string } | null;
  };
  readonly build: { buildId: string; status: string; startedAt: string | null; endedAt: string | null } | null;
  readonly tests: { total: number; failed: number; skipped: number } | null;
  readonly coverage: { linePercent: number | null } | null;
  readonly findings: { error: number; warning: number; note: number; critical: number; high: number } | null;
  readonly gates: { passed: boolean; reasons: string[] } | null;
  readonly approval: {
    required: boolean;
    requestedAt: string | null;
    approvers: string[];
    separationOfDuties: boolean | null;
    decisions: {
      decision: 'approved' | 'rejected' | 'expired';
      by: string;
      principal: string | null;
      reason: string;
      at: string;
    }[];
  };
  /** The build's signed provenance as the ledger recorded it, and whether it verifies now. */
  readonly provenance: {
    envelope: string;
    envelopeSha256: string;
    builderId: string;
    subjects: { name: string; sha256: string }[];
    verified: boolean | null;
    verification: string;
  } | null;
  readonly deployment: { deployed: boolean; outcome: string; events: { type: string; at: string; details: Details }[] };
  readonly integrity: {
    verified: boolean;
    chain: string;
    message: string;
    links: { seq: number; type: string; hash: string }[];
  };
  /** Required parts the ledger has no record of; empty for a complete dossier. */
  readonly gaps: string[];
  readonly events: AuditEvent[];
}

/** Every run the argument names: a run id, or all runs of a full (40+ hex) commit id. */
export async function runsFor(reader: AuditReader, runOrCommit: string): Promise<string[]> {
  for await (const _ of reader.query({ runId: runOrCommit })) return [runOrCommit];
  if (!/^[0-9a-f]{40,64}$/i.test(runOrCommit)) return [];
  const runs = new Set<string>();
  for await (const e of reader.query({ commit: runOrCommit })) if (e.subject.runId) runs.add(e.subject.runId);
  return [...runs];
}

/** Checks a recorded provenance envelope again (fetch it, check its digest and signature). */
export type ProvenanceCheck = (
  recorded: AuditDetails<'build.provenance'>,
  commit: string | null,
) => Promise<{
  verified: boolean;
  message: string;
}>;

export async function buildDossier(
  reader: AuditReader,
  runId: string,
  options: Pick<VerifyOptions, 'signer' | 'checkpoints'> & { now?: Date; provenance?: ProvenanceCheck } = {},
): Promise<ChangeDossier> {
  const runEvents: AuditEvent[] = [];
  for await (const e of reader.query({ runId })) runEvents.push(e);
  if (runEvents.length === 0) throw new RangeError(`the ledger has no events for run ${runId}`);
  runEvents.sort((a, b) => a.time.localeCompare(b.time) || a.seq - b.seq);
  const first = (type: string) => runEvents.find((e) => e.type === type);
  const all = (prefix: string) => runEvents.filter((e) => e.type.startsWith(prefix));
  const started = first('run.started');
  const subject = runEvents[0]?.subject ?? { repository: null, pipeline: null, environment: null, commit: null };

  const delivery = await deliveryOf(reader, runEvents);
  const build = first('build.finished');
  const gate = first('gate.evaluated');
  const requested = first('approval.requested');
  const finished = runEvents.find((e) => e.type === 'run.succeeded' || e.type === 'run.failed');
  const gateDetails = gate?.details as Details | undefined;
  const metrics = gateDetails?.metrics as
    | { tests: ChangeDossier['tests']; lineCoverage: number | null; findings: ChangeDossier['findings'] }
    | undefined;
  const failure = finished?.type === 'run.failed' ? (finished.details as { stage: string; reason: string }) : null;

  const chain = subject.repository ?? '-';
  const verification = await verifyLedger(reader, { ...options, repository: chain });
  const links = [...(delivery ? [delivery] : []), ...runEvents].map((e) => ({
    seq: e.seq,
    type: e.type,
    hash: e.hash,
  }));
  const dossier: Omit<ChangeDossier, 'gaps'> = {
    generatedAt: (options.now ?? new Date()).toISOString(),
    runId,
    subject: {
      repository: subject.repository,
      pipeline: subject.pipeline,
      environment: subject.environment,
      commit: subject.commit,
    },
    change: delivery
      ? {
          deliveryId: String(delivery.details.deliveryId),
          provider: delivery.actor.id,
          receivedAt: delivery.time,
          pushedBy: delivery.actor.providerIdentity,
          commits: (delivery.details.commits as DossierCommit[] | undefined) ?? [],
        }
      : null,
    run: {
      startedAt: started?.time ?? runEvents[0]?.time ?? '',
      trigger: (started?.details.trigger as string | undefined) ?? null,
      branch: (started?.details.branch as string | null | undefined) ?? null,
      pullRequest: (started?.details.pullRequest as number | null | undefined) ?? null,
      outcome: finished ? (finished.type === 'run.succeeded' ? 'succeeded' : 'failed') : 'in progress',
      endedAt: finished?.time ?? null,
      failure: failure ? { stage: failure.stage, reason: failure.reason } : null,
    },
    build: build
      ? {
          buildId: String(build.details.buildId),
          status: String(build.details.status),
          startedAt: (build.details.startedAt as string | null) ?? null,
          endedAt: (build.details.endedAt as string | null) ?? null,
        }
      : null,
    provenance: await provenanceSection(first('build.provenance'), subject.commit, options.provenance),
    tests: metrics?.tests ?? null,
    coverage: metrics ? { linePercent: metrics.lineCoverage } : null,
    findings: metrics?.findings ?? null,
    gates: gateDetails ? { passed: Boolean(gateDetails.passed), reasons: gateDetails.reasons as string[] } : null,
    approval: {
      required: requested !== undefined,
      requestedAt: requested?.time ?? null,
      approvers: (requested?.details.approvers as string[] | undefined) ?? [],
      separationOfDuties: (requested?.details.separationOfDuties as boolean | undefined) ?? null,
      decisions: all('approval.')
        .filter((e) => e.type !== 'approval.requested')
        .map((e) => ({
          decision:
            e.type === 'approval.granted'
              ? ('approved' as const)
              : e.type === 'approval.rejected'
                ? ('rejected' as const)
                : ('expired' as const),
          by: e.actor.id,
          principal: (e.details.principal as string | undefined) ?? null,
          reason: String(e.details.reason ?? ''),
          at: e.time,
        })),
    },
    deployment: {
      deployed: finished?.type === 'run.succeeded' ? Boolean(finished.details.deployed) : false,
      outcome:
        all('deploy.').at(-1)?.type.replace('deploy.', '') ??
        (finished?.type !== 'run.succeeded'
          ? 'not deployed'
          : finished.details.deployed
            ? 'the deploy stage ran without a deployment target (no deployment events recorded)'
            : 'no deployment for this run (validation only)'),
      events: all('deploy.').map((e) => ({ type: e.type, at: e.time, details: e.details })),
    },
    integrity: {
      verified: verification.ok,
      chain,
      message: verification.ok
        ? `chain "${chain}" verified: ${verification.chains[0]?.events ?? 0} events, ${verification.checkpoints?.checked ?? 0} checkpoints`
        : (verification.firstBreak?.message ?? verification.checkpoints?.failures[0]?.message ?? 'verification failed'),
      links,
    },
    events: delivery ? [delivery, ...runEvents] : runEvents,
  };
  return { ...dossier, gaps: gapsOf(dossier) };
}

async function provenanceSection(
  event: AuditEvent | undefined,
  commit: string | null,
  check: ProvenanceCheck | undefined,
): Promise<ChangeDossier['provenance']> {
  if (event === undefined) return null;
  const recorded = AUDIT_DETAILS['build.provenance'].parse(event.details);
  const result = check
    ? await check(recorded, commit).catch((error: unknown) => ({
        verified: false,
        message: `could not be checked: ${error instanceof Error ? error.message : String(error)}`,
      }))
    : { verified: null, message: 'not checked (no access to the envelope and key)' };
  return {
    envelope: recorded.envelope,
    envelopeSha256: recorded.envelopeSha256,
    builderId: recorded.builderId,
    subjects: recorded.subjects.map((s) => ({ name: s.name, sha256: s.sha256 })),
    verified: result.verified,
    verification: result.message,
  };
}

async function deliveryOf(reader: AuditReader, runEvents: readonly AuditEvent[]): Promise<AuditEvent | undefined> {
  const anchor = runEvents[0];
  if (!anchor?.subject.commit) return undefined;
  for await (const e of reader.query({ commit: anchor.subject.commit })) {
    if (e.type === 'webhook.accepted' && e.correlationId === anchor.correlationId) return e;
  }
  return undefined;
}

function gapsOf(d: Omit<ChangeDossier, 'gaps'>): string[] {
  const gaps: string[] = [];
  if (!d.change) gaps.push('the delivery that started the change');
  if (!d.build) gaps.push('the build');
  if (!d.tests) gaps.push('test results');
  if (!d.findings) gaps.push('the scan (SARIF) summary');
  if (d.approval.required && d.approval.decisions.length === 0 && d.run.outcome !== 'in progress')
    gaps.push('the approval decision');
  if (d.run.outcome === 'in progress') gaps.push('the run outcome (still in progress)');
  if (!d.integrity.verified) gaps.push('chain integrity');
  if (d.deployment.deployed && !d.provenance) gaps.push('the build provenance of what was deployed');
  if (d.provenance && d.provenance.verified === false) gaps.push('verified build provenance');
  return gaps;
}

/** The dossier as an auditor reads it. */
export function dossierMarkdown(d: ChangeDossier): string {
  const row = (k: string, v: unknown) => `| ${k} | ${cell(v)} |`;
  const lines = [
    `# Change evidence: run ${d.runId}`,
    '',
    `Generated ${d.generatedAt} from the Gantry audit ledger.`,
    '',
    '| | |',
    '| --- | --- |',
    row('Repository', d.subject.repository),
    row('Pipeline', d.subject.pipeline),
    row('Environment', d.subject.environment ?? '(validation only)'),
    row('Commit', d.subject.commit),
    row('Outcome', d.run.outcome + (d.run.failure ? ` at ${d.run.failure.stage}: ${d.run.failure.reason}` : '')),
    row('Started', d.run.startedAt),
    row('Ended', d.run.endedAt),
    row('Integrity', `${d.integrity.verified ? '✅' : '❌'} ${d.integrity.message}`),
    '',
    '## The change',
    '',
  ];
  if (d.change) {
    lines.push(
      `Delivery \`${d.change.deliveryId}\` from ${d.change.provider}, received ${d.change.receivedAt}, pushed by ${d.change.pushedBy ?? 'unknown'}.`,
      '',
      '| commit | author | message |',
      '| --- | --- | --- |',
      ...d.change.commits.map(
        (c) => `| ${c.id.slice(0, 12)} | ${cell(c.author)} | ${cell(c.message.split('\n')[0])} |`,
      ),
    );
  } else lines.push('No delivery record was found for this run.');
  lines.push('', '## Build, tests and scans', '', '| | |', '| --- | --- |');
  lines.push(
    row('Build', d.build ? `${d.build.buildId} ${d.build.status} (${d.build.startedAt} → ${d.build.endedAt})` : 'none'),
  );
  lines.push(
    row('Tests', d.tests ? `${d.tests.total} run, ${d.tests.failed} failed, ${d.tests.skipped} skipped` : 'none'),
  );
  lines.push(row('Line coverage', d.coverage?.linePercent == null ? 'not reported' : `${d.coverage.linePercent}%`));
  lines.push(
    row(
      'Findings',
      d.findings
        ? `${d.findings.error} error, ${d.findings.warning} warning, ${d.findings.note} note; ${d.findings.critical} critical, ${d.findings.high} high`
        : 'none',
    ),
  );
  lines.push(
    row('Gates', d.gates ? (d.gates.passed ? 'passed' : `failed: ${d.gates.reasons.join('; ')}`) : 'not evaluated'),
  );
  lines.push('', '## Build provenance (SLSA v1, DSSE)', '');
  if (d.provenance) {
    lines.push(
      `${d.provenance.verified === true ? '✅' : d.provenance.verified === false ? '❌' : '⚪'} ${d.provenance.verification}`,
      '',
      '| | |',
      '| --- | --- |',
      row('Envelope', d.provenance.envelope),
      row('Envelope SHA-256', d.provenance.envelopeSha256),
      row('Builder', d.provenance.builderId),
      '',
      '| artifact | SHA-256 |',
      '| --- | --- |',
      ...d.provenance.subjects.map((s) => `| ${cell(s.name)} | \`${s.sha256}\` |`),
    );
  } else lines.push('No provenance was recorded for this run.');
  lines.push('', '## Approval', '');
  if (!d.approval.required) lines.push('This environment requires no approval.');
  else {
    lines.push(
      `Requested ${d.approval.requestedAt} from ${d.approval.approvers.join(', ')}; separation of duties ${d.approval.separationOfDuties ? 'enforced' : 'off'}.`,
      '',
      '| decision | by | principal | reason | at |',
      '| --- | --- | --- | --- | --- |',
      ...d.approval.decisions.map(
        (a) => `| ${a.decision} | ${cell(a.by)} | ${cell(a.principal)} | ${cell(a.reason)} | ${a.at} |`,
      ),
    );
  }
  lines.push('', '## Deployment', '', `${d.deployment.outcome}.`);
  lines.push('', '## Ledger records', '', '| seq | type | hash |', '| --- | --- | --- |');
  lines.push(...d.integrity.links.map((l) => `| ${l.seq} | ${l.type} | \`${l.hash}\` |`));
  if (d.gaps.length > 0) lines.push('', '## Gaps', '', ...d.gaps.map((g) => `- ${g}`));
  return `${lines.join('\n')}\n`;
}

function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  return String(value).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}
