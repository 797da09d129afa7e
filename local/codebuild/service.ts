import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { PROJECT_ROOT } from '../../infra/paths';
import { type AwsJsonService, AwsServiceError, requiredString, unknownOperation } from '../edge/aws-json';
import type { S3Store } from '../s3';
import { artifactsTarget } from './artifacts';
import { BuildRun } from './build-run';
import type { BuildPlan, RunnerContext } from './context';
import { type BuildDescription, describeBuild, describeProject } from './describe';
import { findOnHostPath, imagePath } from './environment';
import { buildNotFound, invalidInput, projectNotFound } from './errors';
import { readLogLines } from './log';
import { planBuild } from './plan';
import { BuildRecords } from './records';
import type { SecretResolver } from './secrets';
import { type SyncBuildResult, startBuildSync } from './sync';
import type { BuildRecord, ProjectSpec, ReportRecord } from './types';

export interface CodeBuildOptions {
  readonly projects: readonly ProjectSpec[];
  /** This service's own folder: `builds/<id>/` holds each build's record, log and workspace. */
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  /** Where artifacts and report files go. */
  readonly s3: S3Store;
  /** Resolves SECRETS_MANAGER variables and `env.secrets-manager`; may throw. */
  readonly secrets: SecretResolver;
  /** Divides every build timeout, so tests time out in milliseconds. @default 1 */
  readonly timeCompression?: number;
  /** Each log line as it is written (secrets masked), for the console. */
  readonly log?: (buildId: string, line: string) => void;
  /** The output a build's log keeps. @default 5 MiB */
  readonly maxLogBytes?: number;
  /** Between SIGTERM and SIGKILL when a build is stopped or times out. @default 5000 */
  readonly killGraceMs?: number;
  /** The edge URL builds get as AWS_ENDPOINT_URL (with dummy credentials); none when absent. */
  readonly edgeEndpoint?: string;
  /** A project's service role's credentials, which its builds sign with (local IAM). @default the shared pair */
  readonly credentialsFor?: (projectName: string) => { accessKeyId: string; secretAccessKey: string } | undefined;
  /** Whose `node_modules/.bin` the local image puts on PATH. @default the Gantry repository */
  readonly projectRoot?: string;
}

const MAX_LOG_BYTES = 5 * 1024 * 1024;
const PAGE_SIZE = 100;

/**
 * CodeBuild for local mode: the API on the edge (StartBuild, BatchGetBuilds, StopBuild,
 * ListBuildsForProject, BatchGetProjects) over the local build runner, plus the typed calls the
 * CLI and the local Step Functions engine use. Build records survive a restart; a build that
 * was running when the runtime died is FAILED with a LOCAL_RUNTIME_RESTARTED context.
 */
export class LocalCodeBuild implements AwsJsonService {
  readonly name = 'CodeBuild';
  readonly targetPrefix = 'CodeBuild_20161006';
  readonly signingName = 'codebuild';
  readonly errorNamespace = 'com.amazonaws.codebuild';
  private readonly projects: ReadonlyMap<string, ProjectSpec>;
  private readonly records: BuildRecords;
  private readonly context: RunnerContext;
  private readonly running = new Map<string, BuildRun>();
  private closing = false;

  constructor(private readonly options: CodeBuildOptions) {
    if (options.timeCompression !== undefined && !(options.timeCompression > 0)) {
      throw new RangeError(`timeCompression must be a positive number, got ${options.timeCompression}`);
    }
    this.projects = new Map(options.projects.flatMap((p) => [[p.name, p] as const, [p.arn, p] as const]));
    this.records = new BuildRecords(join(options.dataDir, 'builds'));
    this.records.load(Date.now());
    this.context = {
      records: this.records,
      store: options.s3,
      secrets: options.secrets,
      region: options.region,
      accountId: options.accountId,
      path: imagePath(options.projectRoot ?? PROJECT_ROOT),
      bash: findOnHostPath('bash') ?? '/bin/bash',
      killGraceMs: options.killGraceMs ?? 5_000,
      maxLogBytes: options.maxLogBytes ?? MAX_LOG_BYTES,
      timeCompression: options.timeCompression ?? 1,
      ...(options.edgeEndpoint === undefined ? {} : { edgeEndpoint: options.edgeEndpoint }),
      ...(options.credentialsFor === undefined ? {} : { credentialsFor: options.credentialsFor }),
      ...(options.log === undefined ? {} : { log: options.log }),
    };
  }

