import { TargetInputError } from '../../../local/eventbridge/errors';
import { compileTargetInput, type TargetInputSettings, targetInput } from '../../../local/eventbridge/input';
import type { JsonObject, JsonValue } from '../../../local/eventbridge/json';

// The example event of the User Guide's "Transforming target input" page.
const EC2_EVENT: JsonObject = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-0123456789', state: 'RUNNING' },
};
const CONTEXT = { ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example', ruleName: 'example' };
const DOCS_PATHS = { timestamp: '$.time', instance: '$.detail.instance-id', state: '$.detail.state' };
const ENVELOPE = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  detailType: 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
};

const transform = (InputTemplate: string, InputPathsMap: Record<string, string> = DOCS_PATHS): TargetInputSettings => ({
  Id: 'target-1',
  InputTransformer: { InputPathsMap, InputTemplate },
});

/**
 * The rows of the guide's "Input Transform Examples" table (Transforming target input), each with
 * the output the guide shows, parsed. The "Amazon CloudWatch log group" row is left out: its output
 * (an unquoted timestamp) shows what the log group stores, not JSON a target receives.
 */
const DOCUMENTED: readonly (readonly [name: string, template: string, expected: JsonValue])[] = [
  ['Simple string', '"instance <instance> is in <state>"', 'instance i-0123456789 is in RUNNING'],
  ['String with escaped quotes', '"instance \\"<instance>\\" is in <state>"', 'instance "i-0123456789" is in RUNNING'],
  [
    'Simple JSON',
    '{\n  "instance" : <instance>,\n  "state": <state>\n}',
    { instance: 'i-0123456789', state: 'RUNNING' },
  ],
  [
    'JSON with strings and variables',
    '{"instance" : <instance>, "state": "<state>", "instanceStatus": "instance \\"<instance>\\" is in <state>"}',
    { instance: 'i-0123456789', state: 'RUNNING', instanceStatus: 'instance "i-0123456789" is in RUNNING' },
  ],
  [
    'JSON with a mix of variables and static information',
    '{"instance" : <instance>, "state": [ 9, <state>, true ], "Transformed" : "Yes"}',
    { instance: 'i-0123456789', state: [9, 'RUNNING', true], Transformed: 'Yes' },
  ],
  [
    'Including reserved variables in JSON',
    '{"instance": <instance>, "state": <state>, "ruleArn": <aws.events.rule-arn>, "ruleName": <aws.events.rule-name>, "originalEvent": <aws.events.event>}',
    {
      instance: 'i-0123456789',
      state: 'RUNNING',
      ruleArn: 'arn:aws:events:us-east-2:123456789012:rule/example',
      ruleName: 'example',
      originalEvent: ENVELOPE,
    },
  ],
  ['Including reserved variables in a string', '"<aws.events.rule-name> triggered"', 'example triggered'],
];

