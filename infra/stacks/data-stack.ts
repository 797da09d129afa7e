import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { targetDeployRoleArn } from '../../shared/config/names';
import { releasePackageKeys } from '../../shared/pipelines/artifact-layout';
import { foreignAccounts, type GantryConfig } from '../config/schema';
import { Artifacts } from '../constructs/artifacts';
import { AuditLedger } from '../constructs/audit-ledger';
import { ConnectionSecrets } from '../constructs/connection-secrets';
import { DeliveriesTable } from '../constructs/deliveries-table';
import { RunsTable } from '../constructs/runs-table';

export interface GantryDataStackProps extends StackProps {
  readonly config: GantryConfig;
}

/** The stateful half of Gantry: what must survive redeploying or replacing the control plane. */
export class GantryDataStack extends Stack {
  readonly deliveries: DeliveriesTable;
  readonly connections: ConnectionSecrets;
  readonly runs: RunsTable;
  readonly artifacts: Artifacts;
  readonly audit: AuditLedger;

  constructor(scope: Construct, id: string, props: GantryDataStackProps) {
    super(scope, id, props);
    this.deliveries = new DeliveriesTable(this, 'Deliveries');
    this.connections = new ConnectionSecrets(this, 'Connections', { connections: props.config.connections });
    this.runs = new RunsTable(this, 'Runs');
    this.artifacts = new Artifacts(this, 'Artifacts');
    const home = props.config.controlPlane?.account;
    for (const account of home ? foreignAccounts(props.config) : []) {
      // Only the configured Lambda packages its environments release, of the class each builds in:
      // nothing else a build uploads, and no prod (gated) package in an account of dev environments.
      const keys = props.config.pipelines.flatMap((p) =>
        p.environments.flatMap((e) =>
          e.deploy?.account === account && e.deploy.lambda
            ? [releasePackageKeys(p.name, e.approval.required ? 'gated' : 'ungated', e.deploy.lambda.artifact)]
            : [],
        ),
      );
      if (keys.length === 0 || home === undefined) continue;
      this.artifacts.grantTargetRead({
        account,
        roleArn: targetDeployRoleArn(account, home, this.partition),
        keys: [...new Set(keys)],
      });
    }
    this.audit = new AuditLedger(this, 'Audit', { config: props.config.audit });
    new CfnOutput(this, 'AuditCheckpointBucket', {
      description: 'Signed audit checkpoints (S3 Object Lock); gantry audit verify reads them',
      value: this.audit.checkpoints.bucketName,
    });
    new CfnOutput(this, 'AuditExportBucket', {
      description:
        'Target of aws dynamodb export-table-to-point-in-time --s3-prefix ledger (Athena: gantry_audit.ledger_export)',
      value: this.audit.exports.bucketName,
    });
  }
}
