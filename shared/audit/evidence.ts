import {
  AUDIT_DETAILS,
  type AuditDetails,
  type AuditEvent,
  type AuditType,
  COMMIT_ID,
  detailsOf,
  isSecurityAuditType,
  parseAs,
} from '../../events';
import { printable } from '../text/printable';
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
    /** The ledger records both a success and a failure of the run (one was written beside the other's key). */
    conflictingEnds: boolean;
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
  readonly deployment: {
    deployed: boolean;
    outcome: string;
    events: { type: string; at: string; details: Details }[];
    /** Rollback runs an operator started to undo this run's release, with who asked and why. */
    undoneBy: { runId: string; by: string; at: string; reason: string | null }[];
  };
  /**
   * What Gantry refused on this run, and why, in the records' own words: operators' actions and
   * decisions (separation of duties, not an approver), Deploy's checks, forged step inputs.
   */
  readonly refusals: { type: string; at: string; actor: string; reason: string }[];
  readonly integrity: {
    verified: boolean;
    chain: string;
    /**
     * Whether a verified checkpoint signs every record of this change (or a later one): until one
     * does, the links hold but cutting the records off the chain's end would not show.
     */
    checkpointed: boolean;
    /** Whether the signed checkpoints were read and checked at all (false: only the links vouch, and `message` says why). */
    checkpointsChecked: boolean;
    message: string;
    links: { seq: number; type: string; hash: string }[];
  };
  /** Required parts the ledger has no record of; empty for a complete dossier. */
  readonly gaps: string[];
  readonly events: AuditEvent[];
}

/**
 * Every run the argument names: a run id, or all runs of a whole commit id (40 or 64 hex, by the
 * commit index; the start of one is the caller's to resolve, not a read of every day of the ledger).
 */
export async function runsFor(reader: AuditReader, runOrCommit: string): Promise<string[]> {
  for await (const _ of reader.query({ runId: runOrCommit })) return [runOrCommit];
  if (!COMMIT_ID.test(runOrCommit.toLowerCase())) return [];
  const runs = new Set<string>();
  for await (const e of reader.query({ commit: runOrCommit })) if (e.subject.runId) runs.add(e.subject.runId);
  return [...runs];
}

/** Checks a recorded provenance envelope again (fetch it, check its digest and signature). */
export type ProvenanceCheck = (
  recorded: AuditDetails<'build.provenance'>,
  commit: string | null,
  /** A pull request's run, which deployed nothing: its untrusted build's provenance may verify. */
  allowUntrusted: boolean,
) => Promise<{
  verified: boolean;
  message: string;
}>;

/** A run's events, oldest first, with the lookups the dossier's sections make. */
interface RunEvents {
  readonly events: readonly AuditEvent[];
  first(type: AuditType): AuditEvent | undefined;
  all(prefix: string): AuditEvent[];
}

/**
 * One change's dossier from the ledger: each section reads its own records through their types'
 * schemas (`detailsOf`), so a record that does not fit shows as a gap, never as a guess.
 */
