import { Aws, Validations } from 'aws-cdk-lib';
import { EventField, type IEventBus, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { AUDIT_EVENT_SOURCE, SECURITY_RECORD_DETAIL_TYPE } from '../../events';
import { grantPutEventsFrom } from './bus-grants';
import type { GantryFunction } from './gantry-function';

/** What signs: the keys whose policies let only a fixed-name role sign, those roles, and their functions. */
export interface Signers {
  readonly keys: readonly IKey[];
  /** The signing steps' role names (`gantry-record-provenance-<region>`, `gantry-audit-checkpoint-<region>`). */
  readonly roleNames: readonly string[];
  readonly functions: readonly IFunction[];
  /**
   * The functions that verify what a key signed (Deploy): a change to their code or configuration
   * (the key id they verify with) could make them trust a key anyone may sign with.
   */
  readonly verifiers: readonly IFunction[];
}

export interface SecurityNoticesProps {
  /** The bus the writers of `security.*` records announce them on. */
  readonly bus: IEventBus;
  /** Where each notice goes: the alarm topic. */
  readonly topic: ITopic;
  readonly signers: Signers;
}

/** CloudTrail's detail-type for a management API call, as EventBridge receives it. */
export const CLOUDTRAIL_API_CALL = 'AWS API Call via CloudTrail';

/** Calls that change who may sign with a key, or stop it signing. */
export const KEY_TAMPERING_CALLS = ['PutKeyPolicy', 'ScheduleKeyDeletion', 'DisableKey', 'CreateGrant'] as const;
/**
 * Calls that change who may act as a signing role or what it may do. A role deleted and created
 * again under its name is the same `aws:PrincipalArn` to the key's Deny, so those two are watched too.
 */
export const ROLE_TAMPERING_CALLS = [
  'UpdateAssumeRolePolicy',
  'PutRolePolicy',
  'AttachRolePolicy',
  'DeleteRolePolicy',
  'DetachRolePolicy',
  'DeleteRole',
  'CreateRole',
] as const;
/**
 * Calls that change the code or configuration a signing role runs, or give the role to other code.
 * Lambda's CloudTrail event names carry an API version (`UpdateFunctionCode20150331v2`): matched by prefix.
 */
export const FUNCTION_TAMPERING_CALLS = [
  'UpdateFunctionCode',
  'UpdateFunctionConfiguration',
  'CreateFunction',
] as const;

/**
 * Each security notice on its own to the alarm topic, where an alarm would notify once per state
 * change: every `Security Record` a writer puts on the bus (shared/audit/security-notice.ts), and
 * every CloudTrail management call that could let something other than a signing step sign
 * (a key policy, a signing role's trust or policies, a signing function's code or configuration).
 */
export class SecurityNotices extends Construct {
  readonly records: Rule;
  readonly tampering: Rule;

  constructor(scope: Construct, id: string, props: SecurityNoticesProps) {
    super(scope, id);
    const role = publishRole(this);
    this.records = new Rule(this, 'SecurityRecords', {
      description: 'Each security.* record of the audit ledger, on its own, to the alarm topic',
      eventBus: props.bus,
      eventPattern: {
        source: [AUDIT_EVENT_SOURCE],
        detailType: [SECURITY_RECORD_DETAIL_TYPE],
        account: [Aws.ACCOUNT_ID],
      },
    });
    this.records.addTarget(new SnsTopic(props.topic, { role, message: recordMessage() }));
    // CloudTrail delivers management events to the default bus of the region the call was made in
    // (IAM's, a global service's, in us-east-1 only), and only while a trail is logging: README.
    this.tampering = new Rule(this, 'SignerTampering', {
      description: "Changes to the signing keys' policies, the signing roles, or the functions that sign or verify",
      eventPattern: tamperingPattern(props.signers),
    });
    this.tampering.addTarget(new SnsTopic(props.topic, { role, message: tamperingMessage() }));
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Action::kms:GenerateDataKey*]',
      reason:
        'Publishing to the encrypted alarm topic needs a data key of the topic key; granted on that key only (grantPublish).',
    });
  }
}

/** The Sid of the statement {@link grantAnnounceSecurityRecords} adds. */
export const ANNOUNCE_SID = 'AnnounceSecurityRecords';

