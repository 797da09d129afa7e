import { createHash, randomInt } from 'node:crypto';
import type { LocalAlarms } from '../cloudwatch/alarms';
import { type AwsJsonService, AwsServiceError, unknownOperation } from '../edge/aws-json';
import type { LambdaInvoker } from '../lambda/types';
import type { LocalServices } from '../lambda-api/services';
import { InvalidAppSpecError, parseAppSpec } from './appspec';
import { deploymentConfigInfo, PREDEFINED_CONFIGS, shiftPlan } from './configs';
import { LifecycleHooks } from './hooks';
import { applicationInfo, deploymentGroupInfo, deploymentInfo } from './info';
import { type DeploymentRecord, DeploymentRecords, isActive } from './records';
import { DeploymentRun, type DeploymentState } from './run';
import type { SyntheticTrafficOptions } from './traffic';
import type { CodeDeployInventory, DeploymentConfigSpec, DeploymentGroupSpec } from './types';

/** A CodeDeploy state-change event, for the default bus. */
export interface DeploymentEvent {
  /** The account the deployment runs in, whose default bus takes the event. */
  readonly account: string;
  readonly source: 'aws.codedeploy';
  readonly detailType: 'CodeDeploy Deployment State-change Notification';
  readonly detail: Record<string, string>;
  readonly resources: string[];
}

export interface CodeDeployOptions {
  readonly inventory: CodeDeployInventory;
  readonly services: LocalServices;
  readonly alarms: LocalAlarms;
  /** Runs lifecycle hook functions. */
  readonly hookFunctions: LambdaInvoker;
  /** `deployments.json` lives here. */
  readonly dataDir: string;
  readonly region: string;
  readonly accountId: string;
  /** Divides every interval of a deployment configuration (and the hooks' hour). @default 1 */
  readonly timeScale?: number;
  /** Where deployment state changes are announced (the default event bus). */
  readonly publish?: (event: DeploymentEvent) => void;
  /** Requests through the stable URL while traffic shifts; false for none. @default 20/s GET /hello */
  readonly syntheticTraffic?: SyntheticTrafficOptions | false;
  /** How long an old version keeps answering after it lost its traffic. @default 500 */
  readonly drainMs?: number;
  /** How long a hook may take to report. @default one hour / timeScale, at least 5 s */
  readonly hookTimeoutMs?: number;
  /** How often a deployment re-evaluates its alarms (they are also evaluated as requests arrive). @default 100 */
  readonly alarmPollMs?: number;
}

type Input = Readonly<Record<string, unknown>>;

const DEPLOYMENT_ID = /^d-[A-Z0-9]{9}$/;
const ID_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

/**
 * CodeDeploy for local mode's Lambda deploy targets (awsJson1_1, `CodeDeploy_20141006`): the
 * template's applications, deployment groups and configurations, and deployments that shift a
 * service alias's traffic through the local deployer (see DeploymentRun).
 */
export class LocalCodeDeploy implements AwsJsonService {
  readonly name = 'CodeDeploy';
  readonly targetPrefix = 'CodeDeploy_20141006';
  readonly signingName = 'codedeploy';
  readonly errorNamespace = 'com.amazonaws.codedeploy';
  readonly records: DeploymentRecords;
  private readonly hooks: LifecycleHooks;
  private readonly runs = new Map<string, DeploymentRun>();
  private readonly configs: readonly DeploymentConfigSpec[];
  private readonly operations: Readonly<Record<string, (input: Input) => unknown>> = {
    CreateDeployment: (input) => this.createDeployment(input),
    GetDeployment: (input) => ({ deploymentInfo: this.info(this.deployment(input.deploymentId)) }),
    BatchGetDeployments: (input) => this.batchGetDeployments(input),
    ListDeployments: (input) => this.listDeployments(input),
    StopDeployment: (input) => this.stopDeployment(input),
    PutLifecycleEventHookExecutionStatus: (input) => this.putHookStatus(input),
    GetApplication: (input) => ({ application: applicationInfo(this.application(input.applicationName)) }),
    ListApplications: () => ({ applications: this.options.inventory.applications.map((a) => a.name) }),
    GetDeploymentGroup: (input) => this.getDeploymentGroup(input),
    ListDeploymentGroups: (input) => this.listDeploymentGroups(input),
    GetDeploymentConfig: (input) => ({
      deploymentConfigInfo: deploymentConfigInfo(this.config(input.deploymentConfigName)),
    }),
  };

