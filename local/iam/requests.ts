import type { IncomingHttpHeaders } from 'node:http';
import { isStsRequest } from '../edge/sts';
import { addressOf } from '../s3/request';
import { queueAddress } from '../sqs/queue-url';

/** What the edge knows of a request once it is authenticated. */
export interface EdgeCall {
  readonly method: string;
  readonly url: URL;
  readonly headers: IncomingHttpHeaders;
  /** Undefined for S3 requests the edge streams (their body is not read before routing). */
  readonly body: Buffer | undefined;
  /**
   * The signing name of the service the edge routed the call to (its signature is scoped to it).
   * Calls built by hand may leave it out: it is then told from the target, the path and the scope.
   */
  readonly service?: string | undefined;
}

/** One IAM authorization question a call asks: an action on one resource (AWS asks one per resource). */
export interface CallAccess {
  readonly action: string;
  readonly resources: readonly string[];
  /** True when AWS cannot tell the resource apart locally and any of `resources` granting suffices. */
  readonly anyOf?: boolean;
  /** Condition keys the request itself supplies (`dynamodb:LeadingKeys`), beside the caller's. */
  readonly context?: Readonly<Record<string, readonly string[]>>;
  /**
   * Set when the request cannot be authorized as the service would read it (a QueueUrl that
   * names no queue): IAM refuses it with this reason, whatever the policies say.
   */
  readonly refusal?: string;
}

/** Names the runtime resolves: the ARNs the local services put in their answers. */
export interface ArnLookups {
  readonly region: string;
  readonly accountId: string;
  /** Secret name or ARN → ARN. */
  secretArn(id: string): string;
  /** Key id, ARN, `alias/…` or alias ARN → key ARN. */
  keyArn(id: string): string;
  /** Every state machine's ARN: a task token does not say locally which one issued it. */
  stateMachineArns(): readonly string[];
  /** Every deployment group's ARN: what a deployment id this plane does not know could belong to. */
  deploymentGroupArns(): readonly string[];
  /** The ARN of the group a deployment belongs to, undefined for an id CodeDeploy does not know. */
  deploymentGroupOf?(deploymentId: string): string | undefined;
  /** The partition key attribute of a table (or of its index), as the template defines it. */
  partitionKeyOf?(table: string, index?: string): string | undefined;
}

const JSON_SERVICES: Readonly<Record<string, string>> = {
  DynamoDB_20120810: 'dynamodb',
  AWSEvents: 'events',
  AmazonSQS: 'sqs',
  secretsmanager: 'secretsmanager',
  AWSStepFunctions: 'states',
  CodeBuild_20161006: 'codebuild',
  CodeDeploy_20141006: 'codedeploy',
  TrentService: 'kms',
  Logs_20140328: 'logs',
  GraniteServiceVersion20100801: 'cloudwatch',
};

/** The parameter naming what each DynamoDB export operation acts on, as the local exports emulator reads it. */
const EXPORT_ARNS: ReadonlyMap<string, string> = new Map([
  ['ExportTableToPointInTime', 'TableArn'],
  ['DescribeExport', 'ExportArn'],
  ['ListExports', 'TableArn'],
]);

/**
 * The IAM action(s) and resource ARN(s) an edge call asks for, as AWS's service authorization
 * reference lists them; `*` for the actions that have no resource type.
 */
