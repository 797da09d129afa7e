import type { DeployTarget, RunPlan } from '../../events';
import { refused } from '../provenance/errors';
import { configurationChanges, configurationDigest, describeConfigurationChanges } from './configuration';
import type { FunctionConfiguration } from './ports';

/** A Lambda version and its configuration. */
export interface VersionConfiguration {
  readonly version: string;
  readonly configuration: FunctionConfiguration;
}

/**
 * A Lambda version's configuration as `deploy.started` records it (never its value tags), with
 * what changed since the live version and, when a retry's requester accepted that change, who
 * accepted which digest.
 */
export type RecordedConfiguration = Omit<FunctionConfiguration, 'environmentValueTags'> & {
  readonly changedSince: { version: string; changes: string[] } | null;
  readonly accepted?: { by: string; digest: string };
};

/** What `deploy.started` records of the released version's configuration, against the live one. */
export function recordedConfiguration(
  plan: RunPlan,
  live: VersionConfiguration,
  released: FunctionConfiguration,
): RecordedConfiguration {
  const changes = configurationChanges(live.configuration, released);
  const accepted = changes.length === 0 ? undefined : acceptanceOf(plan, released);
  const { handler, runtime, layers, environmentKeys, environmentSha256, platform } = released;
  return {
    handler,
    runtime,
    layers,
    environmentKeys,
    environmentSha256,
    ...(platform === undefined ? {} : { platform: { ...platform } }),
    changedSince: changes.length === 0 ? null : { version: live.version, changes },
    ...(accepted === undefined ? {} : { accepted }),
  };
}

/** The retry's acceptance of exactly this configuration, if its requester gave one. */
function acceptanceOf(plan: RunPlan, configuration: FunctionConfiguration): { by: string; digest: string } | undefined {
  const digest = plan.retry?.acceptConfiguration ?? null;
  if (plan.retry === null || digest !== configurationDigest(configuration)) return undefined;
  return { by: plan.retry.requestedBy, digest };
}

/**
 * A release shifts the alias to a version published from `$LATEST`, which takes `$LATEST`'s
 * layers, handler, runtime and environment as they are, and none of them is in the build's
 * provenance: a layer, a handler pointed into one or `NODE_OPTIONS` set in the account would ship
 * with the next reviewed release. So a version whose configuration differs from the live one's is
 * refused, saying what changed, unless the run is a retry whose requester accepted exactly its
 * digest (a change made after the acceptance is refused again). A rollback restores a version
 * with the configuration it was released with, and an environment that opted out (`record`)
 * only records the change.
 */
export function requireAcceptedConfiguration(
  plan: RunPlan,
  lambda: NonNullable<DeployTarget['lambda']>,
  live: VersionConfiguration,
  released: VersionConfiguration,
): void {
  if (plan.rollback !== null || lambda.configurationChanges === 'record') return;
  if (configurationChanges(live.configuration, released.configuration).length === 0) return;
  const digest = configurationDigest(released.configuration);
  const accepted = plan.retry?.acceptConfiguration ?? null;
  if (accepted === digest) return;
  const changes = describeConfigurationChanges(live.configuration, released.configuration);
  const late =
    accepted === null
      ? ''
      : `${plan.retry?.requestedBy} accepted configuration ${accepted} for this retry, not this one: it changed after the acceptance. `;
  // The digest comes first: a run's failure shows the reason's first 200 characters.
  throw refused(
    'configuration',
    `version ${released.version} of ${lambda.function} runs configuration ${digest}, not that of version ${live.version}, which ${lambda.function}:${lambda.alias} serves: ${changes.join('; ')}. No provenance covers it, and a layer, a handler or NODE_OPTIONS runs code no review saw. ${late}If the change is intended (a deploy of the function's own stack), release exactly this configuration with \`gantry runs retry ${plan.runId} --accept-configuration ${digest} --reason "…"\`; if not, find who changed the function (CloudTrail UpdateFunctionConfiguration), undo it on $LATEST and retry`,
  );
}