  constructor(private readonly options: CodeDeployOptions) {
    this.records = new DeploymentRecords(options.dataDir);
    this.hooks = new LifecycleHooks(options.hookFunctions);
    this.configs = [...PREDEFINED_CONFIGS, ...options.inventory.configs];
    this.settleInterrupted();
  }

  handle(operation: string, input: Record<string, unknown>): Promise<unknown> {
    const run = Object.hasOwn(this.operations, operation) ? this.operations[operation] : undefined;
    if (run === undefined) return Promise.reject(unknownOperation(this, operation));
    return Promise.resolve().then(() => run(input));
  }

  /** A deployment's record, for introspection and tests. */
  get(deploymentId: string): DeploymentRecord | undefined {
    return this.records.get(deploymentId);
  }

  /** The ARN of the deployment group a deployment belongs to (what local IAM authorizes its calls on). */
  groupArnOf(deploymentId: string): string | undefined {
    const record = this.records.get(deploymentId);
    if (record === undefined) return undefined;
    const { applicationName: application, deploymentGroupName: name } = record;
    const group = this.options.inventory.groups.find((g) => g.application === application && g.name === name);
    const account = group?.accountId ?? this.options.accountId;
    return `arn:aws:codedeploy:${this.options.region}:${account}:deploymentgroup:${application}/${name}`;
  }

  /** Resolves when a deployment has ended (at once for one that is not running). */
  async settled(deploymentId: string): Promise<DeploymentRecord | undefined> {
    await this.runs.get(deploymentId)?.done;
    return this.records.get(deploymentId);
  }

  /** Ends every running deployment (Failed, traffic back on the current version) and waits for them. */
  async close(): Promise<void> {
    await Promise.all([...this.runs.values()].map((run) => run.abandon()));
  }

  private get timeScale(): number {
    return this.options.timeScale ?? 1;
  }

  private createDeployment(input: Input): unknown {
    const group = this.group(input.applicationName, input.deploymentGroupName);
    const config = this.config(input.deploymentConfigName ?? group.deploymentConfigName);
    const revision = input.revision as { revisionType?: string; appSpecContent?: { content?: unknown } } | undefined;
    if (revision === undefined) throw error('RevisionRequiredException', 'The revision ID was not specified.');
    if (revision.revisionType !== 'AppSpecContent' || typeof revision.appSpecContent?.content !== 'string') {
      throw error('InvalidRevisionException', 'Local mode deploys AppSpecContent revisions (Lambda AppSpecs) only.');
    }
    const content = revision.appSpecContent.content;
    let appSpec: ReturnType<typeof parseAppSpec>;
    try {
      appSpec = parseAppSpec(content);
    } catch (e) {
      if (e instanceof InvalidAppSpecError) throw error('InvalidRevisionException', e.message);
      throw e;
    }
    const active = this.records
      .all()
      .find((r) => isActive(r) && (r.deploymentGroupName === group.name || sameAlias(r, appSpec)));
    if (active !== undefined) {
      throw error(
        'DeploymentLimitExceededException',
        `The Deployment Group '${group.name}' already has an active Deployment '${active.deploymentId}'`,
      );
    }
    const record: DeploymentRecord = {
      deploymentId: this.newId(),
      applicationName: group.application,
      deploymentGroupName: group.name,
      deploymentConfigName: config.name,
      description: typeof input.description === 'string' ? input.description : '',
      creator: 'user',
      revision: {
        revisionType: 'AppSpecContent',
        appSpecContent: { content, sha256: createHash('sha256').update(content).digest('hex') },
      },
      target: {
        functionName: this.options.services.resolve(appSpec.functionName)?.spec.name ?? appSpec.functionName,
        alias: appSpec.alias,
        currentVersion: appSpec.currentVersion,
        targetVersion: appSpec.targetVersion,
      },
      hooks: appSpec.hooks,
      status: 'Created',
      createTime: Date.now(),
      timeline: [],
      hookExecutions: [],
    };
    this.records.add(record);
    this.start(record, group, config);
    return { deploymentId: record.deploymentId };
  }