/**
 * Lets a function put `Security Record` events on the bus, and nothing else there: the events it
 * may put are bounded by their source and detail-type (IAM condition keys of PutEvents).
 */
export function grantAnnounceSecurityRecords(fn: GantryFunction, bus: IEventBus): void {
  grantPutEventsFrom(bus, fn.function, AUDIT_EVENT_SOURCE, {
    detailType: SECURITY_RECORD_DETAIL_TYPE,
    sid: ANNOUNCE_SID,
  });
}

/** The role EventBridge publishes with: the topic's key lets IAM decide, so no key policy is widened. */
function publishRole(scope: Construct): Role {
  return new Role(scope, 'PublishRole', {
    description: 'EventBridge publishing Gantry security notices to the alarm topic',
    assumedBy: new ServicePrincipal('events.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
    }),
  });
}

/**
 * The event pattern of the tampering rule: one branch per kind of resource, each naming exactly
 * the synthesized keys, roles and functions. A KMS call is matched by the key in its `resources`
 * (CloudTrail names the key's ARN there) or by the `keyId` asked for (an ARN or a key id).
 */
export function tamperingPattern(signers: Signers) {
  const keyArns = signers.keys.map((k) => k.keyArn);
  const functionNames = [...signers.functions, ...signers.verifiers].map((f) => f.functionName);
  const lambdaCalls = FUNCTION_TAMPERING_CALLS.map((call) => ({ prefix: call }));
  const kms = { eventSource: ['kms.amazonaws.com'], eventName: [...KEY_TAMPERING_CALLS] };
  return {
    source: ['aws.kms', 'aws.iam', 'aws.lambda'],
    detailType: [CLOUDTRAIL_API_CALL],
    detail: {
      $or: [
        { ...kms, resources: { ARN: keyArns } },
        { ...kms, requestParameters: { keyId: [...keyArns, ...signers.keys.map((k) => k.keyId)] } },
        roleTamperingDetail(signers.roleNames),
        {
          // By name, full ARN or partial ARN (`123456789012:function:name`), as the API takes it.
          eventSource: ['lambda.amazonaws.com'],
          eventName: lambdaCalls,
          requestParameters: {
            functionName: functionNames.flatMap((name) => [name, { suffix: `:function:${name}` }]),
          },
        },
        {
          // Any function given a signing role signs as it: CreateFunction or a configuration update naming it.
          eventSource: ['lambda.amazonaws.com'],
          eventName: lambdaCalls,
          requestParameters: { role: signers.roleNames.map((name) => ({ suffix: `:role/${name}` })) },
        },
      ],
    },
  };
}

/** The CloudTrail detail of a call that changes who may act as one of the signing roles, or what they may do. */
export function roleTamperingDetail(roleNames: readonly string[]) {
  return {
    eventSource: ['iam.amazonaws.com'],
    eventName: [...ROLE_TAMPERING_CALLS],
    requestParameters: { roleName: [...roleNames] },
  };
}

/** What a security record's notice says: the record's own line, type, run and reason, and the record. */
function recordMessage(): RuleTargetInput {
  return RuleTargetInput.fromObject({
    summary: EventField.fromPath('$.detail.summary'),
    type: EventField.fromPath('$.detail.type'),
    runId: EventField.fromPath('$.detail.subject.runId'),
    reason: EventField.fromPath('$.detail.reason'),
    record: EventField.fromPath('$.detail'),
    account: EventField.fromPath('$.account'),
    region: EventField.fromPath('$.region'),
  });
}

/** What a tampering notice says: who called what on which resource, from where. */
function tamperingMessage(): RuleTargetInput {
  return RuleTargetInput.fromObject({
    summary:
      'Gantry signer tampering: a call that could let something other than a signing step sign (check it was meant)',
    eventName: EventField.fromPath('$.detail.eventName'),
    eventSource: EventField.fromPath('$.detail.eventSource'),
    caller: EventField.fromPath('$.detail.userIdentity.arn'),
    sourceIPAddress: EventField.fromPath('$.detail.sourceIPAddress'),
    requestParameters: EventField.fromPath('$.detail.requestParameters'),
    account: EventField.fromPath('$.account'),
    region: EventField.fromPath('$.region'),
    time: EventField.fromPath('$.time'),
  });
}
