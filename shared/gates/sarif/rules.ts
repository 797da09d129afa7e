import type { FindingLevel } from '../reports';
import type { SarifComponent, SarifResult, SarifRule, SarifRun } from './schema';

/**
 * The rule a result refers to (§3.27.5–7, §3.52): by index or id, in the driver or in the
 * extension its `rule.toolComponent` names; undefined when the log does not describe it.
 */
export function ruleOf(run: SarifRun, result: SarifResult): SarifRule | undefined {
  const component = componentOf(run, result);
  const index = result.rule?.index ?? result.ruleIndex;
  const byIndex = index === undefined ? undefined : component?.rules?.[index];
  if (byIndex !== undefined) return byIndex;
  const id = result.rule?.id ?? result.ruleId;
  if (id === undefined) return undefined;
  const components = [run.tool.driver, ...(run.tool.extensions ?? [])];
  for (const candidate of components) {
    const rule = candidate.rules?.find((r) => r.id === id);
    if (rule !== undefined) return rule;
  }
  return undefined;
}

function componentOf(run: SarifRun, result: SarifResult): SarifComponent | undefined {
  const reference = result.rule?.toolComponent;
  if (reference === undefined) return run.tool.driver;
  if (reference.index !== undefined) return run.tool.extensions?.[reference.index];
  return run.tool.extensions?.find((e) => e.name === reference.name) ?? run.tool.driver;
}

/**
 * A result's effective level (§3.27.10): its own `level`; else a run's configuration override
 * for its rule; else the rule's `defaultConfiguration.level`; else `warning`.
 */
export function levelOf(run: SarifRun, result: SarifResult, rule: SarifRule | undefined): FindingLevel {
  if (result.level !== undefined) return result.level;
  const id = rule?.id ?? result.ruleId;
  for (const invocation of run.invocations ?? []) {
    for (const override of invocation.ruleConfigurationOverrides ?? []) {
      if (override.descriptor.id === id && override.configuration.level !== undefined)
        return override.configuration.level;
    }
  }
  return rule?.defaultConfiguration?.level ?? 'warning';
}

/**
 * The `security-severity` score GitHub code scanning reads: from the result's properties, else
 * its rule's. Tools write it as a string ("8.8"); a number is accepted too. Anything that is not a
 * score between 0 and 10 is treated as absent rather than guessed at.
 */
export function securitySeverityOf(result: SarifResult, rule: SarifRule | undefined): number | null {
  return score(result.properties?.['security-severity']) ?? score(rule?.properties?.['security-severity']);
}

function score(value: unknown): number | null {
  const parsed =
    typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : Number.NaN;
  return Number.isFinite(parsed) && parsed >= 0 && parsed <= 10 ? parsed : null;
}

/** The result's message text (§3.11): its text, else the rule's message string, with `{n}` filled in. */
export function messageOf(result: SarifResult, rule: SarifRule | undefined): string {
  const { message } = result;
  const template =
    message.text ??
    (message.id === undefined ? undefined : rule?.messageStrings?.[message.id]?.text) ??
    message.markdown ??
    '';
  const args = message.arguments ?? [];
  return template.replace(/\{(\d+)\}/g, (whole, n: string) => args[Number(n)] ?? whole);
}

/** Whether the result stops counting: suppressed by an accepted suppression, or gone from the code. */
export function isDismissed(result: SarifResult): boolean {
  if (result.baselineState === 'absent') return true;
  const suppressions = result.suppressions ?? [];
  return suppressions.length > 0 && suppressions.every((s) => s.status === undefined || s.status === 'accepted');
}
