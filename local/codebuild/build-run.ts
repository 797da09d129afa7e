import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type Buildspec, COMMAND_PHASES, type CommandPhase } from './buildspec';
import { loadBuildspec } from './buildspec-source';
import { runCommands } from './commands';
import type { BuildPlan, RunnerContext } from './context';
import { logStreamOf } from './describe';
import { type BuildPaths, buildEnvironment } from './environment';
import { clientError, PhaseFailure } from './errors';
import { HALTS, type HaltReason } from './halts';
import { BuildLog } from './log';
import { publishOutputs } from './outputs';
import { PhaseTracker } from './phases';
import { Redactor } from './redact';
import { downloadS3Source } from './s3-source';
import { resolveSecret } from './secrets';
import { BuildShell } from './shell';
import { checkout } from './source';
import type { BuildRecord, PhaseContext, PhaseType, StatusType } from './types';

export type { HaltReason } from './halts';

const PHASE_TYPES: Readonly<Record<CommandPhase, PhaseType>> = {
  install: 'INSTALL',
  pre_build: 'PRE_BUILD',
  build: 'BUILD',
  post_build: 'POST_BUILD',
};

/** Node's timers overflow past 2^31-1 ms and would fire at once. */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * One build, from SUBMITTED to COMPLETED, with CodeBuild's phase transitions: a failed
 * PROVISIONING, DOWNLOAD_SOURCE, INSTALL or PRE_BUILD (on-failure ABORT) goes straight to
 * FINALIZING; a failed BUILD still runs POST_BUILD and UPLOAD_ARTIFACTS. A timeout or StopBuild
 * ends the whole process group and the build.
 */
export class BuildRun {
  readonly done: Promise<void>;
  private readonly redactor = new Redactor();
  private readonly abort = new AbortController();
  private readonly log: BuildLog;
  private readonly phases: PhaseTracker;
  private readonly paths: BuildPaths;
  private halted: HaltReason | undefined;
  private finishing = false;
  private failure: 'FAILED' | 'FAULT' | undefined;
  private shell: BuildShell | undefined;
  private buildspec: Buildspec | undefined;
  private variables: Record<string, string> = {};

  constructor(
    private readonly record: BuildRecord,
    private readonly plan: BuildPlan,
    private readonly context: RunnerContext,
  ) {
    const buildDir = context.records.buildDir(record.id);
    this.paths = {
      buildDir,
      srcDir: join(buildDir, 'src'),
      homeDir: join(buildDir, 'home'),
      tmpDir: join(buildDir, 'tmp'),
    };
    this.log = new BuildLog({
      file: join(buildDir, 'build.log'),
      maxBytes: context.maxLogBytes,
      redactor: this.redactor,
      onLine: (line) => context.log?.(record.id, line),
    });
    this.phases = new PhaseTracker(record, context.records, this.log);
    this.done = this.run().catch((error: unknown) => this.crashed(error));
  }

  /** Ends the build: its current phase and the build take the halt's status; its processes are killed. */
  halt(reason: HaltReason): void {
    if (this.halted !== undefined || this.finishing) return;
    this.halted = reason;
    this.log.system(`${HALTS[reason].log}: ending the build's processes`);
    this.abort.abort(new Error(`build ${reason}`));
    void this.shell?.kill(this.context.killGraceMs);
  }

  private async run(): Promise<void> {
    const timeoutMs = (this.plan.timeoutMinutes * 60_000) / this.context.timeCompression;
    const timer = setTimeout(() => this.halt('TIMED_OUT'), Math.min(timeoutMs, MAX_TIMER_MS));
    try {
      this.phases.instant('SUBMITTED');
      this.phases.instant('QUEUED');
      if (
        (await this.phase('PROVISIONING', () => this.provision())) &&
        (await this.phase('DOWNLOAD_SOURCE', () => this.download()))
      ) {
        await this.commandPhases();
      }
    } finally {
      clearTimeout(timer);
      await this.finish();
    }
  }