  /**
   * `arn:aws:states:::codebuild:startBuild.sync` for the local Step Functions engine: starts the
   * build from the task's (PascalCase) parameters and resolves with `{ Build }` once it succeeds.
   * @see startBuildSync
   */
  readonly startBuildSync = (params: Record<string, unknown>, signal: AbortSignal): Promise<SyncBuildResult> =>
    startBuildSync(this, params, signal);

  async handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    switch (operation) {
      case 'StartBuild':
        return { build: this.startBuild(input) };
      case 'BatchGetBuilds':
        return this.batchGetBuilds(input);
      case 'StopBuild':
        return { build: this.stopBuild(requiredString(input, 'id')) };
      case 'ListBuildsForProject':
        return this.listBuildsForProject(input);
      case 'BatchGetProjects':
        return this.batchGetProjects(input);
      case 'ListProjects':
        return { projects: this.projectNames() };
      case 'ListBuilds':
        return this.listBuilds(input);
      default:
        throw unknownOperation(this, operation);
    }
  }

  /** StartBuild with CodeBuild's overrides; `initiator` becomes CODEBUILD_INITIATOR. */
  startBuild(input: Record<string, unknown>, initiator = 'gantry-local'): BuildDescription {
    // A build started now would outlive close(): its process group left running, its timer holding the process open.
    if (this.closing) throw new AwsServiceError('ServiceUnavailable', 'The local CodeBuild is shutting down', 503);
    const plan = planBuild(input, this.projects);
    const record = this.newRecord(plan, initiator);
    this.records.save(record);
    const run = new BuildRun(record, plan, this.context);
    this.running.set(record.id, run);
    void run.done.finally(() => this.running.delete(record.id));
    return this.describe(record);
  }

  /** StopBuild: the build ends STOPPED once its process group is gone; a finished build is returned as it is. */
  stopBuild(id: string): BuildDescription {
    const record = this.record(id);
    this.running.get(id)?.halt('STOPPED');
    return this.describe(record);
  }

  getBuild(id: string): BuildDescription {
    return this.describe(this.record(id));
  }

  /** The build once it has completed (at once if it already has). */
  async waitForBuild(id: string): Promise<BuildDescription> {
    const record = this.record(id);
    await this.running.get(id)?.done;
    return this.describe(record);
  }

  /** The build's log (`<dataDir>/builds/<id>/build.log`), its last `tail` lines when given. */
  async buildLog(id: string, options: { readonly tail?: number } = {}): Promise<string[]> {
    this.record(id);
    return readLogLines(join(this.records.buildDir(id), 'build.log'), options.tail);
  }

  /** The report groups the build copied into the artifacts bucket, with the keys of their files. */
  buildReports(id: string): readonly ReportRecord[] {
    return this.record(id).reports;
  }

  /** Ends every running build (FAILED, LOCAL_RUNTIME_STOPPED) and waits until their processes are gone. */
  async close(): Promise<void> {
    this.closing = true;
    const runs = [...this.running.values()];
    for (const run of runs) run.halt('SHUTDOWN');
    await Promise.all(runs.map((r) => r.done));
  }

  private batchGetBuilds(input: Record<string, unknown>) {
    const ids = idList(input, 'ids');
    const found = ids.filter((id) => this.records.get(id) !== undefined);
    return {
      builds: found.map((id) => this.getBuild(id)),
      buildsNotFound: ids.filter((id) => !found.includes(id)),
    };
  }

  /** Every project's name, sorted as ListProjects sorts by NAME. */
  projectNames(): string[] {
    return [...new Set([...this.projects.values()].map((p) => p.name))].sort();
  }

  /** A project's builds, newest first: id and start time (for log streams). */
  buildsOf(projectName: string): { id: string; startTime: number }[] {
    return this.records.forProject(projectName).map((r) => ({ id: r.id, startTime: r.startTime }));
  }

  private listBuilds(input: Record<string, unknown>) {
    const ids = this.projectNames()
      .flatMap((name) => this.records.forProject(name))
      .sort((a, b) => b.startTime - a.startTime)
      .map((r) => r.id);
    if (input.sortOrder === 'ASCENDING') ids.reverse();
    return this.page(ids, input.nextToken);
  }

  private page(ids: string[], nextToken: unknown) {
    const start = typeof nextToken === 'string' ? Number(Buffer.from(nextToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalidInput('Invalid nextToken');
    const page = ids.slice(start, start + PAGE_SIZE);
    const next =
      start + PAGE_SIZE < ids.length ? { nextToken: Buffer.from(String(start + PAGE_SIZE)).toString('base64url') } : {};
    return { ids: page, ...next };
  }

  private listBuildsForProject(input: Record<string, unknown>) {
    const name = requiredString(input, 'projectName');
    const project = this.projects.get(name);
    if (project === undefined) throw projectNotFound(name);
    const ids = this.records.forProject(project.name).map((r) => r.id);
    if (input.sortOrder === 'ASCENDING') ids.reverse();
    const start =
      typeof input.nextToken === 'string' ? Number(Buffer.from(input.nextToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(start) || start < 0) throw invalidInput('Invalid nextToken');
    const page = ids.slice(start, start + PAGE_SIZE);
    const next =
      start + PAGE_SIZE < ids.length ? { nextToken: Buffer.from(String(start + PAGE_SIZE)).toString('base64url') } : {};
    return { ids: page, ...next };
  }

  private batchGetProjects(input: Record<string, unknown>) {
    const names = idList(input, 'names');
    const found = names.flatMap((n) => {
      const project = this.projects.get(n);
      return project === undefined ? [] : [describeProject(project)];
    });
    return { projects: found, projectsNotFound: names.filter((n) => !this.projects.has(n)) };
  }

  private newRecord(plan: BuildPlan, initiator: string): BuildRecord {
    const uuid = randomUUID();
    const id = `${plan.project.name}:${uuid}`;
    const target =
      plan.artifacts === undefined
        ? undefined
        : artifactsTarget(plan.artifacts, { projectName: plan.project.name, buildUuid: uuid });
    return {
      id,
      arn: `arn:aws:codebuild:${this.options.region}:${this.options.accountId}:build/${id}`,
      buildNumber: this.records.nextBuildNumber(plan.project.name),
      projectName: plan.project.name,
      initiator,
      startTime: Date.now(),
      currentPhase: 'SUBMITTED',
      buildStatus: 'IN_PROGRESS',
      ...(plan.sourceVersion === undefined ? {} : { sourceVersion: plan.sourceVersion }),
      source: { type: plan.sourceType, location: plan.sourceLocation, buildspec: plan.buildspec },
      timeoutInMinutes: plan.timeoutMinutes,
      environmentVariables: plan.variables,
      ...(plan.artifacts === undefined ? {} : { artifacts: plan.artifacts }),
      ...(target === undefined ? {} : { artifactsLocation: target.location }),
      phases: [],
      exportedEnvironmentVariables: [],
      reports: [],
      logTruncated: false,
    };
  }

  private record(id: string): BuildRecord {
    const record = this.records.get(id);
    if (record === undefined) throw buildNotFound(id);
    return record;
  }

  private describe(record: BuildRecord): BuildDescription {
    return describeBuild(record, join(this.records.buildDir(record.id), 'build.log'));
  }
}

function idList(input: Record<string, unknown>, name: string): string[] {
  const value = input[name];
  if (
    !Array.isArray(value) ||
    value.length === 0 ||
    value.length > PAGE_SIZE ||
    value.some((v) => typeof v !== 'string')
  ) {
    throw invalidInput(
      `1 validation error detected: Value at '${name}' failed to satisfy constraint: Member must have length between 1 and ${PAGE_SIZE}`,
    );
  }
  return value as string[];
}
