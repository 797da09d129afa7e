import type { Logger } from '@aws-lambda-powertools/logger';
import type { FetchedSource, Provider, RunPlan, SourceSnapshot } from '../../events';
import type { AuditSink } from '../audit/audit';
import { sourceSnapshotKey } from '../pipelines/artifact-layout';
import { ForgedInputError, runOfExecution } from '../pipelines/ownership';
import type { VersionedObjects } from '../provenance/ports';
import type { RunStore } from '../runs/store';
import { apiTokenSecretName, SecretUnavailableError, type TokenSource } from '../secrets/secrets';
import type { Delivery } from '../status/deliver';
import type { StatusApis } from '../status/port';
import { downloadSnapshot } from './download';
import { SourceError, type SourceErrorCode } from './errors';
import type { ArchiveLimits } from './repack';
import { repairRecord } from './repair';

export interface SourceDeps {
  readonly runs: RunStore;
  readonly audit: AuditSink;
  readonly secrets: TokenSource;
  /** Each connection's API URL (the one commit statuses use). */
  readonly apis: StatusApis;
  readonly objects: VersionedObjects;
  /** The artifacts bucket. */
  readonly bucket: string;
  readonly delivery: Delivery;
  readonly limits: ArchiveLimits;
  readonly logger: Pick<Logger, 'info' | 'warn'>;
}

/** What the operator can do about each kind of failure. */
const FIXES: Readonly<Record<SourceErrorCode, (plan: RunPlan) => string>> = {
  unauthorized: (p) =>
    `put an apiToken that can read ${p.repository} in secret ${apiTokenSecretName(p.status.secretId)} (README: token scopes)`,
  not_found: (p) => `check that ${p.repository} and commit ${p.commit.slice(0, 12)} exist and the token can see them`,
  unavailable: () => 'the provider did not answer in time; retry the run (gantry runs retry)',
  bad_archive: () => 'Gantry builds only archives within its limits, without escaping paths or links',
  tree_mismatch: () =>
    'Gantry takes what .gitattributes change in the archive from the commit’s blobs, within its limits: remove a submodule, or the attributes that shape many files (export-subst/export-ignore, eol=crlf, ident, filter), and push a new commit (README: the source snapshot)',
  unverifiable: (p) =>
    `remove that attribute from ${p.repository}'s .gitattributes and push a new commit: Bitbucket cannot show the commit's tree (README: the source snapshot)`,
  misconfigured: (p) => `check the connection's apiUrl and the pipeline's repository ${p.repository}`,
};

/**
 * FetchSource: the run's exact commit, fetched from the provider with the connection's token,
 * repacked with the repository root at its root, hashed, and stored (digest-named, versioned)
 * where only this step writes. A provider or archive that fails is an answer, not an error: the
 * state machine sends it down the failure path with a reason that names the connection and the fix.
 */
export async function fetchSource(deps: SourceDeps, input: RunPlan, executionArn: string): Promise<FetchedSource> {
  const owned = await runOfExecution(deps, input, executionArn, 'fetch-source');
  if ('refused' in owned) throw new ForgedInputError(`source not fetched: ${owned.refused}`);
  const plan = owned.run.plan;
  try {
    const snapshot = await storeSnapshot(deps, plan);
    deps.logger.info('source fetched', {
      runId: plan.runId,
      commit: plan.commit,
      sha256: snapshot.sha256,
      ...(snapshot.repaired === undefined ? {} : { repaired: snapshot.repaired.summary }),
    });
    return { fetched: true, snapshot, failure: null };
  } catch (error) {
    if (!(error instanceof SourceError)) throw error;
    const reason = `source not fetched through connection ${plan.status.connection}: ${error.message}. Fix: ${FIXES[error.code](plan)}`;
    deps.logger.warn('source not fetched', { runId: plan.runId, code: error.code, reason });
    return { fetched: false, snapshot: null, failure: { error: `Gantry.Source.${error.code}`, reason } };
  }
}

async function storeSnapshot(deps: SourceDeps, plan: RunPlan): Promise<SourceSnapshot> {
  const api = deps.apis[plan.status.connection];
  if (api === undefined) throw new SourceError('misconfigured', 'the connection has no API URL configured');
  const token = await tokenOf(deps.secrets, plan.status.secretId);
  const snapshot = await downloadSnapshot(
    {
      provider: plan.status.provider as Provider,
      apiUrl: api.apiUrl.replace(/\/+$/, ''),
      token,
      repository: plan.repository,
      commit: plan.commit,
    },
    deps.delivery,
    deps.limits,
  );
  const repaired = repairRecord(snapshot);
  const key = sourceSnapshotKey(plan.pipeline, plan.commit, snapshot.sha256);
  const versionId = await deps.objects.put(deps.bucket, key, snapshot.zip, 'application/zip');
  return {
    bucket: deps.bucket,
    key,
    versionId,
    location: `${deps.bucket}/${key}`,
    sha256: snapshot.sha256,
    commit: plan.commit,
    files: snapshot.files,
    bytes: snapshot.bytes,
    ...(repaired === undefined ? {} : { repaired }),
  };
}

async function tokenOf(secrets: TokenSource, secretId: string): Promise<string> {
  try {
    return (await secrets.apiToken(secretId)) ?? '';
  } catch (error) {
    if (error instanceof SecretUnavailableError) throw new SourceError('unauthorized', error.message);
    throw error;
  }
}
