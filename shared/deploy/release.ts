import type { DeployTarget, RunPlan } from '../../events';
import { runFact } from '../audit/audit';
import { stopUnlessEnded } from '../aws/deployment-stop';
import {
  afterConfigurationChange,
  approvalShortfall,
  cancelledJustNow,
  configurationChangedOnly,
  gatesShortfall,
  releaseShortfall,
} from '../pipelines/acting';
import { recordForgedInput, runOfExecution } from '../pipelines/ownership';
import type { DeployedPipelines, ExecutionPipelines } from '../pipelines/ports';
import { ProvenanceError, refused } from '../provenance/errors';
import { codeSha256Of, type VerifyDeps, verifiedStatement, verifyReleaseArtifact } from '../provenance/verify';
import type { RunDeployment, RunRecord } from '../runs/model';
import { gantryRecord, subjectOf } from '../runs/subjects';
import { deploymentDescription, ecsAppSpec, lambdaAppSpec, runIdOf, sameAppSpec } from './appspec';
import {
  type RecordedConfiguration,
  recordedConfiguration,
  requireAcceptedConfiguration,
  type VersionConfiguration,
} from './configuration-check';
import {
  answerDeployment,
  atSite,
  type DeployDeps,
  DeployError,
  isEnded,
  requireTarget,
  shiftText,
  siteOf,
} from './outcome';
import type { FunctionConfiguration } from './ports';
import { describeTarget, sameVersions } from './target';

/**
 * The Deploy step also verifies provenance (the versioned artifacts and the provenance key) and
 * reads the pipeline as deployed now (who is still an approver).
 */
export interface ReleaseDeps extends DeployDeps {
  readonly provenance: VerifyDeps;
  /** As deployed now, and as a run's own execution runs it (to tell a changed configuration from a forgery). */
  readonly pipelines: DeployedPipelines & ExecutionPipelines;
}

/**
 * Deploy step (.waitForTaskToken): verifies the build's provenance, publishes exactly the
 * attested bytes as a new version (refused if it runs a configuration the live version does not,
 * unless accepted: configuration-check.ts) and asks CodeDeploy to shift the alias to it. The run parks
 * until a CodeDeploy state-change event answers the token. What it releases comes from the run
 * record the control plane wrote, never from the state's input. Idempotent per run: a retried
 * step adopts the deployment the first attempt started.
 */