export function accessOf(call: EdgeCall, arns: ArnLookups): CallAccess[] {
  const target = header(call.headers, 'x-amz-target');
  if (target !== undefined) {
    const dot = target.lastIndexOf('.');
    const service = JSON_SERVICES[target.slice(0, dot)] ?? target.slice(0, dot).toLowerCase();
    const operation = target.slice(dot + 1);
    return jsonAccess(service, operation, parseBody(call.body), arns);
  }
  if (/^\/2015-03-31\/functions\/?$/.test(call.url.pathname))
    return [{ action: 'lambda:ListFunctions', resources: ['*'] }];
  if (call.url.pathname.startsWith('/2015-03-31/functions/')) return lambdaAccess(call, arns);
  const invokeConfig = /^\/2019-09-25\/functions\/([^/]+)\/event-invoke-config$/.exec(call.url.pathname);
  if (invokeConfig !== null) {
    const name = decodeURIComponent(invokeConfig[1] ?? '');
    const fn = name.startsWith('arn:') ? name : `arn:aws:lambda:${arns.region}:${arns.accountId}:function:${name}`;
    return [{ action: 'lambda:GetFunctionEventInvokeConfig', resources: [fn] }];
  }
  const service = call.service ?? signingService(call);
  // STS answers only for the caller itself; AssumeRole is decided against the role's trust policy where it is served.
  if (service === 'sts' || (call.service === undefined && isStsRequest(call, call.url))) return [];
  if (service === 'sns') return snsAccess(call);
  return s3Access(call);
}

function jsonAccess(service: string, operation: string, input: Record<string, unknown>, a: ArnLookups): CallAccess[] {
  const arn = (svc: string, rest: string) => `arn:aws:${svc}:${a.region}:${a.accountId}:${rest}`;
  const action = `${service}:${operation}`;
  const one = (resource: string) => [{ action, resources: [resource] }];
  const s = (key: string) => (typeof input[key] === 'string' ? (input[key] as string) : undefined);
  switch (service) {
    case 'dynamodb': {
      // The export operations (local/dynamodb/exports.ts) act on the table or export their ARN
      // names; everything else (dynalite) on TableName alone, so an ARN sent beside it is no resource.
      const byArn = EXPORT_ARNS.get(operation);
      if (byArn !== undefined) return one(s(byArn) ?? '*');
      const table = s('TableName');
      const index = s('IndexName');
      if (table !== undefined) {
        const leading = leadingKeys(operation, input, a.partitionKeyOf?.(table, index));
        const attributes = writtenAttributes(operation, input);
        const context = {
          ...(leading === undefined ? {} : { 'dynamodb:LeadingKeys': leading }),
          ...(attributes === undefined ? {} : { 'dynamodb:Attributes': attributes }),
        };
        return [
          {
            action,
            resources: [arn('dynamodb', `table/${table}${index ? `/index/${index}` : ''}`)],
            ...(Object.keys(context).length === 0 ? {} : { context }),
          },
        ];
      }
      // A batch asks once per table, each with the partition keys of its own items.
      const items = (input.RequestItems ?? {}) as Record<string, unknown>;
      const tables = Object.keys(items);
      if (tables.length === 0) return [{ action, resources: ['*'] }];
      return tables.map((t) => {
        const leading = batchLeadingKeys(items[t], a.partitionKeyOf?.(t));
        return {
          action,
          resources: [arn('dynamodb', `table/${t}`)],
          ...(leading === undefined ? {} : { context: { 'dynamodb:LeadingKeys': leading } }),
        };
      });
    }
    case 'events': {
      if (operation !== 'PutEvents') return one(s('EventBusName') ? busArn(s('EventBusName') ?? '', a) : '*');
      const entries = (input.Entries ?? []) as { EventBusName?: string; Source?: string; DetailType?: string }[];
      if (entries.length === 0) return [{ action, resources: [busArn('default', a)] }];
      // Each entry is asked for on its own, with its source and detail-type as the condition keys.
      return entries.map((e) => ({
        action,
        resources: [busArn(e.EventBusName ?? 'default', a)],
        context: { 'events:source': [e.Source ?? ''], 'events:detail-type': [e.DetailType ?? ''] },
      }));
    }
    case 'sqs':
      return sqsAccess(action, input, a);
    case 'secretsmanager':
      return one(s('SecretId') === undefined ? '*' : a.secretArn(s('SecretId') ?? ''));
    case 'kms':
      return one(s('KeyId') === undefined ? '*' : a.keyArn(s('KeyId') ?? ''));
    case 'states':
      return statesAccess(action, input, a);
    case 'codebuild': {
      const project = s('projectName');
      if (project !== undefined) return one(arn('codebuild', `project/${project}`));
      const ids = (input.ids ?? []) as string[];
      if (ids.length && operation.endsWith('Builds'))
        return [{ action, resources: ids.map((id) => arn('codebuild', `project/${id.split(':')[0]}`)) }];
      const group = s('reportGroupArn') ?? s('arn');
      return one(group ?? '*');
    }
    case 'codedeploy': {
      // CodeDeploy acts on a deployment by its id alone, whatever group the request also names.
      const ids =
        s('deploymentId') !== undefined
          ? [s('deploymentId') ?? '']
          : Array.isArray(input.deploymentIds)
            ? input.deploymentIds.map(String)
            : undefined;
      if (ids !== undefined) return deploymentAccess(action, ids, a);
      const app = s('applicationName');
      const group = s('deploymentGroupName');
      if (app !== undefined && group !== undefined) return one(arn('codedeploy', `deploymentgroup:${app}/${group}`));
      if (app !== undefined) return one(arn('codedeploy', `application:${app}`));
      const config = s('deploymentConfigName');
      return one(config === undefined ? '*' : arn('codedeploy', `deploymentconfig:${config}`));
    }
    case 'logs': {
      const group = s('logGroupName');
      return one(
        group === undefined
          ? '*'
          : arn('logs', `log-group:${group}${s('logStreamName') ? `:log-stream:${s('logStreamName')}` : ':*'}`),
      );
    }
    case 'cloudwatch': {
      // Alarm calls are authorized on each alarm named.
      const names = (input.AlarmNames ?? []) as string[];
      return [{ action, resources: names.length ? names.map((n) => arn('cloudwatch', `alarm:${n}`)) : ['*'] }];
    }
    default:
      return one('*');
  }
}

