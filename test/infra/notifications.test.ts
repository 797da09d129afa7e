import { Validations } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { NOTIFY_ENV } from '../../shared/notify/env';
import { synthGantry, TEST_CONFIG_YAML, testConfig } from '../support/cdk';
import { runsTableWriters } from '../support/iam-invariants';

const CONFIG = `${TEST_CONFIG_YAML.replace(
  "carol: { principals: ['arn:aws:iam::123456789012:user/carol'], git: { github: carol } }",
  "carol: { principals: ['arn:aws:iam::123456789012:user/carol'], git: { github: carol }, slack: ['T0ACME/U0CAROL'] }",
)}
notifications:
  slackApp: {}
  targets:
    - name: releases
      type: slack
      events: [approval-requested, run-failed, deployment-rolled-back]
      environments: [prod]
    - name: ops-teams
      type: teams
      secretName: custom/teams-webhook
      pipelines: [widgets]
      maxPerSecond: 0.5
    - name: oncall
      type: sns
      emails: [oncall@example.com]
`;

type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown };

/** Every statement of the policies attached to the role of the function whose env has `variable`. */
function statementsOf(t: Template, variable: string): Statement[] {
  const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
    JSON.stringify(r).includes(`"${variable}"`),
  ) as { Properties: { Role: { 'Fn::GetAtt': [string, string] } } } | undefined;
  if (!fn) throw new Error(`no function with ${variable}`);
  const roleId = fn.Properties.Role['Fn::GetAtt'][0];
  return Object.values(t.findResources('AWS::IAM::Policy'))
    .map((p) => p as { Properties: { Roles: { Ref?: string }[]; PolicyDocument: { Statement: Statement[] } } })
    .filter((p) => p.Properties.Roles.some((r) => r.Ref === roleId))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** A function's environment variable as text (token parts joined as they would resolve). */
function envText(t: Template, variable: string): string {
  const fn = Object.values(t.findResources('AWS::Lambda::Function')).find((r) =>
    JSON.stringify(r).includes(`"${variable}"`),
  ) as { Properties: { Environment: { Variables: Record<string, unknown> } } };
  const value = fn.Properties.Environment.Variables[variable];
  if (typeof value === 'string') return value;
  const parts = (value as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1];
  return parts.map((p) => (typeof p === 'string' ? p : JSON.stringify(p))).join('');
}

