import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AuditConfigSchema } from '../../infra/config/schema';
import { AuditLedger } from '../../infra/constructs/audit-ledger';
import { synthGantry } from '../support/cdk';

describe('the audit ledger in CDK', () => {
  let data: Template;
  let control: Template;
  beforeAll(() => {
    ({ data$: data, control$: control } = synthGantry());
  });

  it('is an append-only table: CMK, PITR, deletion protection, TTL, one GSI per query path', () => {
    data.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'gantry-audit',
      KeySchema: [
        { AttributeName: 'chain', KeyType: 'HASH' },
        { AttributeName: 'seq', KeyType: 'RANGE' },
      ],
      SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: Match.anyValue() },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      DeletionProtectionEnabled: true,
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      // Each in time order: by a copied key (checked by verify), and a repository's chain by its own name.
      GlobalSecondaryIndexes: [
        ['byCommit', 'idxCommit'],
        ['byRun', 'idxRun'],
        ['byActor', 'idxActor'],
        ['byDay', 'idxDay'],
        ['byChain', 'chain'],
      ].map(([name, key]) =>
        Match.objectLike({
          IndexName: name,
          KeySchema: [
            { AttributeName: key, KeyType: 'HASH' },
            { AttributeName: 'time', KeyType: 'RANGE' },
          ],
        }),
      ),
    });
    data.hasResource('AWS::DynamoDB::Table', {
      Properties: { TableName: 'gantry-audit' },
      DeletionPolicy: 'Retain',
    });
  });

  it('signs checkpoints with an asymmetric key into a compliance-mode Object Lock bucket', () => {
    data.hasResourceProperties('AWS::KMS::Key', { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY' });
    data.hasResourceProperties('AWS::KMS::Alias', { AliasName: 'alias/gantry-audit-checkpoints' });
    data.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2557 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
    control.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 hour)',
      Targets: [
        Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('AuditCheckpointsHandler'), 'Arn'] } }),
      ],
    });
    // Each scheduled checkpoint signs the rate, by which verify tells a schedule that stopped.
    control.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('Signs the audit ledger chain heads'),
      Environment: { Variables: Match.objectLike({ AUDIT_CHECKPOINT_MINUTES: '60' }) },
    });
  });

  it('lets every writer append (query the head, put) and nothing more', () => {
    const policies = control.findResources('AWS::IAM::Policy');
    const auditStatements = Object.values(policies)
      .flatMap(
        (p) =>
          (p as { Properties: { PolicyDocument: { Statement: { Action: unknown; Resource: unknown }[] } } }).Properties
            .PolicyDocument.Statement,
      )
      .filter((s) => JSON.stringify(s.Resource).includes('table/gantry-audit'));
    const actions = new Set(auditStatements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])));
    expect([...actions].sort()).toEqual(['dynamodb:PutItem', 'dynamodb:Query']);
    // receiver, ten steps, operator API, deploy events (appenders) + the checkpoint function (reader)
    expect(auditStatements.length).toBe(14);
    control.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          AUDIT_TABLE_NAME: 'gantry-audit',
          AUDIT_RETENTION_DAYS: '{"change":2557,"delivery":400}',
        }),
      },
    });
  });

  it('publishes the ledger to Athena through DynamoDB exports', () => {
    data.hasResourceProperties('AWS::Glue::Database', { DatabaseInput: { Name: 'gantry_audit' } });
    data.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'gantry_audit',
      TableInput: Match.objectLike({
        Name: 'ledger_export',
        Parameters: Match.objectLike({ 'projection.export_id.type': 'injected' }),
      }),
    });
  });

  it('locks checkpoints in governance mode, for the days asked, when a trial installation says so', () => {
    const stack = new Stack(new App(), 'Trial');
    new AuditLedger(stack, 'Audit', {
      config: AuditConfigSchema.parse({ checkpointLockMode: 'governance', checkpointLockDays: 1 }),
    });
    Template.fromStack(stack).hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 1 } },
      },
    });
  });

  it('refuses a lock mode that S3 does not have', () => {
    expect(() => AuditConfigSchema.parse({ checkpointLockMode: 'legal-hold' })).toThrow(/compliance.*governance/);
  });
});
