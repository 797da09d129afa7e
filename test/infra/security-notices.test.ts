import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditRecordInput } from '../../events';
import type { GantryApp } from '../../infra/app';
import { matchesPattern } from '../../local/eventbridge';
import { LocalBus } from '../../local/eventbridge/bus';
import type { JsonObject } from '../../local/eventbridge/json';
import { inventoryOf, type LocalInventory, type RuleSpec } from '../../local/template/inventory';
import { TemplateResolver } from '../../local/template/resolver';
import { announcingSecurityRecords } from '../../shared/audit/security-notice';
import type { EventBus } from '../../shared/bus/event-bus';
import { synthGantry } from '../support/cdk';
import { MemoryAudit } from '../support/receiver-fakes';

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

let gantry: GantryApp;
let resolver: TemplateResolver;
let inventory: LocalInventory;

beforeAll(() => {
  gantry = synthGantry();
  const templates = [gantry.data, gantry.controlPlane].map((s) => ({
    stackName: s.stackName,
    template: gantry.app.synth().getStackByName(s.stackName).template,
  }));
  resolver = new TemplateResolver(templates, {
    region: REGION,
    accountId: ACCOUNT,
    edgeEndpoint: 'http://127.0.0.1:4566',
  });
  inventory = inventoryOf(resolver);
});

/** The alarm topic's ARN, as the template resolves it (a topic's Ref is its ARN). */
function alarmTopicArn(): string {
  const [topic, ...more] = resolver
    .resources('AWS::SNS::Topic')
    .filter((r) => r.resource.Properties?.TopicName === 'gantry-alarms');
  expect(more).toEqual([]);
  return resolver.ref(topic?.stack ?? '', topic?.logicalId ?? '');
}

/** A function's name → the name of the role it runs as, both as the template resolves them. */
function rolesOfFunctions(): Map<string, string> {
  return new Map(
    resolver.resources('AWS::Lambda::Function').map((r) => {
      const role = String(resolver.properties(r.stack, r.logicalId).Role);
      return [resolver.ref(r.stack, r.logicalId), role.split('/').pop() ?? ''];
    }),
  );
}

/** The rules that send to the alarm topic. */
function topicRules(): RuleSpec[] {
  const topic = alarmTopicArn();
  return inventory.rules.filter((r) => r.targets.some((t) => t.arn === topic));
}