  private start(record: DeploymentRecord, group: DeploymentGroupSpec, config: DeploymentConfigSpec): void {
    const o = this.options;
    const run = new DeploymentRun(record, {
      services: o.services,
      alarms: o.alarms,
      hooks: this.hooks,
      group,
      hookFunction: (name) =>
        group.accountId === undefined || name.startsWith('arn:')
          ? name
          : `arn:aws:lambda:${o.region}:${group.accountId}:function:${name}`,
      steps: shiftPlan(config.routing),
      timeScale: this.timeScale,
      hookTimeoutMs: o.hookTimeoutMs ?? Math.max(5_000, 3_600_000 / this.timeScale),
      drainMs: o.drainMs ?? 500,
      alarmPollMs: o.alarmPollMs ?? 100,
      synthetic: o.syntheticTraffic ?? {},
      save: () => this.records.save(),
      announce: (r, state) => this.announce(r, state, group),
    });
    this.runs.set(record.deploymentId, run);
    void run.done.finally(() => this.runs.delete(record.deploymentId));
  }

  private announce(record: DeploymentRecord, state: DeploymentState, group: DeploymentGroupSpec): void {
    const { region } = this.options;
    // On the default bus of the group's own account, as CodeDeploy announces there.
    const accountId = group.accountId ?? this.options.accountId;
    const arn = (resource: string) => `arn:aws:codedeploy:${region}:${accountId}:${resource}`;
    this.options.publish?.({
      account: accountId,
      source: 'aws.codedeploy',
      detailType: 'CodeDeploy Deployment State-change Notification',
      detail: {
        region,
        deploymentId: record.deploymentId,
        instanceGroupId: group.id,
        deploymentGroup: group.name,
        application: group.application,
        state,
      },
      resources: [arn(`application:${group.application}`), arn(`deploymentgroup:${group.application}/${group.name}`)],
    });
  }

  private info(record: DeploymentRecord): Record<string, unknown> {
    const group = this.options.inventory.groups.find(
      (g) => g.application === record.applicationName && g.name === record.deploymentGroupName,
    );
    return deploymentInfo(record, group);
  }

  private batchGetDeployments(input: Input): unknown {
    const ids = Array.isArray(input.deploymentIds) ? input.deploymentIds : [];
    return { deploymentsInfo: ids.flatMap((id) => this.records.get(String(id)) ?? []).map((r) => this.info(r)) };
  }

  private listDeployments(input: Input): unknown {
    if (input.applicationName !== undefined) this.group(input.applicationName, input.deploymentGroupName);
    const statuses = Array.isArray(input.includeOnlyStatuses) ? input.includeOnlyStatuses.map(String) : undefined;
    const deployments = this.records
      .all()
      .filter((r) => input.applicationName === undefined || r.applicationName === input.applicationName)
      .filter((r) => input.deploymentGroupName === undefined || r.deploymentGroupName === input.deploymentGroupName)
      .filter((r) => statuses === undefined || statuses.includes(r.status))
      .map((r) => r.deploymentId)
      .reverse();
    return { deployments };
  }

  private async stopDeployment(input: Input): Promise<unknown> {
    const record = this.deployment(input.deploymentId);
    const run = this.runs.get(record.deploymentId);
    if (run === undefined || !isActive(record)) {
      throw error('DeploymentAlreadyCompletedException', `The deployment ${record.deploymentId} has already completed`);
    }
    await run.stop(input.autoRollbackEnabled !== false);
    return {
      status: 'Succeeded',
      statusMessage: `Deployment ${record.deploymentId} stopped; traffic is back on the current version.`,
    };
  }