export async function startDeployment(
  home: ReleaseDeps,
  input: RunPlan,
  taskToken: string,
  executionArn: string,
): Promise<void> {
  const run = await trustedRun(home, input, executionArn);
  const plan = run.plan;
  // Every call about the deployment goes to the target's account, as the run's session there.
  const deps = atSite(home, siteOf(plan));
  const target = requireTarget(plan);
  const now = deps.clock();
  let existing = run.deployment;
  if (existing !== undefined && existing.deploymentId === undefined && existing.status === 'in_progress') {
    // An earlier attempt opened the deployment and may have created it in CodeDeploy, then died
    // before noting its id: find it by the run id its description carries, rather than start a
    // second deployment of the same change.
    const since = new Date(Date.parse(existing.startedAt) - 5 * 60_000);
    const found = await deps.deploy.findDeployment(
      target.application,
      target.deploymentGroup,
      since,
      ({ description }) => runIdOf(description) === plan.runId,
    );
    if (found !== undefined) {
      // Anyone who may CreateDeployment can write a description: adopt only what this run asked for.
      const asked =
        target.lambda !== null
          ? lambdaAppSpec(target, existing.fromVersion ?? '', existing.toVersion)
          : ecsAppSpec(target, existing.toVersion);
      if (!sameAppSpec(found.appSpec, asked)) {
        const why = `deployment ${found.deploymentId} names run ${plan.runId} but does not deploy what the run asked (${shiftText(existing)}): not adopted; stop it in CodeDeploy`;
        await recordForgedInput(deps, input, run, executionArn, 'deploy', why);
        throw new DeployError('Gantry.DeploymentFailed', why);
      }
      await deps.runs.setDeploymentId(plan.runId, found.deploymentId, now);
      const fn = target.lambda?.function;
      const configuration =
        fn === undefined || existing.fromVersion === null
          ? null
          : recordedConfiguration(
              plan,
              await versionConfiguration(deps, fn, existing.fromVersion),
              await deps.deploy.versionConfiguration(fn, existing.toVersion),
            );
      const artifact = await recordedArtifact(deps, run, target);
      await recordStarted(deps, run, found.deploymentId, existing, target, artifact, configuration);
      existing = { ...existing, deploymentId: found.deploymentId };
    }
  }
  if (existing?.deploymentId !== undefined) {
    await deps.runs.openDeployment(plan.runId, { ...existing, taskToken }, now);
    const info = await deps.deploy.getDeployment(existing.deploymentId);
    if (isEnded(info)) await answerDeployment(deps, plan, { ...existing, taskToken }, info);
    deps.logger.info('deploy step retried: adopted the existing deployment', {
      runId: plan.runId,
      deploymentId: existing.deploymentId,
    });
    return;
  }
  const revision = await revisionOf(deps, run, target).catch((error: unknown) =>
    error instanceof ProvenanceError ? refuseDeploy(deps, plan, target, error) : Promise.reject(error),
  );
  // Publishing took a while (UpdateFunctionCode, in AWS seconds): an operator's cancel, or a newer
  // run superseding this one, may have ended the run meanwhile. Nothing has moved yet: stop here.
  const meanwhile = await endedMeanwhile(deps, plan.runId);
  if (meanwhile !== null)
    throw new DeployError(
      'Gantry.DeploymentStopped',
      `${meanwhile} while its release was being verified: nothing was deployed`,
    );
  const deployment: RunDeployment = {
    taskToken,
    target: describeTarget(target),
    strategy: target.strategy,
    fromVersion: revision.from,
    toVersion: revision.to,
    status: 'in_progress',
    startedAt: now.toISOString(),
  };
  await deps.runs.openDeployment(plan.runId, deployment, now);
  await deps.runs.setStage(
    plan.runId,
    'deploy',
    { status: 'running', startedAt: now.toISOString(), summary: `${shiftText(deployment)} (${target.strategy})` },
    now,
  );
  if (revision.from === revision.to) {
    // The alias already serves this version (a redeploy of the same code): nothing to shift.
    await answerDeployment(deps, plan, deployment, {
      deploymentId: '',
      status: 'Succeeded',
      description: '',
      error: null,
      rolledBack: false,
    });
    return;
  }
  const deploymentId = await deps.deploy.createDeployment({
    application: target.application,
    deploymentGroup: target.deploymentGroup,
    deploymentConfig: target.deploymentConfig,
    description: deploymentDescription(plan.runId),
    appSpec: revision.appSpec,
  });
  await deps.runs.setDeploymentId(plan.runId, deploymentId, deps.clock());
  // A cancel or supersede writes the run's end and then reads it for a deployment to stop; this
  // step wrote the id and now reads the run's status, at once (nothing that can fail between).
  // Whichever writes second, the other's read sees it: a run ended while its deployment was
  // being created has that deployment stopped here, or by the cancel, never left shifting traffic
  // with no bake or alarm check after it.
  const ended = await endedMeanwhile(deps, plan.runId);
  if (ended !== null) {
    const words = `${ended} while its deployment was being created: stopped`;
    await deps.runs.requestStop(plan.runId, words, deps.clock());
    await stopUnlessEnded(deps.deploy, deploymentId);
    // Stopped before anything else may fail; the ledger still says it was started.
    await recordStarted(deps, run, deploymentId, deployment, target, revision.released, revision.configuration);
    throw new DeployError('Gantry.DeploymentStopped', `deployment ${deploymentId} stopped: ${words}`);
  }
  await recordStarted(deps, run, deploymentId, deployment, target, revision.released, revision.configuration);
  deps.logger.info('deployment started', {
    runId: plan.runId,
    deploymentId,
    from: revision.from,
    to: revision.to,
    strategy: target.strategy,
  });
}

/** How the run ended while this step worked (`run … was CANCELLED by …`), or null while it still runs. */
async function endedMeanwhile(deps: DeployDeps, runId: string): Promise<string | null> {
  const now = await deps.runs.get(runId);
  if (now?.status === 'RUNNING') return null;
  const by = now?.cancelledBy === undefined ? '' : ` by ${now.cancelledBy}`;
  return `run ${runId} was ${now?.status ?? 'deleted'}${by}`;
}