describe('each security record reaches the alarm topic on its own', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gantry-security-notices-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const forged = (runId: string, reason: string): AuditRecordInput => ({
    type: 'security.forged_input',
    actor: { type: 'system', id: 'gantry', providerIdentity: null },
    subject: { repository: 'acme/widgets', commit: null, runId, environment: null, pipeline: 'widgets' },
    outcome: 'rejected',
    details: { step: 'ReportStatus', executionArn: 'arn:aws:states:us-east-1:000000000000:execution:x:y', reason },
    correlationId: `forged:${runId}`,
  });

  it('two records in a row, the first harmless, are two messages: the second is not held behind the first', async () => {
    const delivered: { arn: string; input: string }[] = [];
    const { bus } = LocalBus.start({
      buses: inventory.buses,
      rules: inventory.rules,
      dataDir: dir,
      region: REGION,
      accountId: ACCOUNT,
      invokeTarget: async (arn, input) => {
        delivered.push({ arn, input });
        return undefined;
      },
      backoffMs: [1],
    });
    // What a function's PutEvents does locally: the bus of its environment takes the entries.
    const busName = inventory.buses.find((b) => b.name.startsWith('gantry'))?.name ?? 'gantry';
    const onTheBus: EventBus = {
      put: async (events) => {
        bus.accept(
          events.map((e) => ({
            bus: busName,
            source: e.source,
            detailType: e.detailType,
            detail: e.detail as JsonObject,
          })),
        );
        return [];
      },
    };
    const ledger = new MemoryAudit();
    const sink = announcingSecurityRecords(ledger, { bus: onTheBus, logger: console, clock: () => new Date() });
    try {
      await sink.record(forged('r-harmless', 'a replayed test execution'));
      await sink.record(forged('r-real', 'run r-real belongs to execution A, not to "B"'));
      await bus.settled();
    } finally {
      await bus.close();
    }
    expect(ledger.records.map((r) => r.subject.runId)).toEqual(['r-harmless', 'r-real']);
    const toTopic = delivered.filter((d) => d.arn === alarmTopicArn());
    const messages = toTopic.map((d) => JSON.parse(d.input) as Record<string, unknown>);
    expect(messages).toEqual([
      expect.objectContaining({
        type: 'security.forged_input',
        runId: 'r-harmless',
        reason: 'a replayed test execution',
        summary: expect.stringContaining('security.forged_input (run r-harmless)'),
        account: ACCOUNT,
      }),
      expect.objectContaining({
        type: 'security.forged_input',
        runId: 'r-real',
        // A quote in an attacker-chosen value still makes a message (the template is an object, not text).
        reason: 'run r-real belongs to execution A, not to "B"',
        record: expect.objectContaining({ details: expect.objectContaining({ step: 'ReportStatus' }) }),
      }),
    ]);
  });

  it('is a rule on the Gantry bus that takes only this account’s Security Record events, sent with a role', () => {
    const [rule, ...more] = topicRules().filter((r) => JSON.stringify(r.pattern).includes('gantry.audit'));
    expect(more).toEqual([]);
    expect(rule?.busName).toBe(inventory.buses.find((b) => b.name.startsWith('gantry'))?.name);
    expect(rule?.pattern).toEqual({ source: ['gantry.audit'], 'detail-type': ['Security Record'], account: [ACCOUNT] });
    expect(rule?.targets[0]?.roleArn).toEqual(expect.stringContaining(':role/'));
  });

  it('every function that may write a security record may put that event on the bus, and only that event', () => {
    const writers = inventory.functions.filter((f) =>
      ['resolve-plan', 'report-status', 'fetch-source', 'deploy-release', 'record-provenance', 'deploy-events'].some(
        (name) => f.label === name,
      ),
    );
    expect(writers).toHaveLength(6);
    const policies = resolver.resources('AWS::IAM::Policy').map((p) => resolver.properties(p.stack, p.logicalId));
    const roles = rolesOfFunctions();
    for (const fn of writers) {
      const role = roles.get(fn.name);
      const statements = policies
        .filter((p) => (p.Roles as string[]).includes(role ?? '?'))
        .flatMap((p) => (p.PolicyDocument as { Statement: unknown[] }).Statement);
      expect(statements).toContainEqual(
        expect.objectContaining({
          Action: 'events:PutEvents',
          Condition: { StringEquals: { 'events:source': 'gantry.audit', 'events:detail-type': 'Security Record' } },
        }),
      );
    }
  });
});