export async function buildDossier(
  reader: AuditReader,
  runId: string,
  options: Pick<VerifyOptions, 'signer' | 'checkpoints'> & {
    now?: Date;
    provenance?: ProvenanceCheck;
    /** Why the checkpoints could not be read, when they could not: the dossier says so. */
    checkpointsUnavailable?: string;
  } = {},
): Promise<ChangeDossier> {
  const run = await runEventsOf(reader, runId);
  const anchor = run.events[0];
  const subject = anchor?.subject ?? { repository: null, pipeline: null, environment: null, commit: null };
  const delivery = await deliveryOf(reader, run.events);
  const gate = detailsOf(run.first('gate.evaluated'), 'gate.evaluated');
  const dossier: Omit<ChangeDossier, 'gaps'> = {
    generatedAt: (options.now ?? new Date()).toISOString(),
    runId,
    subject: {
      repository: subject.repository,
      pipeline: subject.pipeline,
      environment: subject.environment,
      commit: subject.commit,
    },
    change: changeSection(delivery),
    run: runSection(run),
    build: buildSection(run.first('build.finished')),
    provenance: await provenanceSection(
      run.first('build.provenance'),
      subject.commit,
      // Only a run that went nowhere may rest on an untrusted build; one with an environment must not.
      subject.environment === null && run.all('deploy.').length === 0,
      options.provenance,
    ),
    tests: gate?.metrics.tests ?? null,
    coverage: gate ? { linePercent: gate.metrics.lineCoverage } : null,
    findings: gate?.metrics.findings ?? null,
    gates: gate ? { passed: gate.passed, reasons: gate.reasons } : null,
    approval: approvalSection(run),
    deployment: deploymentSection(run),
    refusals: refusalsSection(run),
    integrity: await integritySection(reader, subject.repository ?? '-', delivery, run, options),
    events: delivery ? [delivery, ...run.events] : [...run.events],
  };
  return { ...dossier, gaps: gapsOf(dossier) };
}

/** Each refusal on the run's records, with the reason its record gives (a record that does not fit says so). */
function refusalsSection(run: RunEvents): ChangeDossier['refusals'] {
  return run.events
    .filter((e) => e.type === 'operator.refused' || e.type === 'deploy.refused' || isSecurityAuditType(e.type))
    .map((e) => {
      const reason = (e.details as { reason?: unknown }).reason;
      const actor = e.actor.providerIdentity ? `${e.actor.id} (${e.actor.providerIdentity})` : e.actor.id;
      return {
        type: e.type,
        at: e.time,
        actor,
        reason: typeof reason === 'string' ? reason : '(the record gives no reason)',
      };
    });
}

async function runEventsOf(reader: AuditReader, runId: string): Promise<RunEvents> {
  const events: AuditEvent[] = [];
  for await (const e of reader.query({ runId })) events.push(e);
  if (events.length === 0) throw new RangeError(`the ledger has no events for run ${runId}`);
  events.sort((a, b) => a.time.localeCompare(b.time) || a.seq - b.seq);
  return {
    events,
    first: (type) => events.find((e) => e.type === type),
    all: (prefix) => events.filter((e) => e.type.startsWith(prefix)),
  };
}

function changeSection(delivery: AuditEvent | undefined): ChangeDossier['change'] {
  const details = detailsOf(delivery, 'webhook.accepted');
  if (delivery === undefined || details === undefined) return null;
  return {
    deliveryId: details.deliveryId,
    provider: delivery.actor.id,
    receivedAt: delivery.time,
    pushedBy: delivery.actor.providerIdentity ?? null,
    commits: details.commits,
  };
}

/** The run's end: its success or failure record, whichever the ledger holds. */
/**
 * The run's end. Should the ledger hold both a success and a failure (a record holding the
 * `run.ended` key keeps the other beside it, never swallows it), the failure is the end, and the
 * dossier says the ends conflict: it vouches for no success it cannot tell from a forged one.
 */
function endOf(run: RunEvents) {
  const failure = run.events.find((e) => e.type === 'run.failed');
  const success = run.events.find((e) => e.type === 'run.succeeded');
  const end = failure ?? success;
  return {
    end,
    conflicting: failure !== undefined && success !== undefined,
    succeeded: detailsOf(end, 'run.succeeded'),
    failed: detailsOf(end, 'run.failed'),
  };
}

function runSection(run: RunEvents): ChangeDossier['run'] {
  const startedEvent = run.first('run.started');
  const started = detailsOf(startedEvent, 'run.started');
  const { end, failed, conflicting } = endOf(run);
  return {
    startedAt: startedEvent?.time ?? run.events[0]?.time ?? '',
    trigger: started?.trigger ?? null,
    branch: started?.branch ?? null,
    pullRequest: started?.pullRequest ?? null,
    outcome: end ? (end.type === 'run.succeeded' ? 'succeeded' : 'failed') : 'in progress',
    conflictingEnds: conflicting,
    endedAt: end?.time ?? null,
    failure: failed ? { stage: failed.stage, reason: failed.reason } : null,
  };
}