/**
 * `deploy.started`, naming what it releases: the versions it shifts between and the attested
 * artifact behind the new one (its digest and the S3 version Deploy read, and the run whose build
 * RecordProvenance attested it), so the ledger alone ties a deployment to the bytes of a build.
 */
async function recordStarted(
  deps: ReleaseDeps,
  run: RunRecord,
  deploymentId: string,
  deployment: Pick<RunDeployment, 'target' | 'fromVersion' | 'toVersion'>,
  target: DeployTarget,
  artifact: Released | null,
  configuration: RecordedConfiguration | null = null,
): Promise<void> {
  const { plan } = run;
  await deps.audit.record({
    type: 'deploy.started',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: subjectOf(plan),
    outcome: 'pending',
    details: {
      deploymentId,
      target: deployment.target,
      strategy: target.strategy,
      fromVersion: deployment.fromVersion,
      toVersion: deployment.toVersion,
      artifact,
      ...(configuration === null
        ? {}
        : {
            configuration: {
              ...configuration,
              layers: [...configuration.layers],
              environmentKeys: [...configuration.environmentKeys],
            },
          }),
    },
    correlationId: plan.change.deliveryId,
    once: runFact(plan.runId, `deploy.started/${deploymentId}`),
  });
}

/**
 * The artifact a deployment adopted by a retried Deploy releases, as the runs table names it (the
 * attempt that verified it died before its record); every other record names what Deploy verified.
 */
async function recordedArtifact(
  deps: ReleaseDeps,
  run: RunRecord,
  target: DeployTarget,
): Promise<{ name: string; sha256: string; versionId: string; builtBy: string } | null> {
  const path = target.lambda?.artifact ?? target.ecs?.taskDefinitionArtifact;
  const source = run.plan.rollback ? await deps.runs.get(run.plan.rollback.toRunId) : run;
  const name = path?.replace(/^\/+/, '');
  const subject = source?.provenance?.subjects.find((s) => s.name === name);
  if (source === undefined || subject === undefined) return null;
  return { name: subject.name, sha256: subject.sha256, versionId: subject.versionId, builtBy: source.runId };
}

/** The attested artifact a deployment releases: its name, digest and S3 version, and the run whose build it is. */
type Released = { name: string; sha256: string; versionId: string; builtBy: string };

/** Which revision to release, the AppSpec that releases it and the artifact behind it, once its provenance verified. */
async function revisionOf(
  deps: ReleaseDeps,
  run: RunRecord,
  target: DeployTarget,
): Promise<{
  from: string | null;
  to: string;
  appSpec: string;
  released: Released;
  configuration: RecordedConfiguration | null;
}> {
  const { plan } = run;
  if (plan.rollback) await requireStillCurrent(deps, run, plan.rollback);
  if (target.lambda !== null) {
    const { function: fn, alias } = target.lambda;
    const { to, released, configuration } = plan.rollback
      ? await verifiedRollbackVersion(deps, plan.rollback, target, target.lambda.artifact)
      : await publishVerified(deps, run, fn, target.lambda.artifact);
    const from = await liveVersion(deps, run, fn, alias);
    const live = await versionConfiguration(deps, fn, from);
    requireAcceptedConfiguration(plan, target.lambda, live, { version: to, configuration });
    return {
      from,
      to,
      appSpec: lambdaAppSpec(target, from, to),
      released,
      configuration: recordedConfiguration(plan, live, configuration),
    };
  }
  if (target.ecs === null) throw new DeployError('Gantry.NoDeployTarget', 'the target names neither lambda nor ecs');
  const source = plan.rollback ? await runToRestore(deps, plan.rollback.toRunId, target) : run;
  const artifact = await verifyReleaseArtifact(deps.provenance, source, target.ecs.taskDefinitionArtifact);
  const taskDefinition = artifact.bytes.toString('utf8').trim();
  checkTaskDefinition(taskDefinition, target.ecs.family);
  if (plan.rollback && plan.rollback.version !== taskDefinition) {
    throw refused(
      'digest',
      `rollback asks for ${plan.rollback.version}, but run ${source.runId}'s attested task definition is ${taskDefinition}`,
    );
  }
  const released = releasedOf(target.ecs.taskDefinitionArtifact, artifact, source.runId);
  return { from: null, to: taskDefinition, appSpec: ecsAppSpec(target, taskDefinition), released, configuration: null };
}

/**
 * What a Lambda version runs besides the attested package (layers, handler, environment): on the
 * record beside the package, and compared with what the next version runs.
 */
