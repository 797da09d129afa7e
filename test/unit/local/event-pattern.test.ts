import fc from 'fast-check';
import { EventBridgeError, InvalidEventError, InvalidEventPatternError } from '../../../local/eventbridge/errors';
import { compilePattern, matches, matchesPattern } from '../../../local/eventbridge/pattern';
import { testEventPattern } from '../../../local/eventbridge/test-event-pattern';

type Case = readonly [name: string, pattern: object | string, event: object, expected: boolean];

// Events reproduced from the Amazon EventBridge User Guide examples.
const EC2_TERMINATED = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const AUTOSCALING_LAUNCH = {
  version: '0',
  id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
  'detail-type': 'EC2 Instance Launch Successful',
  source: 'aws.autoscaling',
  account: '123456789012',
  time: '2015-11-11T21:31:47Z',
  region: 'us-east-1',
  resources: [],
  detail: { eventVersion: '', responseElements: null },
};
const MACIE_ALERT = {
  version: '0',
  id: '3e355723-fca9-4de3-9fd7-154c289d6b59',
  'detail-type': 'Macie Alert',
  source: 'aws.macie',
  account: '123456789012',
  time: '2017-04-24T22:28:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:macie:us-east-1:123456789012:trigger/trigger_id/alert/alert_id'],
  detail: {
    'notification-type': 'ALERT_CREATED',
    tags: ['Custom_Alert', 'Insider'],
    'risk-score': 80,
    trigger: { 'alert-type': 'basic', risk: 8 },
  },
};
const EC2_PENDING = {
  version: '0',
  id: '7bf73129-1428-4cd3-a780-95db273d1602',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '123456789012',
  time: '2015-11-11T21:29:54Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
  detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
};
const EC2_WITH_COUNTS = {
  ...EC2_TERMINATED,
  time: '2017-10-02T16:24:49Z',
  detail: { 'c-count': 5, 'd-count': 3, 'x-limit': 301.8, 'source-ip': '10.0.0.33', state: 'running' },
};
const ASG_ARN =
  'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate';
const DOCS_RESOURCES = [
  'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
  'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
  'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
];
const detail = (fields: object) => ({ detail: fields });

/**
 * Conformance cases: each pattern (and, where the guide gives one, each event) comes from the
 * Amazon EventBridge User Guide; the expected verdict is the one the guide states. Where the guide
 * gives a pattern and describes in prose what it matches, the event is built from that prose.
 */