describe('compileTargetInput', () => {
  it.each(DOCUMENTED)('conforms to the User Guide (Input Transform Examples): %s', (_name, template, expected) => {
    expect(compileTargetInput(transform(template)).value(EC2_EVENT, CONTEXT)).toEqual(expected);
  });

  it('sends a string template as a JSON string, quotes included, as AWS delivers it to SQS', () => {
    const input = compileTargetInput(transform('"instance <instance> is in <state>"'));
    expect(input.text(EC2_EVENT, CONTEXT)).toBe('"instance i-0123456789 is in RUNNING"');
  });

  it('sends the whole event when no input setting is given', () => {
    const input = compileTargetInput({ Id: 'target-1' });
    expect(input.value(EC2_EVENT, CONTEXT)).toEqual(EC2_EVENT);
    expect(JSON.parse(input.text(EC2_EVENT, CONTEXT))).toEqual(EC2_EVENT);
  });

  describe('Input', () => {
    it('sends the constant JSON instead of the event', () => {
      const input = compileTargetInput({ Input: '{"action": "build", "n": 1}' });
      expect(input.value(EC2_EVENT, CONTEXT)).toEqual({ action: 'build', n: 1 });
      expect(input.text(EC2_EVENT, CONTEXT)).toBe('{"action": "build", "n": 1}');
    });

    it('rejects text that is not JSON', () => {
      expect(() => compileTargetInput({ Id: 't', Input: '{nope' })).toThrow('Input for target t is not valid JSON.');
    });
  });

  describe('InputPath', () => {
    it.each<readonly [string, JsonValue]>([
      ['$.detail', { 'instance-id': 'i-0123456789', state: 'RUNNING' }],
      ['$.detail.state', 'RUNNING'],
      ['$', EC2_EVENT],
      ['$.resources[0]', 'arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
      ["$['detail']['instance-id']", 'i-0123456789'],
      ['$.detail["state"]', 'RUNNING'],
      ['$.detail.missing', null],
      ['$.resources[5]', null],
    ])('sends %s', (path, expected) => {
      expect(targetInput({ InputPath: path }, EC2_EVENT, CONTEXT)).toEqual(expected);
    });

    it('sends a selected string as JSON text, as AWS delivers it to SQS', () => {
      expect(compileTargetInput({ InputPath: '$.detail.state' }).text(EC2_EVENT, CONTEXT)).toBe('"RUNNING"');
    });

    it.each(['detail', '$..state', '$.resources[*]', '$.detail.'])('rejects the path %s', (path) => {
      expect(() => compileTargetInput({ Id: 't', InputPath: path })).toThrow(TargetInputError);
    });
  });

  describe('InputTransformer', () => {
    // Observed against AWS (LocalStack's validated snapshot tests): a path that leads nowhere yields "".
    it('substitutes the empty string for a missing path inside a string', () => {
      const settings = transform('"Event of <type> type, info <command>"', {
        type: '$.detail-type',
        command: '$.detail.notinmessage',
      });
      expect(targetInput(settings, EC2_EVENT, CONTEXT)).toBe(
        'Event of EC2 Instance State-change Notification type, info ',
      );
    });

    it('substitutes "" for a missing path outside a string', () => {
      const settings = transform('{"command": <command>}', { command: '$.detail.notinmessage' });
      expect(targetInput(settings, EC2_EVENT, CONTEXT)).toEqual({ command: '' });
    });

    it('leaves characters that look like JSON alone inside a string', () => {
      const settings = transform('"{[/Check with special starting characters for <state>"');
      expect(targetInput(settings, EC2_EVENT, CONTEXT)).toBe('{[/Check with special starting characters for RUNNING');
    });

    it('fills the predefined variables without an InputPathsMap', () => {
      const settings: TargetInputSettings = {
        InputTransformer: {
          InputTemplate: '"All: <aws.events.rule-arn> <aws.events.rule-name> <aws.events.event.ingestion-time>"',
        },
      };
      expect(targetInput(settings, EC2_EVENT, CONTEXT)).toBe(
        'All: arn:aws:events:us-east-2:123456789012:rule/example example 2015-11-11T21:29:54Z',
      );
    });

    it('takes the ingestion time from the delivery context when given', () => {
      const settings = transform('{"at": <aws.events.event.ingestion-time>}', {});
      expect(targetInput(settings, EC2_EVENT, { ...CONTEXT, ingestionTime: '2015-11-11T21:29:55Z' })).toEqual({
        at: '2015-11-11T21:29:55Z',
      });
    });

    it('sends the envelope for aws.events.event and the whole event for aws.events.event.json', () => {
      const settings = transform(
        '{"originalEvent": <aws.events.event>, "originalEventJson": <aws.events.event.json>}',
        {},
      );
      expect(targetInput(settings, EC2_EVENT, CONTEXT)).toEqual({
        originalEvent: ENVELOPE,
        originalEventJson: EC2_EVENT,
      });
    });

    it('keeps the JSON type of values outside strings and writes them as text inside', () => {
      const event = { ...EC2_EVENT, detail: { count: 3, ok: true, tags: ['a'], none: null } };
      const paths = { count: '$.detail.count', ok: '$.detail.ok', tags: '$.detail.tags', none: '$.detail.none' };
      const settings = transform(
        '{"n": <count>, "ok": <ok>, "tags": <tags>, "none": <none>, "s": "<count>/<ok>/<none>"}',
        paths,
      );
      expect(targetInput(settings, event, CONTEXT)).toEqual({
        n: 3,
        ok: true,
        tags: ['a'],
        none: null,
        s: '3/true/null',
      });
    });

    // Guide › Common issues: EventBridge doesn't escape values extracted by Input Path.
    it('does not escape a quoted value, so a quote in it breaks the JSON', () => {
      const event = { ...EC2_EVENT, detail: { state: 'say "hi"' } };
      const input = compileTargetInput(transform('{"state": "<state>"}'));
      expect(input.text(event, CONTEXT)).toBe('{"state": "say "hi""}');
      expect(() => input.value(event, CONTEXT)).toThrow(/produced text that is not JSON/);
    });

    it('leaves a lone < alone', () => {
      expect(targetInput(transform('"1 < 2 is <state>"'), EC2_EVENT, CONTEXT)).toBe('1 < 2 is RUNNING');
    });
  });

  describe('validation (as PutTargets validates)', () => {
    it.each<readonly [string, TargetInputSettings, string]>([
      [
        'two input settings',
        { Id: 't', InputPath: '$.detail', Input: '{}' },
        'Only one of Input, InputPath, or InputTransformer must be provided for target t.',
      ],
      [
        'a placeholder with no variable',
        transform('"Event of <state>, with not defined key <notdefinedkey>"'),
        'InputTemplate for target target-1 contains invalid placeholder notdefinedkey.',
      ],
      [
        'a reserved variable name',
        transform('"<aws.events.rule-name>"', { 'aws.events.rule-name': '$.source' }),
        'InputPathsMap for target target-1 redefines the reserved variable aws.events.rule-name.',
      ],
      [
        'bracket notation in InputPathsMap',
        transform('"<state>"', { state: "$.detail['state']" }),
        "InputPathsMap for target target-1 has an invalid JSONPath for state: $.detail['state']",
      ],
      [
        'more than 100 variables',
        transform('"x"', Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`v${i}`, '$.id']))),
        'InputPathsMap for target target-1 has more than 100 variables.',
      ],
    ])('rejects %s', (_name, settings, message) => {
      const attempt = () => compileTargetInput(settings);
      expect(attempt).toThrow(TargetInputError);
      expect(attempt).toThrow(message);
      expect(attempt).toThrow(expect.objectContaining({ code: 'ValidationException' }));
    });
  });
});