async function versionConfiguration(deps: ReleaseDeps, fn: string, version: string): Promise<VersionConfiguration> {
  return { version, configuration: await deps.deploy.versionConfiguration(fn, version) };
}

/**
 * A rollback undoes one release: it waited for its lane (and maybe an approval), and a run queued
 * before it may have released since. Restoring the version before the undone run would then undo
 * that newer release too, which nobody asked for: refused, saying which run released since.
 */
async function requireStillCurrent(
  deps: ReleaseDeps,
  run: RunRecord,
  rollback: NonNullable<RunPlan['rollback']>,
): Promise<void> {
  if (rollback.ofRunId === null) return;
  // What Gantry left live in the lane: still the undone run's, or a later run's whose bake check
  // sent traffic back to it, is what the rollback was asked to undo.
  const left = await versionLeftLive(deps, run);
  if (left === undefined || left.runId === rollback.ofRunId) return;
  const undone = (await deps.runs.get(rollback.ofRunId))?.deployment?.toVersion;
  if (undone !== undefined && left.versions.includes(undone)) return;
  throw refused(
    'rollback',
    `run ${left.runId} released since run ${rollback.ofRunId}, which this rollback undoes, and left ${left.versions.map((v) => `version ${v}`).join(' or ')} live: restoring version ${rollback.version} would undo that release too. Roll back run ${left.runId} instead if that is what you mean`,
  );
}

/**
 * The version the alias serves now, which the release shifts from (and CodeDeploy's rollback, or
 * a bake alarm, sends traffic back to). It must be all of the alias's traffic, and the version
 * Gantry left there: an alias weighted onto another version, or moved since Gantry's last release
 * in the lane, serves bytes no gate, approval or provenance saw, and would stay (or come back)
 * live behind a release that looks clean. Both are refused, saying what to check and fix.
 */
async function liveVersion(deps: ReleaseDeps, run: RunRecord, fn: string, alias: string): Promise<string> {
  const live = await deps.deploy.aliasRouting(fn, alias);
  const others = Object.entries(live.additional).filter(([, weight]) => weight > 0);
  if (others.length > 0)
    throw refused(
      'alias',
      `alias ${fn}:${alias} sends ${others.map(([v, w]) => `${Math.round(w * 100)}% to version ${v}`).join(', ')} besides version ${live.version}: Gantry releases only from an alias that serves one version. A deployment still shifting its traffic ends by itself (retry after it); otherwise find out who set the routing (CloudTrail UpdateAlias), remove it (aws lambda update-alias --function-name ${fn} --name ${alias} --routing-config '{}') and retry`,
    );
  const left = await versionLeftLive(deps, run);
  if (left !== undefined && !left.versions.includes(live.version)) {
    const [back] = left.versions;
    throw refused(
      'alias',
      `alias ${fn}:${alias} serves version ${live.version}, but Gantry left ${left.versions.map((v) => `version ${v}`).join(' or ')} there (run ${left.runId}): it was moved outside Gantry. Find out who moved it (CloudTrail UpdateAlias) and what version ${live.version} runs, point the alias back (aws lambda update-alias --function-name ${fn} --name ${alias} --function-version ${back}) and retry`,
    );
  }
  return live.version;
}

/**
 * The versions Gantry's latest landed deployment in the run's lane may have left live, the one to
 * restore first: its target, or its source when its bake check sent traffic back (noted on the
 * run, or, for a run recorded before that was noted, its failure at the bake). A bake check that
 * asked for the rollback but died before noting CodeDeploy's id may have sent it or not: either
 * version is Gantry's. Undefined before Gantry's first release there.
 */