const DOCUMENTED: readonly Case[] = [
  // Event patterns › introduction: the EC2 instance-termination pattern and event.
  [
    'Event patterns: selects the EC2 termination event',
    {
      source: ['aws.ec2'],
      'detail-type': ['EC2 Instance State-change Notification'],
      detail: { state: ['terminated'] },
    },
    EC2_TERMINATED,
    true,
  ],
  // Event patterns › Match values: a value list is an OR.
  ['Match values: source is aws.ec2 or aws.fargate', { source: ['aws.ec2', 'aws.fargate'] }, EC2_TERMINATED, true],
  ['Match values: neither listed source', { source: ['aws.ecs', 'aws.fargate'] }, EC2_TERMINATED, false],
  // Event patterns › Considerations: strings match character by character, without case folding.
  ['Considerations: no case folding', detail({ state: ['Terminated'] }), EC2_TERMINATED, false],
  // Content filtering › Complex example, note: a key given twice uses only its last value.
  [
    'Considerations: a repeated key keeps its last value (matches)',
    '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
    detail({ location: 'eu-west-1' }),
    true,
  ],
  [
    'Considerations: a repeated key keeps its last value (excluded)',
    '{"detail": {"location": [{"prefix": "us-"}], "location": [{"anything-but": "us-east"}]}}',
    detail({ location: 'us-east' }),
    false,
  ],
  // Example events and event patterns › Field matching.
  [
    'Field matching: responseElements is null',
    {
      source: ['aws.autoscaling'],
      'detail-type': ['EC2 Instance Launch Successful'],
      detail: { responseElements: [null] },
    },
    AUTOSCALING_LAUNCH,
    true,
  ],
  // Example events and event patterns › Value matching (Macie alert).
  [
    'Value matching: risk score 80 and trigger risk 8',
    { source: ['aws.macie'], 'detail-type': ['Macie Alert'], detail: { 'risk-score': [80], trigger: { risk: [8] } } },
    MACIE_ALERT,
    true,
  ],
  // Matching null values and empty strings.
  ['Null values and empty strings: empty eventVersion', detail({ eventVersion: [''] }), AUTOSCALING_LAUNCH, true],
  [
    'Null values and empty strings: null responseElements',
    detail({ responseElements: [null] }),
    AUTOSCALING_LAUNCH,
    true,
  ],
  [
    'Null values and empty strings: "" does not match null',
    detail({ responseElements: [''] }),
    AUTOSCALING_LAUNCH,
    false,
  ],
  [
    'Null values and empty strings: null does not match ""',
    detail({ eventVersion: [null] }),
    AUTOSCALING_LAUNCH,
    false,
  ],
  // Arrays in event patterns: an event array matches when it shares a value with the pattern's list.
  [
    'Arrays: first pattern value equals the second event value',
    { resources: DOCS_RESOURCES },
    { resources: [ASG_ARN, 'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
    true,
  ],
  ['Arrays: no value in common', { resources: DOCS_RESOURCES }, { resources: [ASG_ARN] }, false],
  // Content filtering › Prefix matching.
  ['Prefix: time starts with 2017-10-02', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-02T18:43:48Z' }, true],
  ['Prefix: another day', { time: [{ prefix: '2017-10-02' }] }, { time: '2017-10-03T18:43:48Z' }, false],
  // Content filtering › Prefix matching while ignoring case.
  ...['EventBridge', 'EVENTBRIDGE', 'eventbridge'].map(
    (service): Case => [
      `Prefix ignoring case: ${service}`,
      detail({ service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }),
      detail({ service }),
      true,
    ],
  ),
  [
    'Prefix ignoring case: other letters',
    detail({ service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] }),
    detail({ service: 'Lambda' }),
    false,
  ],
  // Content filtering › Suffix matching, and while ignoring case.
  ['Suffix: a .png file', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.png' }, true],
  ['Suffix: a .jpg file', { FileName: [{ suffix: '.png' }] }, { FileName: 'image.jpg' }, false],
  [
    'Suffix ignoring case: .PNG',
    detail({ FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] }),
    detail({ FileName: 'image.PNG' }),
    true,
  ],
  // Content filtering › Anything-but matching (strings, numbers, lists, prefix, suffix, ignore case, wildcard).
  [
    'Anything-but: another state',
    detail({ state: [{ 'anything-but': 'initializing' }] }),
    detail({ state: 'running' }),
    true,
  ],
  [
    'Anything-but: the excluded state',
    detail({ state: [{ 'anything-but': 'initializing' }] }),
    detail({ state: 'initializing' }),
    false,
  ],
  [
    'Anything-but number: another number',
    detail({ 'x-limit': [{ 'anything-but': 123 }] }),
    detail({ 'x-limit': 456 }),
    true,
  ],
  [
    'Anything-but number: the excluded number',
    detail({ 'x-limit': [{ 'anything-but': 123 }] }),
    detail({ 'x-limit': 123 }),
    false,
  ],
  [
    'Anything-but string list: running',
    detail({ state: [{ 'anything-but': ['stopped', 'overloaded'] }] }),
    detail({ state: 'running' }),
    true,
  ],
  [
    'Anything-but string list: overloaded',
    detail({ state: [{ 'anything-but': ['stopped', 'overloaded'] }] }),
    detail({ state: 'overloaded' }),
    false,
  ],
  [
    'Anything-but number list: 301.8',
    detail({ 'x-limit': [{ 'anything-but': [100, 200, 300] }] }),
    detail({ 'x-limit': 301.8 }),
    true,
  ],
  [
    'Anything-but number list: 200',
    detail({ 'x-limit': [{ 'anything-but': [100, 200, 300] }] }),
    detail({ 'x-limit': 200 }),
    false,
  ],
  [
    'Anything-but prefix: running',
    detail({ state: [{ 'anything-but': { prefix: 'init' } }] }),
    detail({ state: 'running' }),
    true,
  ],
  [
    'Anything-but prefix: initializing',
    detail({ state: [{ 'anything-but': { prefix: 'init' } }] }),
    detail({ state: 'initializing' }),
    false,
  ],
  [
    'Anything-but suffix: a .txt file',
    detail({ FileName: [{ 'anything-but': { suffix: '.txt' } }] }),
    detail({ FileName: 'notes.txt' }),
    false,
  ],
  [
    'Anything-but suffix: a .png file',
    detail({ FileName: [{ 'anything-but': { suffix: '.txt' } }] }),
    detail({ FileName: 'image.png' }),
    true,
  ],
  [
    'Anything-but ignoring case: INITIALIZING',
    detail({ state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] }),
    detail({ state: 'INITIALIZING' }),
    false,
  ],
  [
    'Anything-but ignoring case list: Stopped',
    detail({ state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] }),
    detail({ state: 'Stopped' }),
    false,
  ],
  [
    'Anything-but ignoring case list: running',
    detail({ state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] }),
    detail({ state: 'running' }),
    true,
  ],
  [
    'Anything-but wildcard: a path under /lib/',
    detail({ FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }),
    detail({ FilePath: '/usr/lib/libc.so' }),
    false,
  ],
  [
    'Anything-but wildcard: a path elsewhere',
    detail({ FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] }),
    detail({ FilePath: '/usr/bin/env' }),
    true,
  ],
  // Content filtering › Numeric matching: the pattern matches only when every field holds.
  [
    'Numeric: every field within its range',
    detail({
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    }),
    EC2_WITH_COUNTS,
    true,
  ],
  [
    'Numeric: c-count above its range',
    detail({
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    }),
    { detail: { ...EC2_WITH_COUNTS.detail, 'c-count': 6 } },
    false,
  ],
  // Content filtering › IP address matching: 10.0.0.0/24 covers 10.0.0.0 to 10.0.0.255.
  [
    'IP address: 10.0.0.255',
    detail({ sourceIPAddress: [{ cidr: '10.0.0.0/24' }] }),
    detail({ sourceIPAddress: '10.0.0.255' }),
    true,
  ],
  [
    'IP address: 10.0.1.0',
    detail({ sourceIPAddress: [{ cidr: '10.0.0.0/24' }] }),
    detail({ sourceIPAddress: '10.0.1.0' }),
    false,
  ],
  // Content filtering › Exists matching (exists: true, with the guide's two events).
  ['Exists: detail.state is present', detail({ state: [{ exists: true }] }), EC2_PENDING, true],
  ['Exists: detail.state is absent', detail({ state: [{ exists: true }] }), detail({ 'c-count': { c1: 100 } }), false],
  // Content filtering › Exists matching (exists: false; c-count holding an object is not a leaf).
  [
    'Exists false: no c-count',
    detail({ 'c-count': [{ exists: false }] }),
    detail({ state: ['initializing', 'running'] }),
    true,
  ],
  [
    'Exists false: c-count is not a leaf',
    detail({ 'c-count': [{ exists: false }] }),
    detail({ state: ['initializing', 'running'], 'c-count': { c1: 100 } }),
    true,
  ],
  // Content filtering › Equals-ignore-case matching.
  [
    'Equals-ignore-case: detail-type in lower case',
    { 'detail-type': [{ 'equals-ignore-case': 'ec2 instance state-change notification' }] },
    EC2_TERMINATED,
    true,
  ],
  // Content filtering › Matching using wildcards.
  [
    'Wildcard: any account, any bus in us-east-1',
    { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' },
    true,
  ],
  [
    'Wildcard: a bus in another region',
    { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] },
    { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' },
    false,
  ],
  // Content filtering › Complex example with multiple matching.
  [
    'Complex example: all conditions hold',
    {
      time: [{ prefix: '2017-10-02' }],
      detail: {
        state: [{ 'anything-but': 'initializing' }],
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ 'anything-but': [100, 200, 300] }],
      },
    },
    EC2_WITH_COUNTS,
    true,
  ],
  [
    'Complex example: x-limit is excluded',
    {
      time: [{ prefix: '2017-10-02' }],
      detail: { state: [{ 'anything-but': 'initializing' }], 'x-limit': [{ 'anything-but': [100, 200, 300] }] },
    },
    { ...EC2_WITH_COUNTS, detail: { ...EC2_WITH_COUNTS.detail, 'x-limit': 200 } },
    false,
  ],
  // Content filtering › $or matching: source AND (metricName OR namespace).
  ...(
    [
      [{ metricName: 'ReadLatency' }, true],
      [{ namespace: 'AWS/EC2' }, true],
      [{ metricName: 'DiskReadOps', namespace: 'AWS/RDS' }, false],
    ] as const
  ).map(
    ([fields, expected]): Case => [
      `$or: ${JSON.stringify(fields)}`,
      {
        source: ['aws.cloudwatch'],
        $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      },
      { source: 'aws.cloudwatch', ...fields },
      expected,
    ],
  ),
  // Comparison operators (summary table): each row's example, its rule syntax, and its description.
  [
    'Operators › And: both hold',
    { Location: ['New York'], Day: ['Monday'] },
    { Location: 'New York', Day: 'Monday' },
    true,
  ],
  [
    'Operators › And: one fails',
    { Location: ['New York'], Day: ['Monday'] },
    { Location: 'New York', Day: 'Tuesday' },
    false,
  ],
  [
    'Operators › Anything-but begins with: eu-west-1',
    { Region: [{ 'anything-but': { prefix: 'us-' } }] },
    { Region: 'eu-west-1' },
    true,
  ],
  [
    'Operators › Anything-but begins with: us-east-1',
    { Region: [{ 'anything-but': { prefix: 'us-' } }] },
    { Region: 'us-east-1' },
    false,
  ],
  [
    'Operators › Anything-but ends with: a .png',
    { FileName: [{ 'anything-but': { suffix: '.png' } }] },
    { FileName: 'a.png' },
    false,
  ],
  ['Operators › Begins with: us-east-1', { Region: [{ prefix: 'us-' }] }, { Region: 'us-east-1' }, true],
  ['Operators › Begins with: eu-west-1', { Region: [{ prefix: 'us-' }] }, { Region: 'eu-west-1' }, false],
  [
    'Operators › Begins with (ignore case)',
    { service: [{ prefix: { 'equals-ignore-case': 'eventb' } }] },
    { service: 'EventBridge' },
    true,
  ],
  ['Operators › Empty', { LastName: [''] }, { LastName: '' }, true],
  ['Operators › Equals', { Name: ['Alice'] }, { Name: 'Alice' }, true],
  ['Operators › Equals is case-sensitive', { Name: ['Alice'] }, { Name: 'alice' }, false],
  ['Operators › Equals (ignore case)', { Name: [{ 'equals-ignore-case': 'alice' }] }, { Name: 'Alice' }, true],
  ['Operators › Ends with', { FileName: [{ suffix: '.png' }] }, { FileName: 'photo.png' }, true],
  [
    'Operators › Ends with (ignore case)',
    { service: [{ suffix: { 'equals-ignore-case': 'tbridge' } }] },
    { service: 'EVENTBRIDGE' },
    true,
  ],
  ['Operators › Exists: present', { ProductName: [{ exists: true }] }, { ProductName: 'Widget' }, true],
  ['Operators › Exists: absent', { ProductName: [{ exists: true }] }, { Price: 1 }, false],
  ['Operators › Does not exist: absent', { ProductName: [{ exists: false }] }, { Price: 1 }, true],
  ['Operators › Does not exist: present', { ProductName: [{ exists: false }] }, { ProductName: 'Widget' }, false],
  ['Operators › Not: Sunny', { Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Sunny' }, true],
  ['Operators › Not: Raining', { Weather: [{ 'anything-but': ['Raining'] }] }, { Weather: 'Raining' }, false],
  ['Operators › Null', { UserID: [null] }, { UserID: null }, true],
  ['Operators › Null is not the string "null"', { UserID: [null] }, { UserID: 'null' }, false],
  ['Operators › Numeric (equals): 100', { Price: [{ numeric: ['=', 100] }] }, { Price: 100 }, true],
  ['Operators › Numeric (equals): 100.5', { Price: [{ numeric: ['=', 100] }] }, { Price: 100.5 }, false],
  ['Operators › Numeric (range): 20', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 20 }, true],
  ['Operators › Numeric (range): 10', { Price: [{ numeric: ['>', 10, '<=', 20] }] }, { Price: 10 }, false],
  ['Operators › Or: Debit', { PaymentType: ['Credit', 'Debit'] }, { PaymentType: 'Debit' }, true],
  [
    'Operators › Or (fields): New York on a Tuesday',
    { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
    { Location: 'New York', Day: 'Tuesday' },
    true,
  ],
  [
    'Operators › Or (fields): Boston on a Tuesday',
    { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
    { Location: 'Boston', Day: 'Tuesday' },
    false,
  ],
  ['Operators › Wildcard: a .png in dir', { FileName: [{ wildcard: 'dir/*.png' }] }, { FileName: 'dir/cat.png' }, true],
  [
    'Operators › Wildcard: a .png elsewhere',
    { FileName: [{ wildcard: 'dir/*.png' }] },
    { FileName: 'other/cat.png' },
    false,
  ],
  // AWS User Notifications guide › Common use cases: EC2 state change using $or matching.
  [
    'User Notifications: $or on one field (terminated)',
    detail({ $or: [{ state: ['running'] }, { state: ['terminated'] }] }),
    EC2_TERMINATED,
    true,
  ],
  [
    'User Notifications: $or on one field (pending)',
    detail({ $or: [{ state: ['running'] }, { state: ['terminated'] }] }),
    EC2_PENDING,
    false,
  ],
];

// The guide's dot-joining note ({"state.status": [...]} matching {"state": {"status": ...}}) is not
// emulated: the guide says the behaviour may change and must not be relied upon. Its claim that 300
// and 300.0 differ is contradicted by AWS (see the edge cases), and JSON.parse cannot tell them apart.

/** Edge cases from the guide's prose, from event-ruler's documented behaviour, and from behaviour observed against AWS. */
const EDGES: readonly Case[] = [
  // Guide: the event must contain every field named in the pattern.
  [
    'a pattern field missing from the event does not match',
    { source: ['aws.ec2'], account: ['1'] },
    { source: 'aws.ec2' },
    false,
  ],
  ['keys are case-sensitive', { Source: ['aws.ec2'] }, EC2_TERMINATED, false],
  ['a value list does not match a nested object', { detail: ['terminated'] }, EC2_TERMINATED, false],
  ['a nested pattern does not match a leaf', { source: { name: ['aws.ec2'] } }, EC2_TERMINATED, false],
  ['null in a pattern does not match a missing field', { UserID: [null] }, {}, false],
  ['true matches only the JSON boolean', { flag: [true] }, { flag: 'true' }, false],
  ['a number does not match its string form', { Price: [100] }, { Price: '100' }, false],
  ['a string does not match a number', { Price: ['100'] }, { Price: 100 }, false],
  // Observed against AWS (recorded by LocalStack's validated snapshot tests).
  ['300 matches 300.0 (observed against AWS)', '{"number": [300]}', { number: 300.0 }, true],
  ['numeric > 100 matches 101.0', { number: [{ numeric: ['>', 100] }] }, { number: 101.0 }, true],
  ['numeric does not match a numeric string', { n: [{ numeric: ['>', 0] }] }, { n: '5' }, false],
  ['numeric does not match null', { n: [{ numeric: ['>', 0] }] }, { n: null }, false],
  ['anything-but matches null', detail({ state: [{ 'anything-but': 'initializing' }] }), detail({ state: null }), true],
  [
    'anything-but matches a number',
    detail({ state: [{ 'anything-but': 'initializing' }] }),
    detail({ state: 12 }),
    true,
  ],
  [
    'anything-but never matches a missing field',
    detail({ state: [{ 'anything-but': 'initializing' }] }),
    detail({}),
    false,
  ],
  [
    'anything-but prefix matches a number',
    detail({ state: [{ 'anything-but': { prefix: 'init' } }] }),
    detail({ state: 12 }),
    true,
  ],
  [
    'anything-but prefix matches null',
    detail({ state: [{ 'anything-but': { prefix: 'init' } }] }),
    detail({ state: null }),
    true,
  ],
  [
    'anything-but prefix list: no prefix applies',
    detail({ state: [{ 'anything-but': { prefix: ['init', 'test'] } }] }),
    detail({ state: 'post-init' }),
    true,
  ],
  [
    'anything-but prefix list: one prefix applies',
    detail({ state: [{ 'anything-but': { prefix: ['init', 'post'] } }] }),
    detail({ state: 'post-init' }),
    false,
  ],
  [
    'anything-but wildcard matches a number',
    detail({ FilePath: [{ 'anything-but': { wildcard: '*/dir/*' } }] }),
    detail({ FilePath: 123 }),
    true,
  ],
  [
    'anything-but wildcard "" matches any non-empty string',
    detail({ FilePath: [{ 'anything-but': { wildcard: '' } }] }),
    detail({ FilePath: 'dir/init/file' }),
    true,
  ],
  ['anything-but 0 matches 789', detail({ 'x-limit': [{ 'anything-but': 0 }] }), detail({ 'x-limit': 789 }), true],
  ['anything-but number matches the same digits as a string', { n: [{ 'anything-but': [100] }] }, { n: '100' }, true],
  [
    'anything-but ignoring case matches null',
    detail({ state: [{ 'anything-but': { 'equals-ignore-case': ['initializing', 'stopped'] } }] }),
    detail({ state: null }),
    true,
  ],
  ['exists true does not match an empty array', { resources: [{ exists: true }] }, AUTOSCALING_LAUNCH, false],
  ['exists false matches an empty array', { resources: [{ exists: false }] }, AUTOSCALING_LAUNCH, true],
  [
    'exists false below a leaf matches',
    detail({ level1: { level2: { level3: { level4: [{ exists: false }] } } } }),
    detail({ level1: { level2: 'l2 value' } }),
    true,
  ],
  [
    'exists false with the leaf present',
    detail({ level1: { level2: { level3: { level4: [{ exists: false }] } } } }),
    detail({ level1: { level2: { level3: { level4: 'l4 value' } } } }),
    false,
  ],
  [
    'anything-but OR exists false, on a missing field',
    { dynamodb: { NewImage: { homemade: { S: [{ 'anything-but': ['roses'] }, { exists: false }] } } } },
    { dynamodb: { NewImage: { purchased: { N: '789' } } } },
    true,
  ],
  [
    'exists true under an array of objects: one element has the field',
    detail({ automations: { id: [{ exists: true }] } }),
    detail({ automations: [{ key1: 'value1' }, { id: 'match-does-exist' }, { key2: 'value2' }] }),
    true,
  ],
  // event-ruler: exists matches on leaves; null is a leaf value.
  ['exists true matches a null value', { UserID: [{ exists: true }] }, { UserID: null }, true],
  [
    'exists true does not match an object',
    detail({ 'c-count': [{ exists: true }] }),
    detail({ 'c-count': { c1: 100 } }),
    false,
  ],
  // event-ruler › JSON Array Matching: fields of one pattern object must come from one array element.
  ['array matching: Anna', { employees: { firstName: ['Anna'] } }, { employees: employees() }, true],
  [
    'array matching: Anna Jones are in different elements',
    { employees: { firstName: ['Anna'], lastName: ['Jones'] } },
    { employees: employees() },
    false,
  ],
  [
    'array matching: Anna Smith are in one element',
    { employees: { firstName: ['Anna'], lastName: ['Smith'] } },
    { employees: employees() },
    true,
  ],
  [
    'array matching: arrays of arrays are flattened',
    { employees: { firstName: ['Peter'] } },
    { employees: [employees().slice(0, 2), employees().slice(2)] },
    true,
  ],
  ['a value list matches any element of an event array', { tags: ['admin'] }, { tags: ['user', 'admin'] }, true],
  [
    'anything-but matches an event array holding another value',
    { tags: [{ 'anything-but': 'banned' }] },
    { tags: ['banned', 'ok'] },
    true,
  ],
  [
    'anything-but does not match an event array of excluded values',
    { tags: [{ 'anything-but': 'banned' }] },
    { tags: ['banned'] },
    false,
  ],
  [
    'exists false within the element that matched the other fields',
    { d: { a: [{ exists: true }], b: [{ exists: false }] } },
    { d: [{ a: 1 }, { b: 2 }] },
    true,
  ],
  [
    'exists false alone: another element has the field',
    { d: { b: [{ exists: false }] } },
    { d: [{ a: 1 }, { b: 2 }] },
    false,
  ],
  [
    'exists false alone: no element has the field',
    { d: { b: [{ exists: false }] } },
    { d: [{ a: 1 }, { c: 2 }] },
    true,
  ],
  // event-ruler › $or: parallel, nested, and $or with an AND inside.
  [
    '$or at two levels (both satisfied)',
    {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    },
    { namespace: 'AWS/EC2', detail: { 'detail-type': 'CloudWatch Alarm State Change' } },
    true,
  ],
  [
    '$or at two levels (inner unsatisfied)',
    {
      $or: [{ metricName: ['CPUUtilization'] }, { namespace: ['AWS/EC2'] }],
      detail: { $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }] },
    },
    { namespace: 'AWS/EC2', detail: { source: 'aws.ec2' } },
    false,
  ],
  ...(
    [
      [{ metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1000 }, true],
      [{ metricType: 'MetricType', namespace: 'AWS/EC2', spaceId: 1001 }, false],
      [{ metricType: 'MetricType', scope: 'Service' }, true],
    ] as const
  ).map(
    ([fields, expected]): Case => [
      `nested $or and AND: ${JSON.stringify(fields)}`,
      {
        source: ['aws.cloudwatch'],
        $or: [
          { metricName: ['CPUUtilization', 'ReadLatency'] },
          {
            metricType: ['MetricType'],
            namespace: ['AWS/EC2', 'AWS/ES'],
            $or: [{ metricId: [1234] }, { spaceId: [1000] }],
          },
          { scope: ['Service'] },
        ],
      },
      { source: 'aws.cloudwatch', ...fields },
      expected,
    ],
  ),
  // Guide › wildcards: '\*' is a literal star and '\\' a literal backslash; '*' may match nothing.
  ['wildcard: escaped star is literal', { s: [{ wildcard: 'value\\*end' }] }, { s: 'value*end' }, true],
  ['wildcard: escaped star does not expand', { s: [{ wildcard: 'value\\*end' }] }, { s: 'valueXend' }, false],
  ['wildcard: escaped backslash', { s: [{ wildcard: 'a\\\\b' }] }, { s: 'a\\b' }, true],
  ['wildcard: star matches the empty string', { s: [{ wildcard: 'dir/*.png' }] }, { s: 'dir/.png' }, true],
  ['wildcard: star spans slashes', { s: [{ wildcard: 'dir/*.png' }] }, { s: 'dir/a/b.png' }, true],
  ['wildcard: question mark is literal', { s: [{ wildcard: 'a?c' }] }, { s: 'abc' }, false],
  ['wildcard: overlapping parts', { s: [{ wildcard: '*ab*ab' }] }, { s: 'xabab' }, true],
  ['wildcard: only strings', { s: [{ wildcard: '*' }] }, { s: 5 }, false],
  [
    'exact "*" is not a wildcard (observed against AWS)',
    detail({ star: ['*'], backslash: ['\\'] }),
    detail({ star: '*', backslash: '\\' }),
    true,
  ],
  ['prefix applies to strings only', { n: [{ prefix: '1' }] }, { n: 123 }, false],
  ['equals-ignore-case applies to strings only', { n: [{ 'equals-ignore-case': 'true' }] }, { n: true }, false],
  [
    'equals-ignore-case: ß and SS are the same letters',
    { n: [{ 'equals-ignore-case': 'straße' }] },
    { n: 'STRASSE' },
    true,
  ],
  // Guide: IP address matching works for IPv6 too.
  ['cidr IPv6: inside', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db8:0:1::1' }, true],
  ['cidr IPv6: outside', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '2001:db9::1' }, false],
  ['cidr IPv6 range does not match an IPv4 address', { ip: [{ cidr: '2001:db8::/32' }] }, { ip: '10.0.0.1' }, false],
  ['cidr does not match a non-address', { ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 'localhost' }, false],
  ['cidr does not match a number', { ip: [{ cidr: '10.0.0.0/8' }] }, { ip: 10 }, false],
  // Guide › numeric matching: six decimal places, values within ±5.0e9.
  ['numeric: six decimals are compared', { n: [{ numeric: ['>', 0.000001] }] }, { n: 0.000002 }, true],
  ['numeric: beyond 5.0e9 does not compare', { n: [{ numeric: ['>', 0] }] }, { n: 6e9 }, false],
  ['numeric: -5.0e9 is in range', { n: [{ numeric: ['<', 0] }] }, { n: -5e9 }, true],
];

