import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HookEvent } from './appspec';
import type { TrafficCounts } from './traffic';

export type DeploymentStatus = 'Created' | 'InProgress' | 'Succeeded' | 'Failed' | 'Stopped';

/** One moment of a deployment: what happened, and the target version's share of traffic then. */
export interface TimelineEntry {
  /** Epoch ms, with a fraction. */
  readonly at: number;
  readonly percent: number;
  readonly event: string;
}

export interface HookExecution {
  readonly id: string;
  readonly event: HookEvent;
  readonly functionName: string;
  status: 'Pending' | 'Succeeded' | 'Failed';
}

/** A deployment as local mode keeps it (in `<data>/codedeploy/deployments.json`). */
export interface DeploymentRecord {
  readonly deploymentId: string;
  readonly applicationName: string;
  readonly deploymentGroupName: string;
  readonly deploymentConfigName: string;
  readonly description: string;
  readonly creator: 'user';
  readonly revision: Readonly<Record<string, unknown>>;
  readonly target: {
    readonly functionName: string;
    readonly alias: string;
    readonly currentVersion: string;
    readonly targetVersion: string;
  };
  readonly hooks: Readonly<Partial<Record<HookEvent, string>>>;
  status: DeploymentStatus;
  /** Epoch ms. */
  readonly createTime: number;
  startTime?: number;
  completeTime?: number;
  errorInformation?: { code: string; message: string };
  /** Set when traffic went back to the current version automatically (or on StopDeployment's request). */
  rollbackInfo?: { rollbackMessage: string };
  /** The alarm that ended the deployment, when one did. */
  alarm?: { name: string; reason: string; firedAt: number };
  /** From the alarm's state change to the current version having all traffic again. */
  rollbackMs?: number;
  /** What the synthetic canary saw while traffic shifted. */
  syntheticTraffic?: TrafficCounts;
  readonly timeline: TimelineEntry[];
  readonly hookExecutions: HookExecution[];
}

const KEEP = 500;

/** Every deployment, newest last, saved whole at each change (there are few, and they are small). */
export class DeploymentRecords {
  private readonly records: DeploymentRecord[];
  private readonly file: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = join(dir, 'deployments.json');
    this.records = existsSync(this.file)
      ? (JSON.parse(readFileSync(this.file, 'utf8')) as { deployments: DeploymentRecord[] }).deployments
      : [];
  }

  all(): readonly DeploymentRecord[] {
    return this.records;
  }

  get(id: string): DeploymentRecord | undefined {
    return this.records.find((r) => r.deploymentId === id);
  }

  add(record: DeploymentRecord): void {
    this.records.push(record);
    if (this.records.length > KEEP) this.records.splice(0, this.records.length - KEEP);
    this.save();
  }

  save(): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ deployments: this.records })}\n`);
    renameSync(tmp, this.file);
  }
}

export function isActive(record: DeploymentRecord): boolean {
  return record.status === 'Created' || record.status === 'InProgress';
}
