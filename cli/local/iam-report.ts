import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DECISIONS_FILE, type IamDecisions } from '../../local/iam';
import { UsageError } from '../errors';
import { dataDirOption } from '../options';

export interface IamReportOptions {
  readonly dataDir?: string;
  readonly json?: boolean;
}

/** One role's part of the report: what was refused, and what it may do that nothing did. */
export interface RoleReport {
  readonly role: string;
  readonly callers: readonly string[];
  readonly denied: readonly { action: string; resource: string; reason: string; count: number }[];
  /** Older denials the edge did not keep (it keeps a role's newest 200). */
  readonly droppedDenials: number;
  readonly unusedGrants: readonly { source: string; actions: readonly string[]; resources: readonly string[] }[];
}

/** The local session's IAM decisions, per role, as the edge recorded them under the data folder. */
export function iamReport(decisions: IamDecisions): RoleReport[] {
  return Object.entries(decisions.roles).map(([role, r]) => {
    const denied = new Map<string, { action: string; resource: string; reason: string; count: number }>();
    for (const d of r.denied) {
      const key = `${d.action} ${d.resource}`;
      const prior = denied.get(key);
      denied.set(key, { action: d.action, resource: d.resource, reason: d.reason, count: (prior?.count ?? 0) + 1 });
    }
    const unusedGrants = r.grants
      .filter((g) => !g.used)
      .map(({ source, actions, resources }) => ({ source, actions, resources }));
    return {
      role,
      callers: r.callers,
      denied: [...denied.values()],
      droppedDenials: r.droppedDenials ?? 0,
      unusedGrants,
    };
  });
}

/** Reads `<data dir>/iam/decisions.json`: the running (or last) local session's decisions. */
export function readDecisions(dataDir: string): IamDecisions {
  const file = join(dataDir, DECISIONS_FILE);
  if (!existsSync(file))
    throw new UsageError(`no IAM decisions in ${dataDir}/: start the control plane with \`npm start\` first`);
  return JSON.parse(readFileSync(file, 'utf8')) as IamDecisions;
}

/** `gantry local iam report [--json]`. */
export function iamReportCommand(options: IamReportOptions, out: (line: string) => void): void {
  const report = iamReport(readDecisions(dataDirOption(options.dataDir)));
  if (options.json === true) {
    out(JSON.stringify({ roles: report }, null, 2));
    return;
  }
  for (const r of report) {
    out(`${r.role} (${r.callers.join(', ')})`);
    for (const d of r.denied) out(`  denied ${d.count}x: ${d.action} on ${d.resource} (${d.reason})`);
    if (r.droppedDenials > 0) out(`  and ${r.droppedDenials} older denials, not kept (the newest 200 are)`);
    for (const g of r.unusedGrants) out(`  unused: ${g.actions.join(', ')} on ${g.resources.join(', ')} [${g.source}]`);
    if (r.denied.length === 0 && r.unusedGrants.length === 0) out('  every grant used, nothing denied');
  }
}
