import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, ListRulesCommand } from '@aws-sdk/client-eventbridge';
import { DescribeStateMachineCommand, ListStateMachinesCommand } from '@aws-sdk/client-sfn';
import { ListQueuesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { LOCAL_ACCOUNT_ID } from '../../local/runtime';
import { TemplateResolver } from '../../local/template/resolver';
import { synthTemplates } from '../../local/template/synth';
import type { StackTemplate } from '../../local/template/types';
import { edgeClientConfig, startTestPlane, type TestPlane } from '../support/local';

/** Resources of a type across the templates, by logical id (what `cdk synth` declares). */
function declared(templates: readonly StackTemplate[], type: string): string[] {
  return templates.flatMap((s) =>
    Object.entries(s.template.Resources ?? {})
      .filter(([, r]) => r.Type === type)
      .map(([id]) => `${s.stackName}/${id}`),
  );
}

describe('parity between the templates and what local mode serves', () => {
  let t: TestPlane;
  let templates: StackTemplate[];
  let resolver: TemplateResolver;

  beforeAll(async () => {
    t = await startTestPlane();
    templates = synthTemplates(t.config);
    resolver = new TemplateResolver(templates, {
      region: t.plane.region,
      accountId: LOCAL_ACCOUNT_ID,
      edgeEndpoint: t.plane.awsEndpoint,
    });
  }, 60_000);
  afterAll(() => t?.close());

  const names = (type: string) =>
    declared(templates, type).map((key) => {
      const [stack = '', id = ''] = key.split('/');
      return resolver.ref(stack, id);
    });

  it('runs every Lambda function of the templates in a worker', () => {
    const functions = declared(templates, 'AWS::Lambda::Function');
    expect(functions.length).toBeGreaterThanOrEqual(8);
    // Gantry's handlers run as workers; deploy targets (the sample service) as versions behind their alias.
    const served = [...t.plane.functions.names(), ...t.plane.inventory.services.map((s) => s.name)];
    expect(served.sort()).toEqual(names('AWS::Lambda::Function').sort());
  });

  it('serves every table, with the names the functions are given', async () => {
    const served =
      (await new DynamoDBClient(edgeClientConfig(t.plane)).send(new ListTablesCommand({}))).TableNames ?? [];
    const expected = [...names('AWS::DynamoDB::Table'), ...names('AWS::DynamoDB::GlobalTable')];
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(served.sort()).toEqual(expected.sort());
  });

  it('serves every queue', async () => {
    const urls = (await new SQSClient(edgeClientConfig(t.plane)).send(new ListQueuesCommand({}))).QueueUrls ?? [];
    expect(urls.sort()).toEqual(names('AWS::SQS::Queue').sort());
  });

  it('evaluates every rule on its bus', async () => {
    const eb = new EventBridgeClient(edgeClientConfig(t.plane));
    const buses = [...new Set(t.plane.inventory.rules.map((r) => r.busName))];
    const served = (
      await Promise.all(
        buses.map(async (bus) => (await eb.send(new ListRulesCommand({ EventBusName: bus }))).Rules ?? []),
      )
    ).flat();
    const expected = names('AWS::Events::Rule');
    expect(expected.length).toBeGreaterThanOrEqual(2);
    expect(served.map((r) => r.Name).sort()).toEqual(expected.sort());
  });

  it('runs every state machine, with exactly the ASL the template holds once its tokens are resolved', async () => {
    const machines = declared(templates, 'AWS::StepFunctions::StateMachine');
    const served = (await t.sfn.send(new ListStateMachinesCommand({}))).stateMachines ?? [];
    expect(served.map((m) => m.stateMachineArn).sort()).toEqual(names('AWS::StepFunctions::StateMachine').sort());
    for (const key of machines) {
      const [stack = '', id = ''] = key.split('/');
      const resolved = resolver.properties(stack, id).DefinitionString;
      expect(typeof resolved).toBe('string');
      expect(String(resolved)).not.toMatch(/Fn::|"Ref"|\$\{Token/);
      const described = await t.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: resolver.ref(stack, id) }));
      expect(JSON.parse(described.definition ?? '{}')).toEqual(JSON.parse(String(resolved)));
    }
  });
});