const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('Notifications construct', () => {
  const gantry = synthGantry(testConfig(CONFIG));
  const t = gantry.control$;

  it('routes the four run events on the gantry bus to the notifier, with retries and a dead-letter queue', () => {
    t.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['gantry.pipelines'],
        'detail-type': ['Run Succeeded', 'Run Failed', 'Approval Requested', 'Deployment Rolled Back'],
      },
      Targets: [
        Match.objectLike({
          RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
          DeadLetterConfig: { Arn: Match.anyValue() },
        }),
      ],
    });
    t.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('alarms when the notifier’s dead-letter queue holds a message (nobody was told) or one nears expiry', () => {
    const dlq = Object.keys(t.findResources('AWS::SQS::Queue')).filter((id) =>
      id.startsWith('NotificationsDeadLetterQueue'),
    );
    expect(dlq).toHaveLength(1);
    for (const [name, metric] of [
      ['gantry-notification-dlq-not-empty', 'ApproximateNumberOfMessagesVisible'],
      ['gantry-notification-dlq-expiring', 'ApproximateAgeOfOldestMessage'],
    ]) {
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: name,
        MetricName: metric,
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [dlq[0], 'QueueName'] } }],
      });
    }
  });

  it('hands the notifier its targets with their filters and rates, and no webhook URL', () => {
    const text = envText(t, NOTIFY_ENV.targets);
    expect(text).toContain('"name":"releases"');
    expect(text).toContain('"secretId":"gantry/notifications/releases"');
    expect(text).toContain('"secretId":"custom/teams-webhook"');
    expect(text).toContain('"intervalMs":2000');
    expect(text).toContain('"interactive":true');
    expect(text).not.toMatch(/hooks\.slack\.com|webhook\.office\.com/);
  });

  it('keeps each webhook URL in its own secret, and creates an encrypted topic with the e-mail subscription', () => {
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'gantry/notifications/releases' });
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'custom/teams-webhook' });
    t.hasResourceProperties('AWS::SecretsManager::Secret', { Name: 'gantry/notifications/slack-signing-secret' });
    t.hasResourceProperties('AWS::SNS::Topic', { TopicName: 'gantry-notify-oncall', KmsMasterKeyId: Match.anyValue() });
    t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'oncall@example.com' });
  });

  it('lets the notifier read only its secrets, publish only to its topic, and touch only notify items', () => {
    const statements = statementsOf(t, NOTIFY_ENV.targets);
    const all = statements.flatMap(actions);
    expect(all).toEqual(expect.arrayContaining(['sns:Publish', 'secretsmanager:GetSecretValue', 'dynamodb:PutItem']));
    expect(all).not.toEqual(expect.arrayContaining(['states:SendTaskSuccess']));
    expect(all.some((a) => a === '*' || a.endsWith(':*'))).toBe(false);
    const sns = statements.filter((s) => actions(s).includes('sns:Publish'));
    expect(JSON.stringify(sns)).toContain('Topic');
    const secrets = statements.filter((s) => actions(s).includes('secretsmanager:GetSecretValue'));
    expect(JSON.stringify(secrets)).not.toContain('SlackSigningSecret');
    expect(JSON.stringify(secrets)).not.toContain('Connections');
    expect(secrets).toHaveLength(2);
    const table = statements.find((s) => actions(s).includes('dynamodb:PutItem'));
    expect(table?.Condition).toEqual({
      'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['notify#*', 'notify-rate#*'] },
    });
  });

  it('serves the Slack app at POST /slack/interactions on the webhook API, with only the decision’s grants', () => {
    t.hasResourceProperties('AWS::ApiGateway::Resource', { PathPart: 'interactions' });
    const statements = statementsOf(t, NOTIFY_ENV.slackSigningSecret);
    const all = statements.flatMap(actions);
    expect(all).toEqual(expect.arrayContaining(['states:SendTaskSuccess', 'states:DescribeStateMachine']));
    expect(all).not.toEqual(expect.arrayContaining(['states:StartExecution', 'sns:Publish']));
  });

  it('lets the Slack route write only a run’s approval and stages, never its gates or deployment', () => {
    const { updaters } = runsTableWriters(gantry);
    expect(updaters('approval')).toContain('slack-interactions');
    expect(updaters('stages')).toContain('slack-interactions');
    for (const attribute of ['gates', 'deployment', 'provenance', 'plan'])
      expect(updaters(attribute)).not.toContain('slack-interactions');
  });

  it('grants events:PutEvents to the steps that end runs and record rollbacks', () => {
    const puts = Object.values(t.findResources('AWS::IAM::Policy')).filter((p) =>
      JSON.stringify(p).includes('events:PutEvents'),
    );
    // Webhook receiver, RequestApproval, ReportStatus, RecordFailure, WaitTurn, Deploy, DeployCheck, deploy events.
    expect(puts.length).toBeGreaterThanOrEqual(8);
  });

  it('passes cdk-nag with a notifications section, every acknowledgement explained', () => {
    const nagged = synthGantry(testConfig(CONFIG), true);
    expect(() => nagged.app.synth({ force: true })).not.toThrow();
    const reasons = nagged.app.node
      .findAll()
      .filter((c) => c.node.path.includes('Notifications'))
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.values(m.data as Record<string, string>));
    expect(reasons.length).toBeGreaterThan(0);
    for (const reason of reasons) expect(reason.length).toBeGreaterThan(30);
  });

  it('adds nothing when the config has no notifications section', () => {
    const plain = synthGantry(testConfig());
    expect(JSON.stringify(plain.control$.toJSON())).not.toContain(NOTIFY_ENV.targets);
  });
});
