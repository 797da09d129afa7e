/* biome-ignore-all lint/suspicious/noTemplateCurlyInString: CloudFormation Fn::Sub strings use ${...} on purpose */
import { TemplateResolver } from '../../../local/template/resolver';
import type { StackTemplate } from '../../../local/template/types';

const env = { region: 'eu-west-1', accountId: '000000000000', edgeEndpoint: 'http://127.0.0.1:4566' };

const data: StackTemplate = {
  stackName: 'Data',
  template: {
    Resources: {
      Table: { Type: 'AWS::DynamoDB::Table', Properties: {} },
      Named: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'runs' } },
    },
    Outputs: {
      TableName: { Value: { Ref: 'Table' }, Export: { Name: 'Data:TableName' } },
      TableArn: {
        Value: { 'Fn::GetAtt': ['Table', 'Arn'] },
        Export: { Name: { 'Fn::Sub': '${AWS::StackName}:TableArn' } },
      },
    },
  },
};

const app: StackTemplate = {
  stackName: 'App',
  template: {
    Conditions: {
      IsLocal: { 'Fn::Equals': [{ Ref: 'AWS::AccountId' }, '000000000000'] },
      IsRemote: { 'Fn::Not': [{ Condition: 'IsLocal' }] },
    },
    Mappings: { Sizes: { small: { memory: 256 } } },
    Resources: {
      Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
      Fifo: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'jobs', FifoQueue: true } },
      Bus: { Type: 'AWS::Events::EventBus', Properties: { Name: 'gantry' } },
      Machine: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
      Skipped: { Type: 'AWS::SQS::Queue', Condition: 'IsRemote', Properties: {} },
    },
  },
};

describe('TemplateResolver', () => {
  const t = new TemplateResolver([data, app], env);
  const r = (value: unknown, stack = 'App') => t.resolve(stack, value);

  it.each([
    [{ Ref: 'Queue' }, 'http://127.0.0.1:4566/000000000000/App-Queue'],
    [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, 'arn:aws:sqs:eu-west-1:000000000000:App-Queue'],
    [{ 'Fn::GetAtt': 'Fifo.QueueName' }, 'jobs.fifo'],
    [{ Ref: 'Bus' }, 'gantry'],
    [{ 'Fn::GetAtt': ['Bus', 'Arn'] }, 'arn:aws:events:eu-west-1:000000000000:event-bus/gantry'],
    [{ Ref: 'Machine' }, 'arn:aws:states:eu-west-1:000000000000:stateMachine:App-Machine'],
    [{ 'Fn::ImportValue': 'Data:TableName' }, 'Data-Table'],
    [{ 'Fn::ImportValue': 'Data:TableArn' }, 'arn:aws:dynamodb:eu-west-1:000000000000:table/Data-Table'],
    [{ 'Fn::Join': ['-', ['a', { Ref: 'AWS::Region' }, 'b']] }, 'a-eu-west-1-b'],
    [
      { 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}:${Queue.QueueName}/${!Literal}' },
      'arn:aws:x:eu-west-1:000000000000:App-Queue/${Literal}',
    ],
    [
      { 'Fn::Sub': ['${Greeting}, ${Bus}', { Greeting: { 'Fn::Select': [1, { 'Fn::Split': [',', 'hi,hello'] }] } }] },
      'hello, gantry',
    ],
    [{ 'Fn::If': ['IsLocal', 'local', 'cloud'] }, 'local'],
    [{ 'Fn::FindInMap': ['Sizes', 'small', 'memory'] }, 256],
    [{ 'Fn::ToJsonString': { a: { Ref: 'Bus' } } }, '{"a":"gantry"}'],
  ])('resolves %j', (value, expected) => {
    expect(r(value)).toEqual(expected);
  });

  it('drops properties set to AWS::NoValue', () => {
    expect(r({ a: 1, b: { Ref: 'AWS::NoValue' }, c: [1, { Ref: 'AWS::NoValue' }] })).toEqual({ a: 1, c: [1] });
  });

  it('uses explicit names and leaves out resources whose condition is false', () => {
    expect(t.ref('Data', 'Named')).toBe('runs');
    expect(t.resources('AWS::SQS::Queue').map((q) => q.logicalId)).toEqual(['Queue', 'Fifo']);
  });

  it.each([
    [{ 'Fn::ImportValue': 'Nobody:Exports' }, 'no stack exports Nobody:Exports'],
    [{ Ref: 'Missing' }, 'App has no resource Missing'],
    [{ 'Fn::GetAtt': ['Bus', 'Colour'] }, 'attribute Colour of AWS::Events::EventBus is not known to local mode'],
    [{ 'Fn::Transform': {} }, 'Fn::Transform is not supported by local mode'],
  ])('says what it cannot resolve: %j', (value, message) => {
    expect(() => r(value)).toThrow(message);
  });
});
