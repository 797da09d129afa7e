import type { AlarmState, CreateDeploymentRequest, DeployControl, DeploymentInfo } from '../../shared/deploy/ports';

/** CodeDeploy, Lambda and CloudWatch as the deploy steps see them, scripted by the test. */
export class FakeDeployControl implements DeployControl {
  readonly published: { fn: string; bucket: string; key: string }[] = [];
  readonly created: CreateDeploymentRequest[] = [];
  readonly stopped: string[] = [];
  readonly deployments = new Map<string, DeploymentInfo>();
  aliasAt = '3';
  nextVersion = '4';
  alarms: AlarmState[] = [{ name: 'errors', state: 'OK', reason: '' }];

  async publishVersion(fn: string, code: { bucket: string; key: string }): Promise<string> {
    this.published.push({ fn, ...code });
    return this.nextVersion;
  }
  async aliasVersion(): Promise<string> {
    return this.aliasAt;
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
  async getDeployment(id: string): Promise<DeploymentInfo> {
    const d = this.deployments.get(id);
    if (d === undefined) throw new Error(`DeploymentDoesNotExistException: ${id}`);
    return d;
  }
  async stopDeployment(id: string): Promise<void> {
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