/** SQS acts on the queue its QueueUrl's path names (or, to find or make one, on QueueName). */
function sqsAccess(action: string, input: Record<string, unknown>, a: ArnLookups): CallAccess[] {
  const url = input.QueueUrl;
  if (typeof url !== 'string') {
    const name = typeof input.QueueName === 'string' ? input.QueueName : undefined;
    return [{ action, resources: [name === undefined ? '*' : `arn:aws:sqs:${a.region}:${a.accountId}:${name}`] }];
  }
  const queue = queueAddress(url);
  if (queue === undefined)
    return [
      {
        action,
        resources: [url],
        refusal:
          'because its QueueUrl names no queue as SQS reads it (the path /<account>/<queue name>, no query or fragment)',
      },
    ];
  return [{ action, resources: [`arn:aws:sqs:${a.region}:${queue.account}:${queue.name}`] }];
}

/**
 * A deployment call is authorized on the group each deployment belongs to (every one must
 * allow). Ids CodeDeploy does not know are answered as unknown, so they ask nothing; when none is
 * known, any group allowing suffices to hear that.
 */
function deploymentAccess(action: string, ids: readonly string[], a: ArnLookups): CallAccess[] {
  const groups = ids.flatMap((id) => a.deploymentGroupOf?.(id) ?? []);
  if (groups.length > 0) return [{ action, resources: [...new Set(groups)] }];
  return [{ action, resources: a.deploymentGroupArns(), anyOf: true }];
}

function statesAccess(action: string, input: Record<string, unknown>, a: ArnLookups): CallAccess[] {
  const machine = input.stateMachineArn;
  if (typeof machine === 'string') return [{ action, resources: [machine] }];
  const execution = input.executionArn;
  if (typeof execution === 'string') return [{ action, resources: [execution] }];
  if (typeof input.taskToken === 'string') return [{ action, resources: a.stateMachineArns(), anyOf: true }];
  return [{ action, resources: ['*'] }];
}

