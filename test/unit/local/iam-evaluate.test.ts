import { type AccessRequest, evaluate, type SourcedStatement, type Statement } from '../../../local/iam/evaluate';

const ROLE = 'arn:aws:iam::000000000000:role/fn-role';
const who = { arn: ROLE, account: '000000000000' };
const OBJECT = 'arn:aws:s3:::artifacts/builds/1.zip';

function req(action: string, resource: string, context: AccessRequest['context'] = {}): AccessRequest {
  return { action, resource, context };
}

function policy(...statements: Statement[]): SourcedStatement[] {
  return statements.map((statement, i) => ({ statement, source: `P#${i}` }));
}

const allowGet: Statement = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::artifacts/*' };

// Cases from AWS's "Policy evaluation logic" (same-account requests) and "IAM JSON policy elements:
// Condition operators" pages.
describe('evaluate', () => {
  it.each<[string, AccessRequest, Statement[], Statement[] | undefined, string]>([
    ['denies implicitly when no statement applies', req('s3:GetObject', OBJECT), [], undefined, 'implicit-deny'],
    ['allows what an identity policy allows', req('s3:GetObject', OBJECT), [allowGet], undefined, 'allow'],
    ['denies another action on the same resource', req('s3:PutObject', OBJECT), [allowGet], undefined, 'implicit-deny'],
    [
      'an explicit deny overrides any allow',
      req('s3:GetObject', OBJECT),
      [allowGet, { Effect: 'Deny', Action: 's3:*', Resource: '*' }],
      undefined,
      'explicit-deny',
    ],
    [
      'an explicit deny in a resource policy overrides the identity allow',
      req('s3:GetObject', OBJECT, { 'aws:SecureTransport': 'false' }),
      [allowGet],
      [
        {
          Effect: 'Deny',
          Principal: { AWS: '*' },
          Action: 's3:*',
          Resource: '*',
          Condition: { Bool: { 'aws:SecureTransport': 'false' } },
        },
      ],
      'explicit-deny',
    ],
    [
      'a resource policy naming the role allows without an identity policy (same account)',
      req('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q'),
      [],
      [{ Effect: 'Allow', Principal: { AWS: ROLE }, Action: 'sqs:SendMessage' }],
      'allow',
    ],
    [
      'a resource policy naming only the account delegates to identity policies',
      req('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q'),
      [],
      [{ Effect: 'Allow', Principal: { AWS: 'arn:aws:iam::000000000000:root' }, Action: 'sqs:*' }],
      'implicit-deny',
    ],
    [
      'a service principal in a resource policy is not the role',
      req('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q'),
      [],
      [{ Effect: 'Allow', Principal: { Service: 'events.amazonaws.com' }, Action: 'sqs:SendMessage' }],
      'implicit-deny',
    ],
    [
      'NotAction allows every action but the listed ones',
      req('s3:GetObject', OBJECT),
      [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }],
      undefined,
      'allow',
    ],
    [
      'NotAction does not allow a listed action',
      req('iam:CreateUser', '*'),
      [{ Effect: 'Allow', NotAction: 'iam:*', Resource: '*' }],
      undefined,
      'implicit-deny',
    ],
    [
      'NotResource allows every resource but the listed ones',
      req('s3:GetObject', 'arn:aws:s3:::other/x'),
      [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::artifacts/*' }],
      undefined,
      'allow',
    ],
    [
      'NotResource does not allow a listed resource',
      req('s3:GetObject', OBJECT),
      [{ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::artifacts/*' }],
      undefined,
      'implicit-deny',
    ],
    [
      'an action wildcard matches, case-insensitively',
      req('s3:GetObjectVersion', OBJECT),
      [{ Effect: 'Allow', Action: 'S3:get*', Resource: '*' }],
      undefined,
      'allow',
    ],
    [
      'resources match case-sensitively',
      req('s3:GetObject', 'arn:aws:s3:::Artifacts/x'),
      [allowGet],
      undefined,
      'implicit-deny',
    ],
    [
      '? matches exactly one character',
      req('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q12'),
      [{ Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:us-east-1:000000000000:q?' }],
      undefined,
      'implicit-deny',
    ],
    [
      'a condition on a key absent from the request does not match',
      req('s3:GetObject', OBJECT),
      [{ ...allowGet, Condition: { StringEquals: { 'aws:SourceAccount': '000000000000' } } }],
      undefined,
      'implicit-deny',
    ],
    [
      '…IfExists matches when the key is absent',
      req('s3:GetObject', OBJECT),
      [{ ...allowGet, Condition: { StringEqualsIfExists: { 'aws:SourceAccount': '111111111111' } } }],
      undefined,
      'allow',
    ],
    [
      '…IfExists still compares a key that is present',
      req('s3:GetObject', OBJECT, { 'aws:SourceAccount': '000000000000' }),
      [{ ...allowGet, Condition: { StringEqualsIfExists: { 'aws:SourceAccount': '111111111111' } } }],
      undefined,
      'implicit-deny',
    ],
    [
      'values listed for one key are alternatives (OR)',
      req('s3:GetObject', OBJECT, { 'aws:SourceAccount': '2' }),
      [{ ...allowGet, Condition: { StringEquals: { 'aws:SourceAccount': ['1', '2'] } } }],
      undefined,
      'allow',
    ],
    [
      'every key and operator must hold (AND)',
      req('s3:GetObject', OBJECT, { 'aws:SourceAccount': '2', 'aws:SecureTransport': 'false' }),
      [
        {
          ...allowGet,
          Condition: { StringEquals: { 'aws:SourceAccount': '2' }, Bool: { 'aws:SecureTransport': 'true' } },
        },
      ],
      undefined,
      'implicit-deny',
    ],
    [
      'condition keys are case-insensitive',
      req('s3:GetObject', OBJECT, { 'aws:sourceaccount': '2' }),
      [{ ...allowGet, Condition: { StringEquals: { 'aws:SourceAccount': '2' } } }],
      undefined,
      'allow',
    ],
    [
      'StringLike matches with wildcards',
      req('s3:GetObject', OBJECT, { 's3:prefix': 'builds/1' }),
      [{ ...allowGet, Condition: { StringLike: { 's3:prefix': 'builds/*' } } }],
      undefined,
      'allow',
    ],
    [
      'StringNotEquals matches a key that is absent',
      req('s3:GetObject', OBJECT),
      [{ ...allowGet, Condition: { StringNotEquals: { 'aws:SourceAccount': '1' } } }],
      undefined,
      'allow',
    ],
    [
      'ArnLike compares segment by segment with wildcards',
      req('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q', {
        'aws:SourceArn': 'arn:aws:events:us-east-1:000000000000:rule/gantry/r1',
      }),
      [
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: '*',
          Condition: { ArnLike: { 'aws:SourceArn': 'arn:aws:events:*:000000000000:rule/*' } },
        },
      ],
      undefined,
      'allow',
    ],
    [
      'ArnEquals refuses another ARN',
      req('sqs:SendMessage', 'arn:aws:sqs:us-east-1:000000000000:q', {
        'aws:SourceArn': 'arn:aws:events:us-east-1:000000000000:rule/other',
      }),
      [
        {
          Effect: 'Allow',
          Action: 'sqs:SendMessage',
          Resource: '*',
          Condition: { ArnEquals: { 'aws:SourceArn': 'arn:aws:events:us-east-1:000000000000:rule/r1' } },
        },
      ],
      undefined,
      'implicit-deny',
    ],
    [
      'Null true matches an absent key',
      req('s3:GetObject', OBJECT),
      [{ ...allowGet, Condition: { Null: { 'aws:TokenIssueTime': 'true' } } }],
      undefined,
      'allow',
    ],
    [
      'Null false refuses an absent key',
      req('s3:GetObject', OBJECT),
      [{ ...allowGet, Condition: { Null: { 'aws:TokenIssueTime': 'false' } } }],
      undefined,
      'implicit-deny',
    ],
    [
      'ForAllValues holds for an empty set',
      req('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/t'),
      [
        {
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: '*',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['run#*'] } },
        },
      ],
      undefined,
      'allow',
    ],
    [
      'ForAllValues refuses when one value is outside the list',
      req('dynamodb:GetItem', 'arn:aws:dynamodb:us-east-1:000000000000:table/t', {
        'dynamodb:LeadingKeys': ['run#1', 'lock#1'],
      }),
      [
        {
          Effect: 'Allow',
          Action: 'dynamodb:GetItem',
          Resource: '*',
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['run#*'] } },
        },
      ],
      undefined,
      'implicit-deny',
    ],
    [
      'ForAnyValue needs one value in the list',
      req('s3:GetObject', OBJECT, { 'aws:TagKeys': ['a', 'b'] }),
      [{ ...allowGet, Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['b'] } } }],
      undefined,
      'allow',
    ],
    [
      'ForAnyValue fails on an absent key',
      req('s3:GetObject', OBJECT),
      [{ ...allowGet, Condition: { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['b'] } } }],
      undefined,
      'implicit-deny',
    ],
    [
      'an operator the evaluator does not know never grants',
      req('s3:GetObject', OBJECT, { 'aws:CurrentTime': '2026-01-01T00:00:00Z' }),
      [{ ...allowGet, Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01T00:00:00Z' } } }],
      undefined,
      'implicit-deny',
    ],
  ])('%s', (_name, request, identity, resource, expected) => {
    expect(evaluate(request, policy(...identity), resource && policy(...resource), who).decision).toBe(expected);
  });

  describe('KMS key policies', () => {
    const KEY = 'arn:aws:kms:us-east-1:000000000000:key/k';
    const allowDecrypt = policy({ Effect: 'Allow', Action: 'kms:Decrypt', Resource: '*' });

    it('counts identity policies when the key policy trusts the account', () => {
      const keyPolicy = policy({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:root' },
        Action: 'kms:*',
        Resource: '*',
      });
      expect(evaluate(req('kms:Decrypt', KEY), allowDecrypt, keyPolicy, who, { keyPolicy: true }).decision).toBe(
        'allow',
      );
    });

    it('ignores identity policies when the key policy does not trust the account', () => {
      const keyPolicy = policy({
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::000000000000:role/someone-else' },
        Action: 'kms:*',
        Resource: '*',
      });
      expect(evaluate(req('kms:Decrypt', KEY), allowDecrypt, keyPolicy, who, { keyPolicy: true }).decision).toBe(
        'implicit-deny',
      );
    });
  });

  it('names the statements that allowed the request', () => {
    const out = evaluate(req('s3:GetObject', OBJECT), policy(allowGet), undefined, who);
    expect(out.matched.map((s) => s.source)).toEqual(['P#0']);
  });
});
