import { createHash } from 'node:crypto';
import type {
  AlarmState,
  AliasRouting,
  CreateDeploymentRequest,
  DeployControl,
  DeploymentInfo,
  FunctionConfiguration,
} from '../../shared/deploy/ports';

/** The sample function's configuration, as every version has it unless a test says otherwise. */
export const SAMPLE_CONFIGURATION: FunctionConfiguration = {
  handler: 'src/lambda.handler',
  runtime: 'nodejs22.x',
  layers: [],
  environmentKeys: ['SERVICE_NAME'],
  environmentSha256: 'e'.repeat(64),
};

import type { MemoryVersionedObjects } from './provenance-fakes';

/**
 * CodeDeploy, Lambda and CloudWatch as the deploy steps see them, scripted by the test. Lambda
 * reads published packages from `objects`, as it reads S3, and answers their CodeSha256.
 */
export class FakeDeployControl implements DeployControl {
  constructor(private readonly objects?: MemoryVersionedObjects) {}
  readonly published: { fn: string; bucket: string; key: string; versionId: string }[] = [];
  readonly codeOf = new Map<string, string>();
  readonly created: CreateDeploymentRequest[] = [];
  readonly stopped: string[] = [];
  readonly deployments = new Map<string, DeploymentInfo>();
  aliasAt = '3';
  /** $LATEST's configuration, which the next published version takes. */
  latestConfiguration: FunctionConfiguration = SAMPLE_CONFIGURATION;
  readonly configurationOf = new Map<string, FunctionConfiguration>();
  /** The alias's RoutingConfig: other versions taking a share of its traffic. */
  aliasWeights: Record<string, number> = {};
  nextVersion = '4';
  alarms: AlarmState[] = [{ name: 'errors', state: 'OK', reason: '' }];

  async publishVersion(
    fn: string,
    code: { bucket: string; key: string; versionId: string },
  ): Promise<{ version: string; codeSha256: string; configuration: FunctionConfiguration }> {
    this.published.push({ fn, bucket: code.bucket, key: code.key, versionId: code.versionId });
    const bytes = this.objects?.bytesOf(code.bucket, code.key, code.versionId).bytes ?? Buffer.alloc(0);
    const codeSha256 = createHash('sha256').update(bytes).digest('base64');
    this.codeOf.set(`${fn}:${this.nextVersion}`, codeSha256);
    // A version takes $LATEST's configuration as it is when published.
    this.configurationOf.set(`${fn}:${this.nextVersion}`, this.latestConfiguration);
    return { version: this.nextVersion, codeSha256, configuration: this.latestConfiguration };
  }
  async versionConfiguration(fn: string, version: string): Promise<FunctionConfiguration> {
    return this.configurationOf.get(`${fn}:${version}`) ?? SAMPLE_CONFIGURATION;
  }
  async versionCodeSha256(fn: string, version: string): Promise<string> {
    return this.codeOf.get(`${fn}:${version}`) ?? '';
  }
  async aliasRouting(): Promise<AliasRouting> {
    return { version: this.aliasAt, additional: this.aliasWeights };
  }
  async createDeployment(request: CreateDeploymentRequest): Promise<string> {
    this.created.push(request);
    const id = `d-${String(this.created.length).padStart(9, '0')}`;
    this.deployments.set(id, {
      deploymentId: id,
      status: 'InProgress',
      description: request.description,
      error: null,
      rolledBack: false,
    });
    return id;
  }
  /** CodeDeploy's ListDeployments + BatchGetDeployments, as the AWS adapter asks them. */
  async findDeployment(
    application: string,
    group: string,
    _since: Date,
    wanted: (deployment: { readonly description: string; readonly appSpec: string }) => boolean,
  ): Promise<{ deploymentId: string; appSpec: string } | undefined> {
    const index = this.created.findLastIndex(
      (r) => r.application === application && r.deploymentGroup === group && wanted(r),
    );
    const request = this.created[index];
    return request && { deploymentId: `d-${String(index + 1).padStart(9, '0')}`, appSpec: request.appSpec };
  }
  async getDeployment(id: string): Promise<DeploymentInfo> {
    const d = this.deployments.get(id);
    if (d === undefined) throw new Error(`DeploymentDoesNotExistException: ${id}`);
    return d;
  }
  async stopDeployment(id: string): Promise<void> {
    // As CodeDeploy answers a stop of a deployment that has ended.
    const status = (await this.getDeployment(id)).status;
    if (['Succeeded', 'Failed', 'Stopped'].includes(status))
      throw Object.assign(new Error(`deployment ${id} has already completed`), {
        name: 'DeploymentAlreadyCompletedException',
      });
    this.stopped.push(id);
    this.end(id, 'Stopped', 'stopped on request', true);
  }
  async groupAlarms(): Promise<string[]> {
    return this.alarms.map((a) => a.name);
  }
  async alarmStates(): Promise<AlarmState[]> {
    return this.alarms;
  }

  /** CodeDeploy finishing a deployment. */
  end(id: string, status: 'Succeeded' | 'Failed' | 'Stopped', error: string | null = null, rolledBack = false): void {
    const d = this.deployments.get(id);
    if (d) this.deployments.set(id, { ...d, status, error, rolledBack });
  }
}