async function versionLeftLive(
  deps: ReleaseDeps,
  run: RunRecord,
): Promise<{ versions: string[]; runId: string } | undefined> {
  const site = run.plan.deployTarget;
  if (site === null) return undefined;
  // Only releases onto this very target: a version number left live on another (before the environment moved) names nothing here.
  const landed = (await deps.runs.list({ lane: run.lane, limit: 100 }))
    .filter(
      (r) =>
        r.runId !== run.runId &&
        r.deployment?.status === 'succeeded' &&
        r.deployment.endedAt !== undefined &&
        r.plan.deployTarget !== null &&
        sameVersions(r.plan.deployTarget, site),
    )
    .sort((a, b) => (b.deployment?.endedAt ?? '').localeCompare(a.deployment?.endedAt ?? ''))[0];
  const deployment = landed?.deployment;
  if (landed === undefined || deployment === undefined) return undefined;
  const from = deployment.fromVersion;
  if (from === null) return { versions: [deployment.toVersion], runId: landed.runId };
  const back = deployment.trafficBack;
  if (back?.deploymentId !== undefined || (back === undefined && landed.failure?.error === 'Gantry.BakeAlarm'))
    return { versions: [from], runId: landed.runId };
  if (back !== undefined) return { versions: [from, deployment.toVersion], runId: landed.runId };
  return { versions: [deployment.toVersion], runId: landed.runId };
}

function releasedOf(path: string, artifact: { sha256: string; versionId: string }, builtBy: string): Released {
  return { name: path.replace(/^\/+/, ''), sha256: artifact.sha256, versionId: artifact.versionId, builtBy };
}

/** Publishes the attested package, read at its pinned version, and checks Lambda got those bytes. */
async function publishVerified(
  deps: ReleaseDeps,
  run: RunRecord,
  fn: string,
  artifactPath: string,
): Promise<{ to: string; released: Released; configuration: FunctionConfiguration }> {
  const artifact = await verifyReleaseArtifact(deps.provenance, run, artifactPath);
  const published = await deps.deploy.publishVersion(fn, artifact);
  if (published.codeSha256 !== codeSha256Of(artifact.sha256)) {
    throw refused(
      'code',
      `Lambda published version ${published.version} of ${fn} with CodeSha256 ${published.codeSha256}, not the attested ${codeSha256Of(artifact.sha256)}`,
    );
  }
  return {
    to: published.version,
    released: releasedOf(artifactPath, artifact, run.runId),
    configuration: published.configuration,
  };
}

/** A rollback restores a version only if its code is what the restored run's provenance attests. */
async function verifiedRollbackVersion(
  deps: ReleaseDeps,
  rollback: NonNullable<RunPlan['rollback']>,
  target: DeployTarget,
  artifactPath: string,
): Promise<{ to: string; released: Released; configuration: FunctionConfiguration }> {
  const source = await runToRestore(deps, rollback.toRunId, target);
  const fn = target.lambda?.function ?? '';
  const statement = await verifiedStatement(deps.provenance, source);
  const subject = statement.subject.find((s) => s.name === artifactPath.replace(/^\/+/, ''));
  const code = await deps.deploy.versionCodeSha256(fn, rollback.version);
  if (subject === undefined || codeSha256Of(subject.digest.sha256) !== code) {
    throw refused(
      'code',
      `version ${rollback.version} of ${fn} (CodeSha256 ${code}) is not the ${artifactPath} that run ${source.runId}'s provenance attests`,
    );
  }
  const attested = { sha256: subject.digest.sha256, versionId: subject.annotations.versionId };
  return {
    to: rollback.version,
    released: releasedOf(artifactPath, attested, source.runId),
    configuration: await deps.deploy.versionConfiguration(fn, rollback.version),
  };
}

/**
 * The run a rollback restores, released onto `target` (account, deployment group, function and
 * alias, or cluster and service): a version number names something only where it was released,
 * and one from before the environment moved would restore whatever carries it here.
 */
async function runToRestore(deps: ReleaseDeps, runId: string, target: DeployTarget): Promise<RunRecord> {
  const run = await deps.runs.get(runId);
  if (run === undefined) throw refused('provenance', `the run to restore, ${runId}, does not exist`);
  const site = run.plan.deployTarget;
  if (site === null || !sameVersions(site, target))
    throw refused(
      'rollback',
      `run ${runId}, which this rollback restores, released ${site === null ? 'nothing' : `onto ${describeTarget(site)}${site.account ? ` in account ${site.account}` : ''}`}, not onto ${describeTarget(target)}${target.account ? ` in account ${target.account}` : ''}: its versions are not this target's. Roll back to a release made onto this target, or deploy a revert`,
    );
  return run;
}