function busArn(nameOrArn: string, a: ArnLookups): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:events:${a.region}:${a.accountId}:event-bus/${nameOrArn}`;
}

/** Lambda's REST API: the function named in the path (a qualifier names the same function for IAM). */
function lambdaAccess(call: EdgeCall, a: ArnLookups): CallAccess[] {
  const rest = call.url.pathname.slice('/2015-03-31/functions/'.length).split('/');
  const name = decodeURIComponent(rest[0] ?? '');
  const fn = name.startsWith('arn:') ? name : `arn:aws:lambda:${a.region}:${a.accountId}:function:${name}`;
  const sub = rest[1] ?? '';
  const action =
    sub === 'invocations'
      ? 'lambda:InvokeFunction'
      : sub === 'code'
        ? 'lambda:UpdateFunctionCode'
        : sub === 'versions'
          ? call.method === 'POST'
            ? 'lambda:PublishVersion'
            : 'lambda:ListVersionsByFunction'
          : sub === 'aliases'
            ? call.method === 'GET'
              ? rest[2]
                ? 'lambda:GetAlias'
                : 'lambda:ListAliases'
              : 'lambda:UpdateAlias'
            : sub === 'configuration'
              ? 'lambda:GetFunctionConfiguration'
              : 'lambda:GetFunction';
  // Alias and version calls are authorized on the function; an invocation on the version or alias it names.
  const qualifier =
    sub === 'invocations' && call.url.searchParams.get('Qualifier') ? `:${call.url.searchParams.get('Qualifier')}` : '';
  return [{ action, resources: [`${fn}${qualifier}`] }];
}

/** The service a SigV4 signature is scoped to (`Credential=<key>/<date>/<region>/<service>/aws4_request`). */
function signingService(call: EdgeCall): string | undefined {
  return /Credential=[^/\s,]+\/\d{8}\/[^/\s,]+\/([^/\s,]+)\//i.exec(String(call.headers.authorization ?? ''))?.[1];
}

/** SNS on the query protocol: a form POST naming its Action and the topic it acts on. */
function snsAccess(call: EdgeCall): CallAccess[] {
  const form = new URLSearchParams(call.body?.toString('utf8') ?? '');
  return [{ action: `sns:${form.get('Action') ?? ''}`, resources: [form.get('TopicArn') ?? '*'] }];
}

/** S3's REST API: the operation from the method and what is addressed. */
function s3Access(call: EdgeCall): CallAccess[] {
  const { bucket, key } = addressOf({ headers: call.headers } as never, call.url);
  if (bucket === undefined) return [{ action: 's3:ListAllMyBuckets', resources: ['*'] }];
  const q = call.url.searchParams;
  const object = `arn:aws:s3:::${bucket}/${key ?? ''}`;
  const bucketArn = `arn:aws:s3:::${bucket}`;
  const versioned = q.has('versionId') ? 'Version' : '';
  if (key === undefined) {
    if (call.method === 'GET' || call.method === 'HEAD')
      return [{ action: q.has('versions') ? 's3:ListBucketVersions' : 's3:ListBucket', resources: [bucketArn] }];
    if (call.method === 'POST' && q.has('delete'))
      return [{ action: 's3:DeleteObject', resources: [`${bucketArn}/*`] }];
    return [{ action: `s3:${call.method === 'PUT' ? 'CreateBucket' : 'DeleteBucket'}`, resources: [bucketArn] }];
  }
  const tagging = q.has('tagging') ? 'Tagging' : '';
  switch (call.method) {
    case 'GET':
    case 'HEAD':
      return [{ action: `s3:GetObject${versioned}${tagging}`, resources: [object] }];
    case 'DELETE':
      return [{ action: `s3:DeleteObject${versioned}`, resources: [object] }];
    default:
      return [{ action: q.has('tagging') ? 's3:PutObjectTagging' : 's3:PutObject', resources: [object] }];
  }
}

function parseBody(body: Buffer | undefined): Record<string, unknown> {
  if (body === undefined || body.length === 0) return {};
  try {
    const parsed = JSON.parse(body.toString('utf8')) as unknown;
    return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * `dynamodb:LeadingKeys`, as DynamoDB supplies it: the partition key value(s) an item operation
 * or a Query names. Undefined when the request names none (a Scan; AWS then supplies no key) or
 * the table's key is unknown here.
 */