function buildSection(event: AuditEvent | undefined): ChangeDossier['build'] {
  const build = detailsOf(event, 'build.finished');
  return build
    ? { buildId: build.buildId, status: build.status, startedAt: build.startedAt, endedAt: build.endedAt }
    : null;
}

/** An approval decision as the ledger recorded it, or undefined for another record. */
function decisionOf(e: AuditEvent): Omit<ChangeDossier['approval']['decisions'][number], 'by' | 'at'> | undefined {
  const granted = detailsOf(e, 'approval.granted');
  if (granted) return { decision: 'approved', principal: granted.principal, reason: granted.reason };
  const rejected = detailsOf(e, 'approval.rejected');
  if (rejected) return { decision: 'rejected', principal: rejected.principal, reason: rejected.reason };
  const expired = detailsOf(e, 'approval.expired');
  if (expired) return { decision: 'expired', principal: null, reason: expired.reason };
  return undefined;
}

function approvalSection(run: RunEvents): ChangeDossier['approval'] {
  const requestedEvent = run.first('approval.requested');
  const requested = detailsOf(requestedEvent, 'approval.requested');
  return {
    required: requestedEvent !== undefined,
    requestedAt: requestedEvent?.time ?? null,
    approvers: requested?.approvers ?? [],
    separationOfDuties: requested?.separationOfDuties ?? null,
    decisions: run.all('approval.').flatMap((e) => {
      const decided = decisionOf(e);
      if (decided === undefined) return [];
      const { decision, principal, reason } = decided;
      return [{ decision, by: e.actor.id, principal, reason, at: e.time }];
    }),
  };
}

function deploymentSection(run: RunEvents): ChangeDossier['deployment'] {
  const { end, succeeded } = endOf(run);
  const deployed = succeeded?.deployed ?? false;
  const notDeployed = end?.type !== 'run.succeeded' ? 'not deployed' : undefined;
  const withoutEvents = deployed
    ? 'the deploy stage ran without a deployment target (no deployment events recorded)'
    : 'no deployment for this run (validation only)';
  return {
    deployed,
    outcome: run.all('deploy.').at(-1)?.type.replace('deploy.', '') ?? notDeployed ?? withoutEvents,
    events: run.all('deploy.').map((e) => ({ type: e.type, at: e.time, details: e.details })),
    undoneBy: run.events.flatMap((e) => {
      const details = e.type === 'operator.action' ? detailsOf(e, 'operator.action') : undefined;
      return details?.undoneBy === undefined
        ? []
        : [{ runId: details.undoneBy, by: e.actor.id, at: e.time, reason: details.reason }];
    }),
  };
}