/** `arn:aws:ecs:<region>:<account>:task-definition/<family>:<revision>`, of the configured family only. */
function checkTaskDefinition(arn: string, family: string): void {
  const match = /^arn:[^:]+:ecs:[^:]+:\d{12}:task-definition\/([A-Za-z0-9_-]+):(\d+)$/.exec(arn);
  if (match === null) {
    throw refused(
      'family',
      `the task definition artifact holds ${JSON.stringify(arn.slice(0, 200))}, not a task definition ARN with a revision`,
    );
  }
  if (match[1] !== family) {
    throw refused('family', `task definition ${arn} is of family ${match[1]}, not the configured ${family}`);
  }
}

/**
 * The run Deploy may act for, from the runs table, never from the state's input: it exists, it
 * is this very execution's (the ARN Step Functions puts in the context object, which no input
 * can set), it is still running, its gates passed as recorded, and a gated environment holds the
 * approvals its policy asks, as decide() recorded them, by people still approvers as the pipeline
 * is deployed now, which still releases to the target it was planned with. A run that passes
 * these only against the configuration it was planned under is refused as `deploy.refused`
 * (check `configuration`: the configuration changed while it waited). Anything else is a forged
 * or replayed input (a direct invoke names any execution it likes): refused, recorded as
 * `security.forged_input`. (That a build with provenance is on record is checked next, by the
 * provenance verification, which refuses with `deploy.refused`.)
 */
async function trustedRun(deps: ReleaseDeps, input: RunPlan, executionArn: string): Promise<RunRecord> {
  const owned = await runOfExecution(deps, input, executionArn, 'deploy');
  if ('refused' in owned) throw refused('run', `deploy refused: ${owned.refused}`);
  const { run } = owned;
  // Cancelled by an operator, or superseded by a newer run, after Step Functions invoked this step
  // and before it read the run: the execution is being stopped and nothing has moved, as when a
  // cancel lands while the release is verified (below). Not a forgery, if the record holds what a
  // release needs (gates, approvals, target) but its status: anything else still pages.
  const cancelled = cancelledJustNow(run, deps.clock());
  const why = cancelled ? await releaseShortfalls(deps, run) : await releaseRefusal(deps, run);
  // Or short only because the configuration changed since it was planned (an approver dropped as
  // the run was cancelled): against the one it was planned under, the record is whole.
  if (cancelled && (why === null || (await configurationChangedOnly(deps, run, releaseShortfalls, 'any'))))
    throw new DeployError(
      'Gantry.DeploymentStopped',
      `run ${run.runId} was CANCELLED by ${run.cancelledBy} before its release began: nothing was deployed`,
    );
  if (why === null) return run;
  // A run the planner wrote under a configuration since changed is refused, not a forgery.
  const target = run.plan.deployTarget;
  if (target !== null && (await configurationChangedOnly(deps, run, releaseRefusal)))
    await refuseDeploy(
      deps,
      run.plan,
      target,
      refused('configuration', `deploy refused: ${afterConfigurationChange(run, why)}`),
    );
  await recordForgedInput(deps, input, run, executionArn, 'deploy', why);
  deps.logger.warn('deploy refused a forged input', { runId: input.runId, executionArn, reason: why });
  throw refused('run', `deploy refused: ${why}`);
}

/** Why Deploy may not release the run its record describes, or null. */
async function releaseRefusal(deps: Pick<ReleaseDeps, 'runs' | 'pipelines'>, run: RunRecord): Promise<string | null> {
  if (run.status !== 'RUNNING') return `run ${run.runId} is ${run.status}, not RUNNING`;
  return releaseShortfalls(deps, run);
}

/** What the record lacks for a release, whatever its status: passed gates, approvals, its target. */
async function releaseShortfalls(
  deps: Pick<ReleaseDeps, 'runs' | 'pipelines'>,
  run: RunRecord,
): Promise<string | null> {
  return (
    (await gatesShortfall(deps, run)) ?? (await approvalShortfall(deps, run)) ?? (await releaseShortfall(deps, run))
  );
}

/** Records why Deploy refused, then fails the step before anything moved. */
async function refuseDeploy(
  deps: DeployDeps,
  plan: RunPlan,
  target: DeployTarget,
  error: ProvenanceError,
): Promise<never> {
  await deps.audit.record({
    ...gantryRecord(plan, 'deploy.refused', 'rejected', {
      target: describeTarget(target),
      check: error.check,
      reason: error.message,
    }),
    once: runFact(plan.runId, 'deploy.refused'),
  });
  deps.logger.warn('deploy refused', { runId: plan.runId, check: error.check, reason: error.message });
  throw error;
}