function employees() {
  return [
    { firstName: 'John', lastName: 'Doe' },
    { firstName: 'Anna', lastName: 'Smith' },
    { firstName: 'Peter', lastName: 'Jones' },
  ];
}

describe('matchesPattern', () => {
  it.each(DOCUMENTED)('conforms to the User Guide: %s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it.each(EDGES)('edge case: %s', (_name, pattern, event, expected) => {
    expect(matchesPattern(pattern, event)).toBe(expected);
  });

  it('takes the pattern and the event as JSON text', () => {
    expect(matchesPattern('{"source": ["aws.ec2"]}', JSON.stringify(EC2_TERMINATED))).toBe(true);
  });

  it('rejects event text that is not JSON', () => {
    expect(() => matchesPattern({ source: ['a'] }, '{nope')).toThrow(InvalidEventError);
  });

  it('matches a compiled pattern against many events without recompiling', () => {
    const compiled = compilePattern({ detail: { state: [{ 'anything-but': ['pending'] }] } });
    expect([EC2_TERMINATED, EC2_PENDING].map((event) => matches(compiled, event))).toEqual([true, false]);
  });
});

/** Invalid patterns, with the reason EventBridge gives (as recorded against AWS where known) and the path. */
const INVALID: readonly (readonly [pattern: object | string, reason: string, path: string])[] = [
  ['["not", "a", "dict"]', 'Filter is not an object', '(root)'],
  [{ int: 42 }, '"int" must be an object or an array', 'int'],
  [{ string: 'my-value' }, '"string" must be an object or an array', 'string'],
  [{ resources: [] }, 'Empty arrays are not allowed', 'resources'],
  [{ detail: {} }, 'Empty objects are not allowed', 'detail'],
  [{ a: [['x']] }, 'Match value must be String, number, true, false, or null', 'a[0]'],
  [{ a: [{}] }, 'Match expression name not found', 'a[0]'],
  [{ a: [{ prefix: 'x', suffix: 'y' }] }, 'Only one key allowed in match expression', 'a[0].prefix'],
  [detail({ equal: [{ NUMERIC: ['=', 5] }] }), 'Unrecognized match type NUMERIC', 'detail.equal[0].NUMERIC'],
  [{ my_key: [{ EXISTS: true }] }, 'Unrecognized match type EXISTS', 'my_key[0].EXISTS'],
  [{ a: [{ exists: 'yes' }] }, 'exists match pattern must be either true or false.', 'a[0].exists'],
  [
    detail({ 'c-count': [{ numeric: ['>', 0, '>', 0] }] }),
    'Bad numeric range operator: >',
    'detail.c-count[0].numeric',
  ],
  [detail({ 'c-count': [{ numeric: ['>', 0, '<'] }] }), 'Value of < must be numeric', 'detail.c-count[0].numeric'],
  [{ n: [{ numeric: '>' }] }, 'Value of numeric must be an array.', 'n[0].numeric'],
  [{ n: [{ numeric: ['=', 1, 2] }] }, 'Too many elements in numeric expression', 'n[0].numeric'],
  [{ n: [{ numeric: ['>', 1, '<', 5, 6] }] }, 'Too many terms in numeric range expression', 'n[0].numeric'],
  [{ n: [{ numeric: ['>', 5, '<', 1] }] }, 'Bottom must be less than top', 'n[0].numeric'],
  [{ n: [{ numeric: ['<', 10, '>', 0] }] }, 'Too many elements in numeric expression', 'n[0].numeric'],
  [{ n: [{ numeric: ['!=', 1] }] }, 'Unrecognized numeric range operator: !=', 'n[0].numeric'],
  [{ n: [{ numeric: ['>', 6e9] }] }, 'Value must be between -5.0E9 and 5.0E9, inclusive', 'n[0].numeric'],
  [{ n: [{ numeric: ['>', 0.0000001] }] }, 'Only values upto 6 decimals are supported', 'n[0].numeric'],
  [
    { 'detail-type': [{ 'equals-ignore-case': ['x'] }] },
    'equals-ignore-case match pattern must be a string',
    'detail-type[0].equals-ignore-case',
  ],
  [
    { 'detail-type': [{ 'equals-ignore-case': { prefix: 'ec2' } }] },
    'equals-ignore-case match pattern must be a string',
    'detail-type[0].equals-ignore-case',
  ],
  [{ time: [{ prefix: ['2022-07-13'] }] }, 'prefix match pattern must be a string', 'time[0].prefix'],
  [{ time: [{ prefix: 123 }] }, 'prefix match pattern must be a string', 'time[0].prefix'],
  [{ time: [{ prefix: { 'equals-ignore-case': 1 } }] }, 'prefix match pattern must be a string', 'time[0].prefix'],
  [{ FileName: [{ suffix: 123 }] }, 'suffix match pattern must be a string', 'FileName[0].suffix'],
  [{ FileName: [{ suffix: ['.png'] }] }, 'suffix match pattern must be a string', 'FileName[0].suffix'],
  [{ EventBusArn: [{ wildcard: 123 }] }, 'wildcard match pattern must be a string', 'EventBusArn[0].wildcard'],
  [
    { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:**:event-bus/*' }] },
    'Consecutive wildcard characters at pos 25',
    'EventBusArn[0].wildcard',
  ],
  [{ s: [{ wildcard: 'a\\b' }] }, 'Invalid escape character at pos 1', 's[0].wildcard'],
  [
    detail({ sourceIPAddress: [{ cidr: '10.0.0.0' }] }),
    "Malformed CIDR, one '/' required",
    'detail.sourceIPAddress[0].cidr',
  ],
  [
    detail({ sourceIPAddress: [{ cidr: '10.0.0.0/xx' }] }),
    'Malformed CIDR, mask bits must be an integer',
    'detail.sourceIPAddress[0].cidr',
  ],
  [
    detail({ sourceIPAddress: [{ cidr: 'xx.11.xx/24' }] }),
    'Nonstandard IP address: xx.11.xx',
    'detail.sourceIPAddress[0].cidr',
  ],
  [
    detail({ sourceIPAddress: [{ cidr: 'xxxx:db8:1234:1a00::/64' }] }),
    'Nonstandard IP address: xxxx:db8:1234:1a00::',
    'detail.sourceIPAddress[0].cidr',
  ],
  [
    detail({ sourceIPAddress: [{ cidr: ['bad-type'] }] }),
    'prefix match pattern must be a string',
    'detail.sourceIPAddress[0].cidr',
  ],
  [{ ip: [{ cidr: '10.0.0.300/8' }] }, 'Invalid IP address: 10.0.0.300', 'ip[0].cidr'],
  [{ ip: [{ cidr: '10.0.0.1/32' }] }, 'IPv4 mask bits must be < 32', 'ip[0].cidr'],
  [{ ip: [{ cidr: '::1/128' }] }, 'IPv6 mask bits must be < 128', 'ip[0].cidr'],
  [{ ip: [{ cidr: '10.0.0.0/-1' }] }, 'Malformed CIDR, mask bits must not be negative', 'ip[0].cidr'],
  [
    detail({ state: [{ 'anything-but': { 'equals-ignore-case': 123 } }] }),
    'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    'detail.state[0].anything-but',
  ],
  [
    detail({ state: [{ 'anything-but': { 'equals-ignore-case': [123, 456] } }] }),
    'Inside anything-but/equals-ignore-case list, number|start|null|boolean is not supported.',
    'detail.state[0].anything-but',
  ],
  [
    detail({ state: [{ 'anything-but': { prefix: 123 } }] }),
    'prefix/suffix match pattern must be a string',
    'detail.state[0].anything-but',
  ],
  [
    detail({ state: [{ 'anything-but': { prefix: [123, 'test'] } }] }),
    'prefix/suffix match pattern must be a string',
    'detail.state[0].anything-but',
  ],
  [
    detail({ FileName: [{ 'anything-but': { suffix: [123, '.txt'] } }] }),
    'prefix/suffix match pattern must be a string',
    'detail.FileName[0].anything-but',
  ],
  [
    detail({ FileName: [{ 'anything-but': { prefix: { 'equals-ignore-case': 'file' } } }] }),
    'Value of anything-but must be an array or single string/number value.',
    'detail.FileName[0].anything-but',
  ],
  [
    detail({ FileName: [{ 'anything-but': { suffix: { 'equals-ignore-case': '.png' } } }] }),
    'Value of anything-but must be an array or single string/number value.',
    'detail.FileName[0].anything-but',
  ],
  [
    detail({ FileName: [{ 'anything-but': { prefix: '' } }] }),
    'Null prefix/suffix not allowed',
    'detail.FileName[0].anything-but',
  ],
  [
    detail({ state: [{ 'anything-but': { wildcard: [123, '*/dir/*'] } }] }),
    'wildcard match pattern must be a string',
    'detail.state[0].anything-but',
  ],
  [
    detail({ FilePath: [{ 'anything-but': { wildcard: 123 } }] }),
    'wildcard match pattern must be a string',
    'detail.FilePath[0].anything-but',
  ],
  [
    detail({ state: [{ 'anything-but': ['stopped', null] }] }),
    'Inside anything but list, start|null|boolean is not supported.',
    'detail.state[0].anything-but',
  ],
  [
    { a: [{ 'anything-but': ['x', 1] }] },
    'Inside anything but list, either all values are number or string, mixed type is not supported',
    'a[0].anything-but',
  ],
  [
    { a: [{ 'anything-but': true }] },
    'Value of anything-but must be an array or single string/number value.',
    'a[0].anything-but',
  ],
  [{ a: [{ 'anything-but': { contains: 'x' } }] }, 'Unsupported anything-but pattern: contains', 'a[0].anything-but'],
  [{ $or: { a: ['x'] } }, 'It must be an Array followed with $or.', '$or'],
  [{ $or: [{ a: ['x'] }] }, 'There must have at least 2 Objects in $or relationship.', '$or'],
  [{ $or: [{ a: ['x'] }, 'b'] }, 'Only JSON object is allowed in array of $or relationship.', '$or[1]'],
  [
    { $or: [{ numeric: [1] }, { prefix: ['abc'] }] },
    'numeric is Ruler reserved fieldName which cannot be used inside $or.',
    '$or[0].numeric',
  ],
];

describe('compilePattern', () => {
  it.each(INVALID)('rejects %j: %s', (pattern, reason, path) => {
    const attempt = () => compilePattern(pattern);
    expect(attempt).toThrow(InvalidEventPatternError);
    expect(attempt).toThrow(expect.objectContaining({ reason, path, code: 'InvalidEventPatternException' }));
  });

  it('words its message as EventBridge does, then names the path', () => {
    expect(() => compilePattern({ resources: [] })).toThrow(
      'Event pattern is not valid. Reason: Empty arrays are not allowed (at resources)',
    );
  });

  it('rejects pattern text that is not JSON', () => {
    expect(() => compilePattern("{'bad': 'quotation'}")).toThrow(/the pattern is not JSON/);
  });

  it('accepts operator names as ordinary field names outside $or', () => {
    expect(matchesPattern({ prefix: ['a'] }, { prefix: 'a' })).toBe(true);
  });
});

describe('testEventPattern', () => {
  const event = (fields: object) =>
    JSON.stringify({
      id: '1',
      source: 'order',
      'detail-type': 'Test',
      account: '123456789012',
      region: 'us-east-1',
      time: '2024-07-11T13:55:39Z',
      ...fields,
    });

  it('returns the verdict for a complete event (no resources field, as AWS accepts)', () => {
    expect(testEventPattern(event({}), '{"source": ["order"], "detail-type": ["Test"]}')).toBe(true);
    expect(testEventPattern(event({}), '{"source": ["shipment"], "detail-type": ["Test"]}')).toBe(false);
  });

  it.each(['id', 'account', 'source', 'time', 'region', 'detail-type'])('rejects an event without %s', (field) => {
    const incomplete = JSON.parse(event({})) as Record<string, unknown>;
    delete incomplete[field];
    const attempt = () => testEventPattern(JSON.stringify(incomplete), '{"source": ["order"]}');
    expect(attempt).toThrow(InvalidEventError);
    expect(attempt).toThrow(new RegExp(`required field\\(s\\) "${field}"`));
  });

  it.each(['plain string', '["plain string"]', '{"testEvent": "value"}'])('rejects the event %s', (text) => {
    const attempt = () => testEventPattern(text, '{"body": {"test2": [{"numeric": [">", 100]}]}}');
    expect(attempt).toThrow(expect.objectContaining({ code: 'ValidationException' }));
  });

  it('checks the pattern before the event', () => {
    const attempt = () => testEventPattern('not json', '{"resources": []}');
    expect(attempt).toThrow(InvalidEventPatternError);
    expect(attempt).toThrow(EventBridgeError);
  });
});

describe('pattern properties', () => {
  const word = fc.string({ unit: fc.constantFrom('a', 'b', 'A', '*', '\\', '-'), maxLength: 6 });
  const leaf = fc.oneof(word, fc.integer({ min: -3, max: 3 }), fc.boolean(), fc.constant(null));

  it('anything-but [x] is the complement of [x] on leaf values', () => {
    fc.assert(
      fc.property(word, leaf, (excluded, value) => {
        const positive = matchesPattern({ f: [excluded] }, { f: value });
        expect(matchesPattern({ f: [{ 'anything-but': [excluded] }] }, { f: value })).toBe(!positive);
      }),
    );
  });

  it('$or of A and B matches exactly when A or B matches', () => {
    const branch = fc.constantFrom<object>(
      { a: [{ prefix: 'a' }] },
      { b: [{ exists: false }] },
      { a: ['A'], c: [0] },
      { c: [{ numeric: ['>', 0] }] },
      { a: [{ 'anything-but': 'ab' }] },
      { nested: { a: ['b'] } },
    );
    const event = fc.record(
      { a: word, b: leaf, c: fc.integer({ min: -2, max: 2 }), nested: fc.array(fc.record({ a: word })) },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(branch, branch, event, (a, b, e) => {
        const either = matchesPattern(a, e) || matchesPattern(b, e);
        expect(matchesPattern({ $or: [a, b] }, e)).toBe(either);
      }),
    );
  });

  it('exists true and exists false are complements for any field value', () => {
    const json = fc.jsonValue({ maxDepth: 2 });
    fc.assert(
      fc.property(fc.option(json, { nil: undefined }), (value) => {
        const event = value === undefined ? {} : { f: value };
        expect(matchesPattern({ f: [{ exists: false }] }, event)).toBe(
          !matchesPattern({ f: [{ exists: true }] }, event),
        );
      }),
    );
  });

  it('a wildcard of *s* matches exactly the strings containing s', () => {
    const plain = fc.string({ unit: fc.constantFrom('a', 'b', '/', '.'), minLength: 1, maxLength: 4 });
    fc.assert(
      fc.property(plain, plain, (inner, value) => {
        expect(matchesPattern({ f: [{ wildcard: `*${inner}*` }] }, { f: value })).toBe(value.includes(inner));
      }),
    );
  });

  it('a numeric range agrees with plain comparisons on integers', () => {
    const int = fc.integer({ min: -1000, max: 1000 });
    fc.assert(
      fc.property(int, int, int, (low, span, value) => {
        const high = low + Math.abs(span) + 1;
        const pattern = { f: [{ numeric: ['>=', low, '<', high] }] };
        expect(matchesPattern(pattern, { f: value })).toBe(value >= low && value < high);
      }),
    );
  });
});