async function integritySection(
  reader: AuditReader,
  chain: string,
  delivery: AuditEvent | undefined,
  run: RunEvents,
  options: Pick<VerifyOptions, 'signer' | 'checkpoints'> & { checkpointsUnavailable?: string },
): Promise<ChangeDossier['integrity']> {
  const verification = await verifyLedger(reader, { ...options, repository: chain });
  const links = [...(delivery ? [delivery] : []), ...run.events].map((e) => ({
    seq: e.seq,
    type: e.type,
    hash: e.hash,
  }));
  const last = Math.max(0, ...links.map((l) => l.seq));
  const signedTo = verification.chains[0]?.signedTo ?? null;
  const checkpointed = verification.checkpoints !== null && signedTo !== null && signedTo >= last;
  // Records of the chain after this change's that wait too long for a checkpoint say the schedule
  // stopped, not that this change's records (signed, or still in time) do not verify.
  const overdue = verification.checkpoints?.overdue ?? [];
  const later = overdue.filter((o) => o.seq > last);
  const failures = (verification.checkpoints?.failures ?? []).filter(
    (f) => !later.some((o) => o.message === f.message),
  );
  const verified = verification.firstBreak === null && failures.length === 0;
  const coverage =
    verification.checkpoints === null
      ? `; checkpoints not checked (${options.checkpointsUnavailable ?? 'no checkpoint store was given'}), so only the links vouch for these records`
      : checkpointed
        ? ''
        : `; its records after seq ${signedTo ?? 0} are signed by no checkpoint yet: run gantry audit checkpoint, then make the dossier again`;
  const stopped =
    later.length > 0
      ? `; the chain's later records, from seq ${later[0]?.seq}, have waited too long for a checkpoint (gantry audit verify says why)`
      : '';
  return {
    verified,
    chain,
    checkpointed,
    checkpointsChecked: verification.checkpoints !== null,
    message: verified
      ? `chain "${chain}" verified: ${verification.chains[0]?.events ?? 0} events, ${verification.checkpoints?.checked ?? 0} checkpoints${coverage}${stopped}`
      : (verification.firstBreak?.message ?? failures[0]?.message ?? 'verification failed'),
    links,
  };
}