function leadingKeys(
  operation: string,
  input: Record<string, unknown>,
  partitionKey: string | undefined,
): string[] | undefined {
  if (partitionKey === undefined) return undefined;
  if (['GetItem', 'DeleteItem', 'UpdateItem'].includes(operation)) return keyValues([input.Key], partitionKey);
  if (operation === 'PutItem') return keyValues([input.Item], partitionKey);
  if (operation !== 'Query') return undefined;
  const legacy = (input.KeyConditions as Record<string, { AttributeValueList?: unknown[] }> | undefined)?.[
    partitionKey
  ];
  if (legacy !== undefined) return (legacy.AttributeValueList ?? []).map(attributeText);
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const values = (input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
  const expression = typeof input.KeyConditionExpression === 'string' ? input.KeyConditionExpression : '';
  for (const m of expression.matchAll(/([#\w.]+)\s*=\s*(:\w+)|(:\w+)\s*=\s*([#\w.]+)/g)) {
    const [name, value] = m[1] !== undefined ? [m[1], m[2]] : [m[4], m[3]];
    if ((names[name ?? ''] ?? name) === partitionKey && value !== undefined && values[value] !== undefined)
      return [attributeText(values[value])];
  }
  return undefined;
}

const EXPRESSION_WORDS = new Set(['set', 'remove', 'add', 'delete', 'and', 'or', 'not', 'in', 'between']);

/**
 * `dynamodb:Attributes` of a write, as the stricter reading of DynamoDB's has it: every top-level
 * attribute the request names (the key, a put's item, an update's paths, and what its condition
 * reads, `#name`s resolved). Undefined for the operations that are not single-item writes.
 */
export function writtenAttributes(operation: string, input: Record<string, unknown>): string[] | undefined {
  if (!['PutItem', 'UpdateItem', 'DeleteItem'].includes(operation)) return undefined;
  const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
  const found = new Set<string>([
    ...Object.keys((input.Key ?? {}) as object),
    ...Object.keys((input.Item ?? {}) as object),
    ...Object.keys((input.AttributeUpdates ?? {}) as object),
    ...Object.keys((input.Expected ?? {}) as object),
  ]);
  for (const key of ['UpdateExpression', 'ConditionExpression']) {
    const expression = input[key];
    if (typeof expression !== 'string') continue;
    // A path starts at a name not preceded by a path character (`a.#b[0]`'s `#b` is not top-level),
    // and a value (`:v`) is no name; a word followed by `(` is a function.
    for (const m of expression.matchAll(/(?<![\w.#:\]])(#?[A-Za-z_]\w*)\b(?!\s*\()/g)) {
      const token = m[1] ?? '';
      if (token.startsWith('#')) found.add(names[token] ?? token);
      else if (!EXPRESSION_WORDS.has(token.toLowerCase())) found.add(token);
    }
  }
  return [...found].sort();
}

function batchLeadingKeys(request: unknown, partitionKey: string | undefined): string[] | undefined {
  if (partitionKey === undefined) return undefined;
  if (Array.isArray(request)) {
    const items = request.map((r: { PutRequest?: { Item?: unknown }; DeleteRequest?: { Key?: unknown } }) =>
      r.PutRequest !== undefined ? r.PutRequest.Item : r.DeleteRequest?.Key,
    );
    return keyValues(items, partitionKey);
  }
  return keyValues(((request as { Keys?: unknown[] } | undefined)?.Keys ?? []) as unknown[], partitionKey);
}

function keyValues(items: readonly unknown[], partitionKey: string): string[] {
  return [
    ...new Set(items.map((item) => attributeText((item as Record<string, unknown> | undefined)?.[partitionKey]))),
  ];
}

/** An attribute value as a condition compares it: the string, number or base64 text it holds. */
function attributeText(value: unknown): string {
  const v = (value ?? {}) as { S?: unknown; N?: unknown; B?: unknown };
  return String(v.S ?? v.N ?? v.B ?? '');
}