  private async commandPhases(): Promise<void> {
    for (const name of COMMAND_PHASES) {
      const ok = await this.commandPhase(name);
      if (this.halted !== undefined) return;
      const aborts = this.buildspec?.phases[name]?.onFailure !== 'CONTINUE';
      if (!ok && aborts && (name === 'install' || name === 'pre_build')) return;
    }
    await this.captureExports();
    await this.phase('UPLOAD_ARTIFACTS', () => this.upload());
  }

  /** Runs one phase; false when it did not succeed (or the build was halted). */
  private async phase(type: PhaseType, body: () => Promise<void>): Promise<boolean> {
    if (this.halted !== undefined) return false;
    const phase = this.phases.open(type);
    let status: StatusType = 'SUCCEEDED';
    let contexts: PhaseContext[] = [];
    try {
      await body();
    } catch (error) {
      if (error instanceof PhaseFailure) {
        status = error.status;
        contexts = [error.context];
      } else if (this.halted === undefined) {
        status = 'FAULT';
        contexts = [
          { statusCode: 'LOCAL_RUNTIME_ERROR', message: error instanceof Error ? error.message : String(error) },
        ];
      }
    }
    const halt = this.haltReason();
    if (halt !== undefined) {
      status = HALTS[halt].status;
      contexts = [HALTS[halt].context];
    }
    this.phases.close(phase, status, contexts);
    if (status === 'FAILED' || status === 'FAULT') this.failure = this.failure === 'FAULT' ? 'FAULT' : status;
    return status === 'SUCCEEDED';
  }

  /** PROVISIONING: the workspace, and the project's variables with their secrets resolved. */
  private async provision(): Promise<void> {
    for (const dir of [this.paths.homeDir, this.paths.tmpDir, this.stateDir()]) {
      await mkdir(dir, { recursive: true, mode: 0o700 });
    }
    for (const v of this.plan.variables) {
      if (v.type === 'PARAMETER_STORE') {
        throw clientError(`Parameter Store: ${v.name} cannot be resolved (Gantry local mode has no Parameter Store)`);
      }
      this.variables[v.name] = v.type === 'SECRETS_MANAGER' ? await this.secret(v.name, v.value) : v.value;
    }
  }

  /** DOWNLOAD_SOURCE: the S3 snapshot or the clone at the exact commit, then the buildspec, then the shell session. */
  private async download(): Promise<void> {
    const inputs = { env: { PATH: this.context.path, HOME: this.paths.homeDir }, srcDir: this.paths.srcDir };
    if (this.plan.sourceType === 'NO_SOURCE') await mkdir(this.paths.srcDir, { recursive: true });
    else if (this.plan.sourceType === 'S3') {
      const version = this.plan.sourceVersion;
      this.log.system(`Downloading s3://${this.plan.sourceLocation}${version ? ` (version ${version})` : ''}`);
      await downloadS3Source({
        location: this.plan.sourceLocation,
        srcDir: this.paths.srcDir,
        store: this.context.store,
        ...(version === undefined ? {} : { version }),
      });
    } else {
      this.log.system(`Cloning ${this.plan.sourceLocation} at ${this.plan.sourceVersion ?? 'its default branch'}`);
      const version = this.plan.sourceVersion;
      const commit = await checkout({
        ...inputs,
        location: this.plan.sourceLocation,
        signal: this.abort.signal,
        ...(version === undefined ? {} : { version }),
      });
      this.record.resolvedSourceVersion = commit;
      this.log.system(`Checked out ${commit}`);
    }
    const buildspec = await loadBuildspec(this.plan.buildspec, this.paths.srcDir, this.context.store);
    this.buildspec = buildspec;
    for (const note of buildspec.notes) this.log.system(note);
    const fromBuildspec: Record<string, string> = { ...buildspec.env.variables };
    for (const [name, reference] of Object.entries(buildspec.env.secretsManager)) {
      fromBuildspec[name] = await this.secret(name, reference);
    }
    this.variables = { ...fromBuildspec, ...this.variables };
    this.startShell(buildspec);
  }