  private putHookStatus(input: Input): unknown {
    const record = this.deployment(input.deploymentId);
    const id = String(input.lifecycleEventHookExecutionId ?? '');
    const execution = record.hookExecutions.find((h) => h.id === id);
    if (execution === undefined) {
      throw error(
        'InvalidLifecycleEventHookExecutionIdException',
        `No lifecycle event hook execution ${id} in ${record.deploymentId}`,
      );
    }
    if (execution.status !== 'Pending' || !isActive(record)) {
      throw error('LifecycleEventAlreadyCompletedException', `The lifecycle event ${id} has already completed`);
    }
    this.hooks.report(record.deploymentId, id, String(input.status));
    this.records.save();
    return { lifecycleEventHookExecutionId: id };
  }

  private getDeploymentGroup(input: Input): unknown {
    const group = this.group(input.applicationName, input.deploymentGroupName);
    const ofGroup = this.records
      .all()
      .filter((r) => r.applicationName === group.application && r.deploymentGroupName === group.name);
    return { deploymentGroupInfo: deploymentGroupInfo(group, this.application(group.application).id, ofGroup) };
  }

  private listDeploymentGroups(input: Input): unknown {
    const application = this.application(input.applicationName);
    const groups = this.options.inventory.groups.filter((g) => g.application === application.name).map((g) => g.name);
    return { applicationName: application.name, deploymentGroups: groups };
  }

  private application(name: unknown) {
    if (typeof name !== 'string' || name === '')
      throw error(
        'ApplicationNameRequiredException',
        'The minimum number of required application names was not specified.',
      );
    const application = this.options.inventory.applications.find((a) => a.name === name);
    if (application === undefined)
      throw error('ApplicationDoesNotExistException', `No application found for name: ${name}`);
    return application;
  }

  private group(applicationName: unknown, groupName: unknown): DeploymentGroupSpec {
    const application = this.application(applicationName);
    if (typeof groupName !== 'string' || groupName === '') {
      throw error('DeploymentGroupNameRequiredException', 'The deployment group name was not specified.');
    }
    const group = this.options.inventory.groups.find((g) => g.application === application.name && g.name === groupName);
    if (group === undefined)
      throw error('DeploymentGroupDoesNotExistException', `No Deployment Group found for name: ${groupName}`);
    return group;
  }

  private config(name: unknown): DeploymentConfigSpec {
    if (typeof name !== 'string' || name === '')
      throw error('DeploymentConfigNameRequiredException', 'The deployment configuration name was not specified.');
    const config = this.configs.find((c) => c.name === name);
    if (config === undefined)
      throw error('DeploymentConfigDoesNotExistException', `No deployment configuration found for name: ${name}`);
    return config;
  }

  private deployment(id: unknown): DeploymentRecord {
    if (typeof id !== 'string' || id === '')
      throw error('DeploymentIdRequiredException', 'At least one deployment ID must be specified.');
    if (!DEPLOYMENT_ID.test(id))
      throw error('InvalidDeploymentIdException', `Specified DeploymentId is not in the valid format: ${id}`);
    const record = this.records.get(id);
    if (record === undefined)
      throw error('DeploymentDoesNotExistException', `The deployment ${id} could not be found.`);
    return record;
  }

  private newId(): string {
    for (;;) {
      const id = `d-${Array.from({ length: 9 }, () => ID_CHARS[randomInt(ID_CHARS.length)]).join('')}`;
      if (this.records.get(id) === undefined) return id;
    }
  }

  /** Deployments a previous process left running end Failed, their aliases back on the current version. */
  private settleInterrupted(): void {
    for (const record of this.records.all().filter(isActive)) {
      const { functionName, alias, currentVersion } = record.target;
      if (this.options.services.store.alias(functionName, alias) !== undefined) {
        this.options.services.route(functionName, alias, {
          functionVersion: currentVersion,
          additionalVersionWeights: {},
        });
      }
      record.status = 'Failed';
      record.errorInformation = {
        code: 'INTERNAL_ERROR',
        message:
          'Gantry local mode stopped while this deployment was running; traffic was put back on the current version.',
      };
      record.completeTime = Date.now();
    }
    this.records.save();
  }
}

function sameAlias(record: DeploymentRecord, appSpec: { functionName: string; alias: string }): boolean {
  return record.target.functionName === appSpec.functionName && record.target.alias === appSpec.alias;
}

function error(code: string, message: string): AwsServiceError {
  return new AwsServiceError(code, message);
}