async function provenanceSection(
  event: AuditEvent | undefined,
  commit: string | null,
  allowUntrusted: boolean,
  check: ProvenanceCheck | undefined,
): Promise<ChangeDossier['provenance']> {
  if (event === undefined) return null;
  const recorded = parseAs(
    AUDIT_DETAILS['build.provenance'],
    event.details,
    `build.provenance details of audit event ${event.id}`,
  );
  const result = check
    ? await check(recorded, commit, allowUntrusted).catch((error: unknown) => ({
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

/**
 * Why the dossier cannot vouch for the change, however complete it is: its records do not verify,
 * the signed checkpoints could not be checked, or what was deployed has no provenance that
 * verifies. Empty when it can; `gantry audit evidence` fails (exit 1) otherwise, after writing it.
 */
export function unvouched(
  d: Pick<ChangeDossier, 'runId' | 'integrity' | 'provenance' | 'deployment'> & {
    readonly run?: Pick<ChangeDossier['run'], 'conflictingEnds'>;
  },
): string[] {
  const reasons: string[] = [];
  if (d.run?.conflictingEnds)
    reasons.push(
      'the ledger records both a success and a failure of the run: run gantry audit verify, and find who wrote each',
    );
  if (!d.integrity.verified) reasons.push(`its ledger records do not verify: ${d.integrity.message}`);
  else if (!d.integrity.checkpointsChecked)
    reasons.push(`the signed checkpoints were not checked: ${d.integrity.message}`);
  if (d.provenance?.verified === false)
    reasons.push(`the build provenance does not verify: ${d.provenance.verification}`);
  if (d.deployment.deployed && !d.provenance) reasons.push('it was deployed, and the ledger holds no build provenance');
  else if (d.deployment.deployed && d.provenance?.verified === null)
    reasons.push(`it was deployed, and its build provenance was not checked: ${d.provenance.verification}`);
  return reasons.map((r) => `run ${d.runId}: ${r}`);
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
  if (d.run.conflictingEnds) gaps.push('one run outcome (the ledger records both a success and a failure)');
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
    row('Integrity', `${d.integrity.verified ? (d.integrity.checkpointed ? '✅' : '⚠️') : '❌'} ${d.integrity.message}`),
    '',
    '## The change',
    '',
  ];
  if (d.change) {
    lines.push(
      `Delivery ${cell(d.change.deliveryId)} from ${cell(d.change.provider)}, received ${cell(d.change.receivedAt)}, pushed by ${d.change.pushedBy ? cell(d.change.pushedBy) : 'unknown'}.`,
      '',
      '| commit | author | message |',
      '| --- | --- | --- |',
      ...d.change.commits.map(
        (c) => `| ${cell(c.id.slice(0, 12))} | ${cell(c.author)} | ${cell(c.message.split(LINE_BREAKS)[0])} |`,
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
      `${d.provenance.verified === true ? '✅' : d.provenance.verified === false ? '❌' : '⚪'} ${cell(d.provenance.verification)}`,
      '',
      '| | |',
      '| --- | --- |',
      row('Envelope', d.provenance.envelope),
      row('Envelope SHA-256', d.provenance.envelopeSha256),
      row('Builder', d.provenance.builderId),
      '',
      '| artifact | SHA-256 |',
      '| --- | --- |',
      ...d.provenance.subjects.map((s) => `| ${cell(s.name)} | ${cell(s.sha256)} |`),
    );
  } else lines.push('No provenance was recorded for this run.');
  lines.push('', '## Approval', '');
  if (!d.approval.required) lines.push('This environment requires no approval.');
  else {
    lines.push(
      `Requested ${cell(d.approval.requestedAt)} from ${cell(d.approval.approvers.join(', '))}; separation of duties ${d.approval.separationOfDuties ? 'enforced' : 'off'}.`,
      '',
      '| decision | by | principal | reason | at |',
      '| --- | --- | --- | --- | --- |',
      ...d.approval.decisions.map(
        (a) => `| ${cell(a.decision)} | ${cell(a.by)} | ${cell(a.principal)} | ${cell(a.reason)} | ${cell(a.at)} |`,
      ),
    );
  }
  lines.push('', '## Deployment', '', `${cell(d.deployment.outcome)}.`);
  for (const u of d.deployment.undoneBy)
    lines.push('', `Rolled back: run ${cell(u.runId)}, asked by ${cell(u.by)} at ${cell(u.at)} (${cell(u.reason)}).`);
  lines.push('', '## Refusals', '');
  if (d.refusals.length === 0)
    lines.push(
      'No refusal records (operator.refused, deploy.refused, security.*) on this run; a step that failed says why under Outcome.',
    );
  else
    lines.push(
      '| at | record | who | reason |',
      '| --- | --- | --- | --- |',
      ...d.refusals.map((r) => `| ${cell(r.at)} | ${cell(r.type)} | ${cell(r.actor)} | ${cell(r.reason)} |`),
    );
  lines.push('', '## Ledger records', '', '| seq | type | hash |', '| --- | --- | --- |');
  lines.push(...d.integrity.links.map((l) => `| ${l.seq} | ${cell(l.type)} | ${cell(l.hash)} |`));
  if (d.gaps.length > 0) lines.push('', '## Gaps', '', ...d.gaps.map((g) => `- ${cell(g)}`));
  return `${lines.join('\n')}\n`;
}

/**
 * A table cell, or any stored value in a line, of the dossier. Reasons quote what senders wrote
 * (S3 keys, PR titles, branch names, a Bitbucket display name as the pusher): links, images, HTML
 * and code spans in them are written as text, not rendered.
 */
function cell(value: unknown): string {
  if (value === null || value === undefined || value === '') return '—';
  return (
    printable(String(value).replace(LINE_BREAKS, ' '))
      .replace(/[\\`[\]<>|*_~#@]/g, (c) => `\\${c}`)
      // A bare URL is not made a link (GFM's autolinks, after any delimiter): the colon or dot
      // that starts one is escaped, as is every @ (e-mail autolinks).
      .replace(/(?<![A-Za-z0-9])(https?|ftp)(?=:\/\/)/gi, '$1\\')
      .replace(/(?<![A-Za-z0-9])www(?=\.)/gi, 'www\\')
  );
}

/** Every line ending CommonMark knows (a lone `\r` too), and the Unicode line and paragraph separators. */
const LINE_BREAKS = /\r\n?|\n|\u2028|\u2029/g;