  private startShell(buildspec: Buildspec): void {
    const env = buildEnvironment(
      {
        record: this.record,
        paths: this.paths,
        path: this.context.path,
        region: this.context.region,
        logStream: logStreamOf(this.record.id),
        ...(this.context.edgeEndpoint === undefined || this.plan.project.awsCredentials === false
          ? {}
          : {
              edgeEndpoint: this.context.edgeEndpoint,
              credentials: this.context.credentialsFor?.(this.record.projectName),
            }),
      },
      this.variables,
    );
    this.shell = BuildShell.start({
      cwd: this.paths.srcDir,
      env,
      stateDir: this.stateDir(),
      posix: buildspec.env.shell === '/bin/sh',
      bash: this.context.bash,
      onOutput: (text) => this.log.output(text),
    });
    this.record.processGroup = this.shell.pgid;
    this.context.records.save(this.record);
  }

  private async commandPhase(name: CommandPhase): Promise<boolean> {
    return this.phase(PHASE_TYPES[name], async () => {
      const shell = this.shell;
      if (shell === undefined) return;
      await shell.setPhaseVariables({ CODEBUILD_BUILD_SUCCEEDING: this.failure === undefined ? '1' : '0' });
      const spec = this.buildspec?.phases[name];
      if (spec === undefined) return;
      const failed = await runCommands(shell, spec.commands, this.log, () => this.haltReason() !== undefined);
      const finallyFailed = await runCommands(shell, spec.finally, this.log, () => this.haltReason() !== undefined);
      const failure = failed ?? finallyFailed;
      if (failure !== undefined) throw failure;
    });
  }

  /** `env.exported-variables`: their values once POST_BUILD has ended (secrets in them masked: the record is kept on disk). */
  private async captureExports(): Promise<void> {
    const names = this.buildspec?.env.exportedVariables ?? [];
    if (names.length === 0 || this.shell === undefined) return;
    const values = await this.shell.exported(names);
    this.record.exportedEnvironmentVariables = names
      .filter((n) => values[n] !== undefined)
      .map((name) => ({ name, value: this.redactor.redact(values[name] ?? '') }));
  }

  /** UPLOAD_ARTIFACTS: reports and artifacts into the local S3 store. */
  private async upload(): Promise<void> {
    if (this.buildspec === undefined) return;
    const published = await publishOutputs({
      buildspec: this.buildspec,
      plan: this.plan,
      context: this.context,
      buildUuid: logStreamOf(this.record.id),
      srcDir: this.paths.srcDir,
      note: (message) => this.log.system(message),
      onReports: (reports) => {
        this.record.reports = reports;
      },
    });
    if (published.location !== undefined) this.record.artifactsLocation = published.location;
  }

  /** FINALIZING then COMPLETED: every process of the build ended, secrets' traces removed. */
  private async finish(): Promise<void> {
    this.finishing = true;
    const phase = this.phases.open('FINALIZING');
    await this.shell?.kill(this.context.killGraceMs);
    await rm(this.stateDir(), { recursive: true, force: true });
    const unrecorded = this.halted !== undefined && !this.phases.has(HALTS[this.halted].status);
    this.phases.close(phase, 'SUCCEEDED', unrecorded && this.halted !== undefined ? [HALTS[this.halted].context] : []);
    this.record.logTruncated = this.log.truncated;
    this.log.close();
    this.phases.complete(this.halted === undefined ? (this.failure ?? 'SUCCEEDED') : HALTS[this.halted].status);
  }

  private async secret(name: string, reference: string): Promise<string> {
    const value = await resolveSecret(name, reference, this.context.secrets, this.record.projectName);
    this.redactor.add(value);
    return value;
  }

  /** Local mode's own failure while finishing: the build is FAULT rather than left IN_PROGRESS. */
  private crashed(error: unknown): void {
    this.record.buildStatus = 'FAULT';
    this.record.currentPhase = 'COMPLETED';
    this.record.endTime = Date.now();
    this.context.records.save(this.record);
    this.context.log?.(
      this.record.id,
      `local runtime error: ${error instanceof Error ? error.message : String(error)}`,
    );
  }

  /** Read through a method: a halt arrives while a phase awaits, which narrowing cannot see. */
  private haltReason(): HaltReason | undefined {
    return this.halted;
  }

  private stateDir(): string {
    return join(this.paths.buildDir, 'shell');
  }
}