describe('changes to the signers reach the alarm topic', () => {
  /** The keys whose policy lets one fixed-name role alone sign, with that role's name. */
  function signingKeys(): { arn: string; id: string; role: string }[] {
    return resolver.resources('AWS::KMS::Key').flatMap((r) => {
      const policy = resolver.properties(r.stack, r.logicalId).KeyPolicy as {
        Statement: { Sid?: string; Condition?: { ArnNotEquals?: Record<string, string> } }[];
      };
      const deny = policy.Statement.find((s) => s.Sid === 'OnlyItsStepSigns');
      const principal = deny?.Condition?.ArnNotEquals?.['aws:PrincipalArn'];
      if (principal === undefined) return [];
      return [
        {
          arn: resolver.attribute(r.stack, r.logicalId, 'Arn'),
          id: resolver.ref(r.stack, r.logicalId),
          role: principal.split('/').pop() ?? '',
        },
      ];
    });
  }

  /** The functions that run as a signing role. */
  function signingFunctions(roles: readonly string[]): string[] {
    return [...rolesOfFunctions()].filter(([, role]) => roles.includes(role)).map(([name]) => name);
  }

  function tamperingRule(): RuleSpec {
    const [rule, ...more] = topicRules().filter((r) => JSON.stringify(r.pattern).includes('aws.kms'));
    expect(more).toEqual([]);
    if (rule === undefined) throw new Error('no tampering rule sends to the alarm topic');
    return rule;
  }

  const call = (eventSource: string, eventName: string, requestParameters: object, resources: object[] = []) => ({
    version: '0',
    id: 'e-1',
    'detail-type': 'AWS API Call via CloudTrail',
    source: `aws.${eventSource.split('.')[0]}`,
    account: ACCOUNT,
    time: '2026-12-07T18:00:00Z',
    region: REGION,
    resources: [],
    detail: {
      eventSource,
      eventName,
      userIdentity: { arn: `arn:aws:iam::${ACCOUNT}:user/mallory` },
      sourceIPAddress: '203.0.113.9',
      requestParameters,
      resources,
    },
  });

  it('finds the two signing keys, their roles and their functions in the synthesized stacks', () => {
    const keys = signingKeys();
    expect(keys.map((k) => k.role).sort()).toEqual([
      `gantry-audit-checkpoint-${REGION}`,
      `gantry-record-provenance-${REGION}`,
    ]);
    expect(signingFunctions(keys.map((k) => k.role))).toHaveLength(2);
  });

  it('is a rule on the default bus for CloudTrail API calls, sent to the alarm topic', () => {
    const rule = tamperingRule();
    expect(rule.busName).toBe('default');
    expect(rule.targets.map((t) => t.arn)).toEqual([alarmTopicArn()]);
  });

  it.each(['PutKeyPolicy', 'ScheduleKeyDeletion', 'DisableKey', 'CreateGrant'])(
    'matches %s on either signing key, by the key in its resources or the key id asked for',
    (eventName) => {
      const { pattern } = tamperingRule();
      for (const key of signingKeys()) {
        const byResource = call('kms.amazonaws.com', eventName, { keyId: key.id }, [
          { ARN: key.arn, type: 'AWS::KMS::Key' },
        ]);
        expect(matchesPattern(pattern, byResource)).toBe(true);
        expect(matchesPattern(pattern, call('kms.amazonaws.com', eventName, { keyId: key.arn }))).toBe(true);
      }
      // Another key of the stacks (the artifacts key) is not a signer.
      const other = resolver
        .resources('AWS::KMS::Key')
        .map((r) => resolver.attribute(r.stack, r.logicalId, 'Arn'))
        .find((arn) => !signingKeys().some((k) => k.arn === arn));
      expect(other).toBeDefined();
      expect(matchesPattern(pattern, call('kms.amazonaws.com', eventName, { keyId: other }, [{ ARN: other }]))).toBe(
        false,
      );
    },
  );

  it.each(['UpdateAssumeRolePolicy', 'PutRolePolicy', 'AttachRolePolicy', 'DeleteRolePolicy', 'DetachRolePolicy'])(
    'matches %s on either signing role, and not on another role',
    (eventName) => {
      const { pattern } = tamperingRule();
      for (const { role } of signingKeys())
        expect(matchesPattern(pattern, call('iam.amazonaws.com', eventName, { roleName: role }))).toBe(true);
      expect(
        matchesPattern(pattern, call('iam.amazonaws.com', eventName, { roleName: `gantry-resolve-plan-${REGION}` })),
      ).toBe(false);
    },
  );

  it.each(['UpdateFunctionCode20150331v2', 'UpdateFunctionConfiguration20150331v2'])(
    'matches %s on either signing function or on Deploy (which verifies), by name or ARN, and not on another function',
    (eventName) => {
      const { pattern } = tamperingRule();
      const deploy = inventory.functions.filter((f) => f.label === 'deploy-release').map((f) => f.name);
      expect(deploy).toHaveLength(1);
      const names = [...signingFunctions(signingKeys().map((k) => k.role)), ...deploy];
      for (const name of names) {
        expect(matchesPattern(pattern, call('lambda.amazonaws.com', eventName, { functionName: name }))).toBe(true);
        const arn = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`;
        expect(matchesPattern(pattern, call('lambda.amazonaws.com', eventName, { functionName: arn }))).toBe(true);
      }
      const other = inventory.functions.find((f) => !names.includes(f.name))?.name;
      expect(matchesPattern(pattern, call('lambda.amazonaws.com', eventName, { functionName: other }))).toBe(false);
    },
  );

  it('matches a function created or reconfigured to run as a signing role, whatever its name', () => {
    const { pattern } = tamperingRule();
    const role = `arn:aws:iam::${ACCOUNT}:role/gantry-record-provenance-${REGION}`;
    expect(
      matchesPattern(pattern, call('lambda.amazonaws.com', 'CreateFunction20150331', { functionName: 'x', role })),
    ).toBe(true);
    expect(
      matchesPattern(
        pattern,
        call('lambda.amazonaws.com', 'CreateFunction20150331', {
          functionName: 'x',
          role: `arn:aws:iam::${ACCOUNT}:role/someone-else`,
        }),
      ),
    ).toBe(false);
  });

  it('does not match reads or harmless calls on the signers', () => {
    const { pattern } = tamperingRule();
    const [key] = signingKeys();
    expect(matchesPattern(pattern, call('kms.amazonaws.com', 'Sign', { keyId: key?.arn }, [{ ARN: key?.arn }]))).toBe(
      false,
    );
    expect(matchesPattern(pattern, call('iam.amazonaws.com', 'GetRole', { roleName: key?.role }))).toBe(false);
  });
});
